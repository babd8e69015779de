"""The student distribution: `make wheel` ships the kit without the solutions, and it works alone.

Fast: the leak check finds a solutions notebook, a test file and a solution
cell wherever they hide in a zip. Slow: the wheel is built, installed into a
fresh virtual environment that has nothing of this repository (with the pinned
requirements as constraints, from the local mirrors), and the released
notebook, alone in a folder, runs its test cells in a real kernel of that
environment: full marks for a correctly filled copy, 0 for the untouched one.
"""
import contextlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.integrations import wheel
from autograder.config import REPO

RELEASE = REPO / "assignment" / "lab4_3" / "lab4_3.ipynb"
SOLUTIONS = REPO / "solutions" / "lab4_3" / "lab4_3.ipynb"
PARTS = ("part2", "part5", "part6", "part9")
MARKER = "### BEGIN " + "SOLUTION"


def _zip(path, files):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def test_the_leak_check_finds_solutions_tests_and_solution_cells_even_inside_a_wheel_in_a_zip(tmp_path):
    clean = {"autograder/__init__.py": "", "autograder/data/lab4_3.ipynb": RELEASE.read_text()}
    assert wheel.leaks(_zip(tmp_path / "clean.whl", clean)) == []
    leaky = {
        "solutions.ipynb": {"solutions/lab4_3/lab4_3.ipynb": "{}"},
        "tests.py": {"tests/harness.py": ""},
        "test_file.py": {"autograder/test_things.py": ""},
        "solution cell": {"autograder/data/lab4_3.ipynb": SOLUTIONS.read_text()},
        "hidden tests": {"notes.txt": "### BEGIN " + "HIDDEN TESTS"},
    }
    for what, files in leaky.items():
        assert wheel.leaks(_zip(tmp_path / "leaky.whl", {**clean, **files})), what
    inner = _zip(tmp_path / "inner.whl", {**clean, **leaky["solution cell"]})
    outer = _zip(tmp_path / "outer.zip", {"setup.sh": "", "gradlab-0.1.0-py3-none-any.whl": inner.read_bytes()})
    assert wheel.leaks(outer), "a wheel inside the Gradescope zip is looked into"


# -- slow: build, install alone, run the notebook's test cells ----------------------------------------

@pytest.fixture(scope="module")
def built(student_wheel):
    return student_wheel[0]  # built once per test process (tests/conftest.py), as `make wheel` builds it


@pytest.mark.slow
def test_the_wheel_holds_the_package_grading_toml_and_the_release_and_nothing_of_the_solutions(built):
    assert built.name == wheel.wheel_name() and built.name.startswith("gradlab-")
    with zipfile.ZipFile(built) as opened:
        names = opened.namelist()
        assert {"autograder/__init__.py", "autograder/worker/sandbox.py", "autograder/checks/part5_clipping.py",
                "autograder/data/grading.toml", "autograder/data/lab4_3.ipynb"} <= set(names)
        assert [n for n in names if n.endswith(".ipynb")] == ["autograder/data/lab4_3.ipynb"]
        assert opened.read("autograder/data/lab4_3.ipynb") == RELEASE.read_bytes()
        assert not [n for n in names if n.startswith(("solutions/", "tests/")) or "__pycache__" in n]
        assert not [n for n in names if MARKER.encode() in opened.read(n)]
        metadata = opened.read(f"gradlab-{built.name.split('-')[1]}.dist-info/METADATA").decode()
    # Per platform: tensorflow-cpu where it exists (Linux x86_64, Windows), tensorflow elsewhere.
    assert "Requires-Dist: tensorflow-cpu" in metadata and 'sys_platform == "win32"' in metadata
    assert "Requires-Dist: tensorflow>=" in metadata and 'sys_platform == "darwin"' in metadata


def _clean_env(**extra):
    """The environment of a student's shell: nothing that points back into this repository."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "GRADLAB_", "JUPYTER"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(REPO)))
    return {**env, **extra}


@pytest.fixture(scope="module")
def student_env(built, tmp_path_factory):
    """A fresh venv with the wheel installed (pins as constraints) and a Jupyter kernel of its own."""
    base = tmp_path_factory.mktemp("student")
    venv, jupyter = base / "venv", base / "jupyter"
    env = _clean_env()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env, cwd=base)
    python = venv / "bin" / "python"
    # --no-compile: byte-compiling TensorFlow would double the install time of this one slow test.
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "--no-compile", str(built), "-c", str(REPO / "requirements.txt")],
                          capture_output=True, text=True, env=env, cwd=base)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    subprocess.run([str(python), "-m", "ipykernel", "install", "--prefix", str(jupyter), "--name", "gradlab-student"],
                   check=True, capture_output=True, env=env, cwd=base)
    return python, jupyter / "share" / "jupyter"


@pytest.mark.slow
def test_the_installed_wheel_finds_grading_toml_and_the_release_inside_itself(student_env, tmp_path):
    python, _ = student_env
    script = ("import json, autograder, autograder.config as c, autograder.pipeline.release as r\n"
              "print(json.dumps([autograder.__file__, str(c.DEFAULT_PATH), str(r.notebook_path(c.load()))]))")
    done = subprocess.run([str(python), "-c", script], capture_output=True, text=True, env=_clean_env(),
                          cwd=tmp_path, check=True)
    package, grading, notebook = json.loads(done.stdout)
    site = str(python.parent.parent / "lib")
    assert package.startswith(site) and grading.startswith(site) and notebook.startswith(site)
    assert Path(notebook).read_bytes() == RELEASE.read_bytes()


def _filled(notebook):
    """The release with each stub cell's code taken from the solutions notebook."""
    solutions = nbformat.read(SOLUTIONS, as_version=4)
    answers = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in solutions.cells}
    for cell in notebook.cells:
        info = cell.metadata.get("nbgrader", {})
        if info.get("solution"):
            cell.source = answers[info["grade_id"]].replace(MARKER, "# (filled in)")
    return notebook


def _test_cells_only(notebook):
    """The imports, the stubs and the test cells: the demos (training runs) are not needed here."""
    keep = []
    for cell in notebook.cells:
        info = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (info.get("grade_id") == "part1_imports" or info.get("solution")
                                         or info.get("grade")):
            keep.append(cell)
    # check_part again returns each part's result, its rows typed records.
    keep.append(nbformat.v4.new_code_cell(
        "import json\nfrom autograder.notebook import check_part\n"
        "results = [check_part(p) for p in ('part2', 'part5', 'part6', 'part9')]\n"
        "print('GRADLAB-ROWS ' + json.dumps({p.part: [sum(r.points for r in p.rows), "
        "all(r.passed for r in p.rows)] for p in results}))"))
    notebook.cells = keep
    return notebook


@contextlib.contextmanager
def _environment(env):
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_test_cells(student_env, folder, notebook):
    """{part: (score shown by its test cell, public points, every public check passed)}."""
    from nbclient import NotebookClient  # noqa: PLC0415

    _, jupyter_path = student_env
    folder.mkdir()
    nbformat.write(notebook, folder / "lab4_3.ipynb")
    assert [p.name for p in folder.iterdir()] == ["lab4_3.ipynb"]  # the folder holds only the notebook
    notebook = _test_cells_only(notebook)
    with _environment(_clean_env(JUPYTER_PATH=str(jupyter_path), TF_CPP_MIN_LOG_LEVEL="3", MPLBACKEND="Agg")):
        client = NotebookClient(notebook, kernel_name="gradlab-student", timeout=600, allow_errors=True,
                                resources={"metadata": {"path": str(folder)}})
        client.execute()
    scores = {}
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        results = [o for o in cell.get("outputs", []) if o.output_type == "execute_result"]
        if grade_id.startswith("test_") and results:
            scores[grade_id[len("test_"):]] = float(results[-1].data["text/plain"])
    text = "".join(o.get("text", "") for o in notebook.cells[-1].get("outputs", []))
    rows = json.loads(text.split("GRADLAB-ROWS ", 1)[1])
    return {part: (scores.get(part), rows[part][0], rows[part][1]) for part in PARTS}


@pytest.mark.slow
def test_a_correctly_filled_notebook_gets_full_marks_from_the_installed_wheel(student_env, tmp_path):
    got = run_test_cells(student_env, tmp_path / "work", _filled(nbformat.read(RELEASE, as_version=4)))
    for part, (score, public, passed) in got.items():
        assert passed and public > 0 and score == public, (part, got)


@pytest.mark.slow
def test_the_untouched_release_gets_zero_from_the_installed_wheel(student_env, tmp_path):
    got = run_test_cells(student_env, tmp_path / "work", nbformat.read(RELEASE, as_version=4))
    for part, (score, public, passed) in got.items():
        assert score == 0 and public > 0 and not passed, (part, got)
