"""The committed student release assignment/lab4_3/ and what nbgrader makes of it.

- fresh: it equals what `nbgrader generate_assignment` makes from the source notebook now
  (run `make release` when this fails);
- clean: no solution code, no hidden test, and every stub is nbgrader's
  `raise NotImplementedError()`;
- slow: `nbgrader validate` passes on the solutions and fails on the release; the untouched
  release runs top to bottom without killing the kernel, and every test cell shows 0 points.

Everything nbgrader writes goes to a temporary course directory, never the repository.
"""
import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import config

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "tests" / "corpora" / "correct" / "reference.py"
GRADING = config.load()
ASSIGNMENT = GRADING.assignment
NOTEBOOK = GRADING.notebook
SOURCE = REPO / "solutions" / ASSIGNMENT / NOTEBOOK
RELEASE = REPO / "assignment" / ASSIGNMENT / NOTEBOOK
VENV_BIN = Path(sys.executable).parent

# class holding the stub (None for a function), stub name
STUBS = [("DeepNeuralNetwork", "backward_propagation"), (None, "clip_gradients"),
         ("BatchNormNetwork", "batch_normalize"), (None, "diagnose_gradient_health")]
SOLUTION_REGION = re.compile(r"^[ \t]*### BEGIN SOLUTION\n(.*?)^[ \t]*### END SOLUTION\n?", re.MULTILINE | re.DOTALL)


def course_env(root):
    return {**os.environ,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "GRADLAB_COURSE_ID": "gradlab",
            "GRADLAB_EXCHANGE": str(root / "exchange"),
            "GRADLAB_GRADEBOOK": str(root / "gradebook.db"),
            "TF_CPP_MIN_LOG_LEVEL": "3"}


def new_course(root):
    """A course directory in `root` with the repository's nbgrader_config.py and solutions."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "solutions", root / "solutions")
    return root


def nbgrader(args, root):
    return subprocess.run([str(VENV_BIN / "nbgrader"), *args], cwd=root, env=course_env(root),
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """The release `nbgrader generate_assignment` makes now, in a temporary course."""
    root = new_course(tmp_path_factory.mktemp("release") / "course")
    done = nbgrader(["generate_assignment", ASSIGNMENT, "--force", "--log-level=WARN"], root)
    assert done.returncode == 0, done.stdout + done.stderr
    return nbformat.read(root / "assignment" / ASSIGNMENT / NOTEBOOK, as_version=4)


@pytest.fixture(scope="module")
def release():
    assert RELEASE.is_file(), f"{RELEASE.relative_to(REPO)} is missing: run `make release`"
    return nbformat.read(RELEASE, as_version=4)


def code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def comparable(cell):
    return {"cell_type": cell.cell_type, "id": cell.get("id"), "source": cell.source,
            "metadata": dict(cell.metadata)}


# -- fresh --------------------------------------------------------------------------------
def test_the_committed_release_is_what_generate_assignment_makes_now(release, regenerated):
    stale = "the committed release is stale: run `make release` and commit assignment/"
    assert len(release.cells) == len(regenerated.cells), stale
    for index, (committed, fresh) in enumerate(zip(release.cells, regenerated.cells)):
        assert comparable(committed) == comparable(fresh), f"cell {index + 1} differs; {stale}"
    assert release.metadata == regenerated.metadata, stale


# -- clean --------------------------------------------------------------------------------
def test_the_release_has_no_solution_or_hidden_test_markers(release):
    text = "\n".join(c.source for c in release.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                   "hidden=True", "BEGIN MARK SCHEME"):
        assert marker not in text


def distinctive_solution_lines():
    """Lines of the solutions (the source's solution regions and the reference's stub bodies)
    that appear nowhere else in the source notebook: if one is in the release, a solution leaked."""
    source = nbformat.read(SOURCE, as_version=4)
    texts = [c.source for c in source.cells]
    solution = [m.group(1) for t in texts for m in SOLUTION_REGION.finditer(t)]
    elsewhere = {line.strip() for t in texts for line in SOLUTION_REGION.sub("", t).splitlines()}
    tree = ast.parse(REFERENCE.read_text())
    lines = REFERENCE.read_text().splitlines()
    for cls, name in STUBS:
        scope = tree.body if cls is None else next(
            n.body for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls)
        node = next(n for n in scope if isinstance(n, ast.FunctionDef) and n.name == name)
        solution.append("\n".join(lines[node.body[0].lineno - 1:node.end_lineno]))
    candidates = {line.strip() for text in solution for line in text.splitlines()}
    return sorted(line for line in candidates
                  if len(line) >= 16 and not line.startswith("#") and line not in elsewhere)


def test_no_solution_code_survives_in_the_release(release):
    distinctive = distinctive_solution_lines()
    assert len(distinctive) >= 20, distinctive  # the comparison below really compares something
    released = {line.strip() for c in release.cells for line in c.source.splitlines()}
    leaked = [line for line in distinctive if line in released]
    assert not leaked, leaked


def stub_body(nb, cls, name):
    for cell in code(nb):
        tree = ast.parse(cell.source)
        scope = tree.body if cls is None else next(
            (n.body for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls), [])
        for node in scope:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return cell, node.body[1:] if ast.get_docstring(node) else node.body
    raise AssertionError(f"{name} is not in the release")


@pytest.mark.parametrize("cls,name", STUBS, ids=[name for _, name in STUBS])
def test_each_stub_is_nbgraders_raise_not_implemented_error(release, cls, name):
    cell, body = stub_body(release, cls, name)
    assert [ast.unparse(s) for s in body] == ["raise NotImplementedError()"]
    assert "# YOUR CODE HERE\n" in cell.source
    assert cell.metadata.nbgrader["solution"] is True and cell.metadata.nbgrader["locked"] is False


def test_each_part_has_one_test_cell_with_the_points_of_grading_toml(release):
    tests = {c.metadata.nbgrader["grade_id"]: c for c in release.cells
             if c.metadata.get("nbgrader", {}).get("grade")}
    assert sorted(tests) == sorted(f"test_{p}" for p in GRADING.parts)
    for part_id, part in GRADING.parts.items():
        cell = tests[f"test_{part_id}"]
        assert cell.metadata.nbgrader["points"] == part.points
        # The call is the cell's last line: its result is the cell's one output, the feedback
        # table, whose text/plain is the score nbgrader reads (no second, bare score).
        assert cell.source.rstrip().endswith(f'\ncheck_part("{part_id}")')


# -- slow: nbgrader validate and a headless run -------------------------------------------
@pytest.mark.slow
def test_nbgrader_validate_passes_on_the_solutions(tmp_path):
    root = new_course(tmp_path / "course")
    done = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(REPO), "validate",
                           f"COURSE={root}"], env=course_env(root), capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passes all its tests" in done.stdout


@pytest.mark.slow
def test_nbgrader_validate_fails_on_the_release(tmp_path):
    root = new_course(tmp_path / "course")
    target = root / "assignment" / ASSIGNMENT
    target.mkdir(parents=True)
    shutil.copy(RELEASE, target)
    done = nbgrader(["validate", str(target / NOTEBOOK)], root)
    assert done.returncode == 0, done.stderr  # nbgrader validate reports failures on stdout
    assert "VALIDATION FAILED ON 4 CELL(S)" in done.stdout
    assert "Success!" not in done.stdout


def quiet_tensorflow_not_preset():
    """The environment without the variables that silence TensorFlow, so a test sees whether the
    notebook silences it by itself (make exports them for its own processes)."""
    return {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")}


@pytest.mark.slow
def test_the_untouched_release_runs_quietly_and_every_test_cell_shows_zero_points_once(tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(RELEASE, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=quiet_tensorflow_not_preset())
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(tests) == len(GRADING.parts)
    for cell in tests:
        grade_id = cell.metadata.nbgrader["grade_id"]
        # One output: the feedback table, whose text/plain is the score nbgrader reads.
        assert [o.output_type for o in cell.outputs] == ["execute_result"], (grade_id, cell.outputs)
        result = cell.outputs[0]
        assert result.data["text/plain"] in ("0", "0.0"), grade_id
        assert "public checks: 0/" in result.data["text/html"], grade_id
    errors = {}
    for cell in code(nb):
        grade_id = cell.metadata.nbgrader["grade_id"]
        for output in cell.outputs:
            assert not (output.output_type == "stream" and output.name == "stderr"), \
                f"{grade_id} wrote to stderr: {output.text[:300]}"
            if output.output_type == "error":
                errors[grade_id] = (output.ename, output.evalue)
    # Only the stubs' own NotImplementedError; a demo that needs one says which part to finish.
    assert errors and {ename for ename, _ in errors.values()} == {"NotImplementedError"}, errors
    for grade_id, (_, evalue) in errors.items():
        assert evalue.startswith("complete Part "), (grade_id, evalue)
    assert errors["part8_comparison"][1].startswith("complete Part 2 first")
