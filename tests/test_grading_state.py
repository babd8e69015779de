"""No module-level mutable grading state: whatever grading keeps, a Grader keeps.

Every module of the package is imported, every module-level dict, list, set and bytearray
is fingerprinted by its content (deeply), two submissions (a correct one and a buggy one)
are graded through a Grader and through the notebook's check_part, and the fingerprints
must not have changed. Not imported here: autograder/__main__.py (importing it runs the
command line), and autograder/worker/main.py, worker/ops.py and worker/sandbox.py, the
scripts of the worker process (they import each other by bare name, as a script does): a
worker runs one submission and is then discarded, so what they keep dies with it.
"""
import ast
import importlib
from pathlib import Path

import pytest

from autograder.pipeline.grader import Grader

from harness import CORPORA, REFERENCE, corpus_source, statements

PACKAGE = Path(__file__).resolve().parent.parent / "autograder"
SCRIPTS = {"autograder.__main__", "autograder.worker.main", "autograder.worker.ops", "autograder.worker.sandbox"}
CONTAINERS = (dict, list, set, bytearray)
BUGGY = corpus_source(REFERENCE, CORPORA / "mutants" / "part5_per_array_clipping.py")


def module_names():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(p for p in parts if p != "__init__")
        if name not in SCRIPTS:
            yield name


def content(value, depth=0, seen=None):
    """A comparable summary of `value`'s content, containers and objects' attributes included."""
    seen = set() if seen is None else seen
    if depth > 8 or id(value) in seen:
        return ("...", type(value).__name__)
    if isinstance(value, (str, bytes, int, float, bool, type(None))):
        return value
    seen = seen | {id(value)}
    if isinstance(value, dict):
        return ("dict", sorted(((repr(k), content(v, depth + 1, seen)) for k, v in value.items()), key=repr))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [content(v, depth + 1, seen) for v in value])
    if isinstance(value, (set, frozenset)):
        return ("set", sorted(repr(v) for v in value))
    if isinstance(value, bytearray):
        return ("bytearray", bytes(value))
    attributes = getattr(value, "__dict__", None)
    if isinstance(attributes, dict) and not isinstance(value, type) and not callable(value):
        return (type(value).__qualname__, content(attributes, depth + 1, seen))
    return (type(value).__qualname__, id(value))  # a function, a class, a module: the same object


def fingerprint(modules):
    """{(module, name): content} of every module-level container (Python's own __builtins__ aside)."""
    return {(module.__name__, name): content(value) for module in modules for name, value in vars(module).items()
            if isinstance(value, CONTAINERS) and not (name.startswith("__") and name.endswith("__"))}


@pytest.fixture(scope="module")
def modules():
    return [importlib.import_module(name) for name in module_names()]


def test_every_module_of_the_package_is_imported_and_fingerprinted(modules):
    assert len(modules) > 40 and fingerprint(modules)  # constant tables exist; they must stay constant


def test_grading_leaves_every_module_level_container_as_it_was(modules, tmp_path, monkeypatch):
    from autograder.integrations import notebook

    before = fingerprint(modules)
    with Grader.load() as grader:
        graded = [grader.grade(statements(source)) for source in (REFERENCE.read_text(), BUGGY)]
    assert all(o.passed for o in graded[0].outcomes) and not all(o.passed for o in graded[1].outcomes)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    for source, full in ((REFERENCE.read_text(), True), (BUGGY, False)):
        monkeypatch.setattr(notebook, "_executed_cells", lambda source=source: [{"index": 0, "source": source,
                                                                                  "nbgrader": {}}])
        result = notebook.check_part("part5", hidden=True)
        assert (result.score == result.max_score) is full
    after = fingerprint(modules)
    changed = sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))
    assert not changed, f"module-level state changed while grading: {changed}"


def test_a_module_level_cache_would_be_found(modules):
    from autograder import parts

    before = fingerprint(modules)
    parts.BY_ID["part99"] = "grading state"
    try:
        assert fingerprint(modules) != before
    finally:
        del parts.BY_ID["part99"]
    assert fingerprint(modules) == before


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_of_the_package_has_a_global_statement(path):
    found = [node.lineno for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Global)]
    assert not found, f"{path.relative_to(PACKAGE.parent)}: `global` on line(s) {found}: keep it on a Grader"
