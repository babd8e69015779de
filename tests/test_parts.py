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
            assert (holder, attribute) == ((part.holder, part.stub) if part.holder else (part.stub, None))
    finally:
        sys.modules.pop("ops", None)
