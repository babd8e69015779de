"""The part manifest agrees with the released notebook, grading.toml, the checks and the worker."""
import ast
import importlib
import io
import json
import re
import sys
import tokenize
from pathlib import Path

import pytest

from autograder import config
from autograder.checks import all_checks, load_parts
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
    assert BY_ID["part2"].qualified.startswith("Deep")


def test_a_loaded_part_brings_everything_its_modules_declare():
    loaded = load_parts()
    assert [part.row for part in loaded] == list(PARTS)
    for part in loaded:
        assert part.checks and all(c.part == part.id for c in part.checks)
        assert part.mistakes and all(type(entry.hint) is str and entry.hint for entry in part.mistakes.values())
        assert part.equivalence is not None and len(part.equivalence.tolerance) == 3
    assert [part.id for part in loaded if part.probe] == ["part2", "part6"]
    assert [part.id for part in loaded if part.kit_code] == ["part9"]
    assert [part.id for part in loaded if part.survivors] == ["part5"]


def test_checks_come_in_the_order_their_module_defines_them():
    from autograder.checks import part5_clipping

    names = [name for name, value in vars(part5_clipping).items() if hasattr(value, "check")]
    assert [c.name for c in all_checks() if c.part == "part5"] == [getattr(part5_clipping, n).check.name
                                                                 for n in names]


def test_a_check_marked_for_another_part_than_its_modules_is_refused(monkeypatch):
    import types

    from autograder.checks import check, load_part

    module = types.ModuleType("autograder.checks.part5_clipping")
    marked = check("part2", "stray", "a check in the wrong module")(lambda student, ctx: None)
    marked.__module__ = module.__name__
    module.stray = marked
    monkeypatch.setitem(sys.modules, module.__name__, module)
    with pytest.raises(ValueError, match="marked for part2"):
        load_part(BY_ID["part5"])


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


# -- the generic calls every part's checks use (worker/ops.py call, call_method) ---------------------

@pytest.fixture(scope="module")
def student():
    """A Student on a worker loaded with the kit (the parts' kit code included) and the reference."""
    from autograder.pipeline.extract import extract
    from autograder.pipeline.grader import Grader
    from autograder.sandbox.student import Student

    grader = Grader.load(warm=False)
    limits = grader.settings.limits
    worker = grader.supply.take()
    reference = (Path(__file__).parent / "corpora" / "correct" / "reference.py").read_text()
    worker.call("load", limits.load_timeout, kit=grader.kit, student=extract([{"index": 0, "source": reference}])[0])
    yield Student(worker, limits.call_timeout)
    worker.remove()
    grader.close()


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
                              calls=[("batch_normalize", (Z, 1, "train"), {})], read=("running_mean", "cache"))
    normalised = out["calls"][0]["result"]
    assert np.allclose(normalised.mean(axis=1), 0) and set(out["read"]["cache"]) >= {"mu1", "var1"}
    assert np.allclose(out["read"]["running_mean"][1], 0.1 * Z.mean(axis=1, keepdims=True))
    assert np.array_equal(out["calls"][0]["args_after"][0], Z)  # the stub got a copy


def test_call_method_runs_kit_methods_that_call_the_stub_in_order(student):
    import numpy as np

    rng = np.random.default_rng(0)
    parameters = {"W1": rng.normal(size=(3, 2)), "b1": np.zeros((3, 1)), "W2": rng.normal(size=(1, 3)),
                  "b2": np.zeros((1, 1))}
    X, Y = rng.normal(size=(2, 4)), np.array([[1.0, 0.0, 1.0, 0.0]])
    out = student.call_method("backward_propagation", init=([2, 3, 1], "tanh", "xavier"),
                              attributes={"parameters": parameters},
                              calls=[("forward_propagation", (X,), {}), ("backward_propagation", (X, Y), {})],
                              read=("gradient_norms", "parameters"))
    forward, backward = out["calls"]
    assert forward["result"].shape == (1, 4) and set(backward["result"]) == {"dW1", "db1", "dW2", "db2"}
    assert set(out["read"]["gradient_norms"]) == {"layer_1", "layer_2"}
    assert all(np.array_equal(out["read"]["parameters"][k], v) for k, v in parameters.items())


def test_a_kit_object_argument_is_built_in_the_worker_and_read_back_after_the_call(student):
    import numpy as np

    from autograder.sandbox.student import KitObject

    gradients = {"dW1": np.full((1, 2), 0.5), "db1": np.zeros((1, 1))}
    X, Y, AL = np.ones((2, 3)), np.ones((1, 3)), np.full((1, 3), 0.5)
    network = KitObject("SuppliedNetwork", ([2, 1], "sigmoid", {"W1": np.ones((1, 2)), "b1": np.zeros((1, 1))},
                                            gradients, gradients, X, AL, Y), read=("calls",))
    out = student.call("diagnose_gradient_health", network, X, Y)
    assert out["result"]["healthy_layers"] == [1]
    assert [c["method"] for c in out["args_after"][0]["calls"]] == ["forward_propagation", "backward_propagation"]
    assert np.array_equal(out["args_after"][1], X)


def test_a_stub_the_submission_lacks_is_reported_missing_through_the_generic_call(student):
    from autograder.sandbox.workers import StubMissing

    with pytest.raises(StubMissing):
        student.call("no_such_stub")


# -- the manifest is the only list of parts ----------------------------------------------------------

PACKAGE = Path(__file__).resolve().parent.parent / "autograder"
# What names a part: its id, its stub and the class holding it.
PART_NAMES = sorted({name for part in PARTS for name in (part.id, part.stub, part.holder) if name})
NAMED = re.compile(r"\b(" + "|".join(PART_NAMES) + r")\b")


def own_modules():
    """The files allowed to name parts: the manifest, and each part's checks and references modules."""
    return {PACKAGE / "parts.py"} | {PACKAGE / folder / f"{part.checks}.py" for part in PARTS
                                     for folder in ("checks", "references")}


def code_literals(path):
    """(line, text) of each string literal of `path` that is code, not prose.

    A string is prose when it is a statement of its own (a docstring, or a bare string used as a
    comment), which `ast` finds by its position; comments are not STRING tokens at all. Every other
    STRING token (f-strings included, which tokenize reads as one token here) is code."""
    text = path.read_text()
    prose = {(node.lineno, node.col_offset) for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Expr)
             and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.STRING and token.start not in prose:
            yield token.start[0], token.string


def part_names_in_code(paths):
    return [f"{path.name}:{line}: {match}" for path in paths
            for line, literal in code_literals(path) for match in NAMED.findall(literal)]


def test_no_part_id_stub_or_holder_is_written_outside_the_manifest_and_the_parts_own_modules():
    others = sorted(set(PACKAGE.rglob("*.py")) - own_modules())
    assert len(others) > 40
    assert not part_names_in_code(others), "name parts through the manifest (autograder/parts.py) instead"


def test_a_part_name_in_code_is_found_and_one_in_prose_is_not(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""Grades part2."""\n# clip_gradients\nSTUB = "clip_gradients"\nx = f"{y}part5"\n'
                      'def f():\n    """backward_propagation"""\n    return "see part9 and part66"\n')
    found = [entry.split(": ")[1] for entry in part_names_in_code([sample])]
    assert found == ["clip_gradients", "part5", "part9"]


def test_the_kits_statements_reach_the_worker_compiled_and_a_garbled_code_falls_back_to_the_source(monkeypatch):
    from autograder.pipeline.grader import Grader
    from autograder.worker import wire

    kit = Grader.load(warm=False).kit
    sent = wire.decode(json.loads(json.dumps(wire.encode(kit))))  # as a worker receives them
    compiled = [compile(s["source"], f"<cell {s['cell']}>", "exec") for s in sent]
    with monkeypatch.context() as patched:
        patched.setattr(wire, "compile", lambda *args: pytest.fail("compiled in the worker"), raising=False)
        assert [wire.code_of(s).co_code for s in sent] == [c.co_code for c in compiled]
    garbled = dict(sent[0], code=["not base64!"])
    assert wire.code_of(garbled).co_code == compiled[0].co_code
