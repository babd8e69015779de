"""The part manifest agrees with the released notebook, grading.toml, the checks and the worker."""
import ast
import importlib
import sys
from pathlib import Path

import pytest

from autograder import config
from autograder.checks import PART_STUBS, all_checks
from autograder.parts import BY_ID, PARTS
from autograder.pipeline import release

WORKER = Path(__file__).resolve().parent.parent / "autograder" / "worker"


@pytest.fixture(scope="module")
def released():
    """{top-level name: ast node} of the released notebook's definitions."""
    grading = config.load()
    nodes = {}
    for statement in release.kit_statements(grading):
        for node in ast.parse(statement["source"]).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                nodes[node.name] = node
    return nodes


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.id)
def test_each_stub_of_the_manifest_is_defined_where_the_released_notebook_defines_it(part, released):
    if part.holder is None:
        assert isinstance(released.get(part.stub), ast.FunctionDef), f"no function {part.stub} in the release"
    else:
        holder = released.get(part.holder)
        assert isinstance(holder, ast.ClassDef), f"no class {part.holder} in the release"
        assert part.stub in {n.name for n in holder.body if isinstance(n, ast.FunctionDef)}


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.id)
def test_the_released_stub_is_a_stub_that_raises_not_implemented(part, released):
    node = released[part.holder] if part.holder else released[part.stub]
    if part.holder:
        node = next(n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == part.stub)
    assert "NotImplementedError" in ast.unparse(node)


def test_the_manifest_and_grading_toml_name_the_same_parts_in_the_same_order():
    grading = config.load(registry=all_checks())
    assert list(grading.parts) == [part.id for part in PARTS]


def test_every_part_has_a_checks_module_and_registered_checks():
    checks = all_checks()
    for part in PARTS:
        importlib.import_module(f"autograder.checks.{part.checks}")
        assert any(c.part == part.id for c in checks), f"{part.id} has no registered check"
    assert PART_STUBS == {p.id: p.stub for p in PARTS} and BY_ID["part2"].qualified.startswith("Deep")


def test_the_worker_reads_the_same_table_as_the_grader(monkeypatch):
    monkeypatch.syspath_prepend(str(WORKER))
    sys.modules.pop("ops", None)
    ops = importlib.import_module("ops")
    try:
        assert set(ops.STUBS) == {p.stub for p in PARTS}
        for part in PARTS:
            holder, attribute = ops.STUBS[part.stub]
            assert (holder, attribute) == part.location
        assert BY_ID["part6"].location == ("BatchNormNetwork", "batch_normalize")
        assert BY_ID["part5"].location == ("clip_gradients", None)
    finally:
        sys.modules.pop("ops", None)


# -- the generic calls a new part's checks use (worker/ops.py call_function, call_method) ------------

@pytest.fixture(scope="module")
def student():
    """A Student on a worker loaded with the kit and the reference solution."""
    from autograder.pipeline.extract import extract
    from autograder.pipeline.grade import WorkerSupply
    from autograder.sandbox.student import Student

    grading = config.load()
    supply = WorkerSupply(grading.limits, hide=(), warm=False)
    worker = supply.take()
    reference = (Path(__file__).parent / "corpora" / "correct" / "reference.py").read_text()
    worker.call("load", grading.limits.load_timeout, kit=release.kit_statements(grading),
                student=extract([{"index": 0, "source": reference}])[0])
    yield Student(worker, grading.limits.call_timeout)
    worker.remove()
    supply.close()


def test_call_runs_a_function_stub_on_copies_of_its_arguments(student):
    import numpy as np

    gradients = {"dW1": np.full((2, 2), 10.0), "db1": np.zeros((2, 1))}
    out = student.call("clip_gradients", gradients, 1.0, clip_type="value")
    clipped, stats = out["result"]
    assert np.array_equal(clipped["dW1"], np.ones((2, 2))) and stats["original_norm"] == 20.0
    assert np.array_equal(out["args_after"][0]["dW1"], gradients["dW1"])  # the stub left its input alone


def test_call_method_runs_a_method_stub_on_the_kits_class_and_reads_attributes_back(student):
    import numpy as np

    Z = np.array([[1.0, 2.0, 3.0, 6.0], [0.0, 0.0, 1.0, 3.0]])
    out = student.call_method("batch_normalize", init=([2, 2, 1], "relu", "he", True),
                              args=(Z, 1, "train"), read=("running_mean", "cache"))
    normalised = out["result"]
    assert np.allclose(normalised.mean(axis=1), 0) and set(out["read"]["cache"]) >= {"mu1", "var1"}
    assert np.allclose(out["read"]["running_mean"][1], 0.1 * Z.mean(axis=1, keepdims=True))


def test_a_stub_the_submission_lacks_is_reported_missing_through_the_generic_call(student):
    from autograder.sandbox.workers import StubMissing

    with pytest.raises(StubMissing):
        student.call("no_such_stub")
