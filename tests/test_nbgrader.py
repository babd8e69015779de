"""A whole course through the real nbgrader, in a temporary course, exchange and gradebook.

The instructor's make targets run against a copy of the course (COURSE=tmp): `make release`;
the students fetch and submit with nbgrader as students do; `make collect`, `make autograde`,
`make feedback`, `make export`. Then `python -m autograder grade COURSE/submitted` (what
`make grade` runs) must give every student the same total and the same score per part as
nbgrader's gradebook. The students: one complete, one who did two stubs, one with a realistic
bug (dW without 1/m), one whose stub kills the process (os._exit), and hostile ones: a forger
(wrong clip_gradients, cells that monkeypatch check_part, other kit modules, NumPy and IPython's
display machinery, and saved test-cell outputs claiming full marks), an intruder (cells and a
stub that try to write into the course root, the gradebook, the exchange and another student's
folders) and a looper (a module-level infinite loop). No score may come from a kernel, no file
outside the student's own autograded folder may change.

Two students are then autograded again with EXECUTE=1 (their notebooks run in a confined
kernel, for outputs only): the intruder's cells cannot write and a cell of its own lists `/`
to find only what the kernel's allowlist names, the crashing one's kernel is replaced, and no
score changes.

Nothing is written in the repository: the course, exchange, gradebook and grades live in tmp.
Slow (3.5 to 8 minutes here, EXECUTE=1 included, depending on the machine's load; most of it
students fetching and submitting with nbgrader); the last tests are fast checks of the pieces.
"""
import ast
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from autograder import config

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "tests" / "corpora" / "correct" / "reference.py"
PER_ARRAY_CLIPPING = REPO / "tests" / "corpora" / "mutants" / "part5_per_array_clipping.py"
VENV_BIN = Path(sys.executable).parent
GRADING = config.load()
ASSIGNMENT = GRADING.assignment
NOTEBOOK = GRADING.notebook
COURSE_ID = "gradlab"

# part -> (class holding the stub or None, stub name)
STUBS = {
    "part2": ("DeepNeuralNetwork", "backward_propagation"),
    "part5": (None, "clip_gradients"),
    "part6": ("BatchNormNetwork", "batch_normalize"),
    "part9": (None, "diagnose_gradient_health"),
}
DW_LINE = "dW = (1 / m) * np.dot(dZ, A_prev.T)"


# -- students ------------------------------------------------------------------------------
def reference_body(cls, name, path=REFERENCE):
    """The body of `name` (a method of `cls`) in `path` (the reference implementation), dedented."""
    source = path.read_text()
    tree = ast.parse(source)
    scope = tree.body
    if cls:
        scope = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls).body
    node = next(n for n in scope if isinstance(n, ast.FunctionDef) and n.name == name)
    body = node.body[1:] if ast.get_docstring(node) else node.body
    lines = source.splitlines(keepends=True)[body[0].lineno - 1:body[-1].end_lineno]
    return textwrap.dedent("".join(lines))


def stub_lines(source, cls, name):
    """(first, last) 0-based line numbers of the stub's `# YOUR CODE HERE` + raise, or None."""
    tree = ast.parse(source)
    scope = tree.body
    if cls:
        scope = next((n.body for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls), [])
    for node in scope:
        if isinstance(node, ast.FunctionDef) and node.name == name and isinstance(node.body[-1], ast.Raise):
            last = node.body[-1].end_lineno - 1
            first = last - 1 if source.splitlines()[last - 1].strip() == "# YOUR CODE HERE" else last
            return first, last
    return None


def fill_stub(nb, part, body):
    """Replace the stub of `part` in the released notebook `nb` with `body`."""
    cls, name = STUBS[part]
    cells = [c for c in nb.cells if c.cell_type == "code" and stub_lines(c.source, cls, name)]
    assert len(cells) == 1, f"expected one stub cell for {name}"
    cell = cells[0]
    first, last = stub_lines(cell.source, cls, name)
    lines = cell.source.splitlines(keepends=True)
    indent = re.match(r" *", lines[last]).group(0)
    lines[first:last + 1] = [textwrap.indent(body, indent)]
    cell.source = "".join(lines)


# Module-level code of the forger: every way a cell could change what a test cell shows.
FORGER_CELL = """
import autograder.notebook, autograder.pipeline.grade, autograder.pipeline.score, autograder.pipeline.batch
import numpy
import IPython.display
import IPython.core.displayhook
autograder.notebook.check_part = lambda *args, **kwargs: 8.0
autograder.pipeline.grade.Run.grade = lambda *args, **kwargs: None
autograder.pipeline.score.record = lambda *args, **kwargs: {"score": 36}
autograder.pipeline.batch.prepare = lambda *args, **kwargs: None
numpy.allclose = lambda *args, **kwargs: True
numpy.testing.assert_allclose = lambda *args, **kwargs: None
IPython.display.display = lambda *args, **kwargs: print(8.0)
IPython.core.displayhook.DisplayHook.__call__ = lambda self, result=None: print(8.0)
"""

# The intruder tries, at module level and from inside its stub (which the workers run), to write
# into each of these (filled in by the course fixture), then answers correctly.
INTRUDER_WRITES = """
import os as _os
def _intrude():
    for _target in TARGETS:
        try:
            _os.makedirs(_os.path.dirname(_target), exist_ok=True)
            with open(_target, "a") as _handle:
                _handle.write("pwned")
            print("wrote", _target)
        except Exception as _error:
            print("could not write", _target, type(_error).__name__)
_intrude()
"""

# A demo cell of the intruder's own: what its kernel sees of the machine (EXECUTE=1 only).
LOOK_AROUND = """
import json, os
print("KERNEL-SEES " + json.dumps({"root": sorted(os.listdir("/")),
                                    "exists": {path: os.path.exists(path) for path in PLACES}}))
"""


def student_notebook(release_path, kind, targets=()):
    nb = nbformat.read(release_path, as_version=4)
    bodies = {part: reference_body(*stub) for part, stub in STUBS.items()}
    extra = {}  # part -> module-level code appended to its stub's cell
    if kind == "partial":
        bodies = {p: bodies[p] for p in ("part2", "part5")}
    elif kind == "buggy":
        assert DW_LINE in bodies["part2"]
        bodies["part2"] = bodies["part2"].replace(DW_LINE, "dW = np.dot(dZ, A_prev.T)  # forgot 1/m")
    elif kind == "crashing":
        bodies["part2"] = "import os\nos._exit(1)\n" + bodies["part2"]
    elif kind == "forger":
        bodies["part5"] = reference_body(None, "clip_gradients", PER_ARRAY_CLIPPING)
        extra["part5"] = FORGER_CELL
    elif kind == "intruder":
        code = f"TARGETS = {list(targets)!r}\n" + INTRUDER_WRITES
        bodies["part5"] = code + bodies["part5"]
        extra["part2"] = code
    elif kind == "looper":
        extra["part2"] = "\nwhile True:\n    pass\n"
    for part, body in bodies.items():
        fill_stub(nb, part, body)
    for part, code in extra.items():
        stub_cell(nb, part).source += "\n" + code
    if kind == "intruder":
        places = sorted({str(Path(t).parent) for t in targets} | {str(REPO / "solutions"), str(REPO / "grading.toml"),
                                                                 str(Path(nbformat.__file__).parent)})
        nb.cells.append(nbformat.v4.new_code_cell(f"PLACES = {places!r}\n" + LOOK_AROUND))
    if kind == "forger":  # saved outputs claiming full marks in every test cell
        for cell in nb.cells:
            points = cell.metadata.get("nbgrader", {}).get("points")
            if points:
                cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": str(points)},
                                                       execution_count=1)]
    return nb


def stub_cell(nb, part):
    cls, name = STUBS[part]
    return next(c for c in nb.cells if c.cell_type == "code" and re.search(rf"def {name}\(", c.source))


STUDENTS = ("complete", "partial", "buggy", "crashing", "forger", "intruder", "looper")
CORRECT = ("complete", "intruder", "looper")  # their stubs are right: full marks


# -- the course ----------------------------------------------------------------------------
def run(args, cwd, env, timeout=1800):
    started = time.monotonic()
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, (f"{' '.join(map(str, args))} exited {done.returncode}\n"
                                  f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}")
    return done, time.monotonic() - started


def make(target, course, env, *extra):
    return run(["make", "-s", "--no-print-directory", "-C", REPO, target, f"COURSE={course}", *extra],
               REPO, env)


def as_student(student, command, home, env, exchange):
    """`nbgrader <command>` as the student does it, from their home folder, with their own cache."""
    return run([VENV_BIN / "nbgrader", command, ASSIGNMENT, f"--course={COURSE_ID}",
                f"--Exchange.root={exchange}", f"--Exchange.cache={home / '.nbgrader_cache'}",
                f"--student={student}", "--log-level=WARN"], home, env)


def fetch_and_submit(student, homes, env, exchange, targets):
    home = homes / student
    home.mkdir(parents=True)
    as_student(student, "fetch_assignment", home, env, exchange)
    fetched = home / ASSIGNMENT / NOTEBOOK
    nbformat.write(student_notebook(fetched, student, targets), fetched)
    as_student(student, "submit", home, env, exchange)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Runs the whole course once; the tests below read what it left."""
    top = tmp_path_factory.mktemp("nbgrader_course")
    root, exchange, homes = top / "course", top / "exchange", top / "home"
    root.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "solutions", root / "solutions")
    release = root / "assignment" / ASSIGNMENT / NOTEBOOK
    env = {**os.environ,
           "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "GRADLAB_COURSE_ID": COURSE_ID,
           "GRADLAB_EXCHANGE": str(exchange),
           "GRADLAB_GRADEBOOK": str(root / "gradebook.db"),
           "GRADLAB_RELEASE": str(release),  # the kit grades against this course's release
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    times = {}
    _, times["make release"] = make("release", root, env)

    started = time.monotonic()
    for student in STUDENTS:
        fetch_and_submit(student, homes, env, exchange, intruder_targets(root, exchange))
    times["fetch and submit (students)"] = time.monotonic() - started

    _, times["make collect"] = make("collect", root, env, "CHECK_OWNER=False")
    before = snapshot(top)
    autograde, times["make autograde"] = make("autograde", root, env)
    changed = changes(before, snapshot(top), root)
    _, times["make feedback"] = make("feedback", root, env)
    export_csv = top / "nbgrader_grades.csv"
    _, times["make export"] = make("export", root, env, f"EXPORT={export_csv}")
    grades = top / "grades"
    _, times["python -m autograder grade"] = run(
        [sys.executable, "-m", "autograder", "grade", root / "submitted", "--out", grades], REPO, env)
    as_student("crashing", "fetch_feedback", homes / "crashing", env, exchange)
    print("\n" + "\n".join(f"{step:<30} {seconds:6.1f} s" for step, seconds in times.items()))
    return {"root": root, "homes": homes, "grades": grades, "export": export_csv, "times": times,
            "autograde_log": autograde.stdout + autograde.stderr, "env": env, "changed": changed,
            "exchange": exchange}


def intruder_targets(root, exchange):
    """Where the intruder tries to write: course root, gradebook, exchange, other students' folders."""
    return [str(root / "pwned.txt"), str(root / "gradebook.db"), str(exchange / "pwned.txt"),
            str(exchange / COURSE_ID / "inbound" / "pwned.txt"),
            str(root / "submitted" / "complete" / ASSIGNMENT / "pwned.txt"),
            str(root / "submitted" / "complete" / ASSIGNMENT / NOTEBOOK),
            str(root / "autograded" / "complete" / ASSIGNMENT / "pwned.txt"),
            str(root / "source" / "pwned.txt"), str(root / "solutions" / ASSIGNMENT / NOTEBOOK)]


def snapshot(top):
    """{path: (size, mtime, sha256)} of every file under `top`."""
    import hashlib

    found = {}
    for path in sorted(top.rglob("*")):
        if path.is_file():
            stat = path.stat()
            found[str(path)] = (stat.st_size, stat.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
    return found


def changes(before, after, root):
    """Files created, changed or removed outside what autograde itself writes.

    nbgrader writes autograded/<student>/ and the gradebook; everything else must stay as it was."""
    own = (str(root / "autograded") + os.sep, str(root / "gradebook.db"))
    return sorted(path for path in set(before) | set(after)
                  if before.get(path) != after.get(path) and not path.startswith(own))


def read_csv(path, key):
    with open(path, newline="") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


def gradebook_scores(course):
    """{student: {grade cell name: score}, with "total": nbgrader's total} straight from the gradebook."""
    from nbgrader.api import Gradebook

    scores = {}
    url = "sqlite:///" + str(course["root"] / "gradebook.db")
    with Gradebook(url, COURSE_ID) as gb:
        for submission in gb.assignment_submissions(ASSIGNMENT):
            cells = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
            scores[submission.student.id] = {**cells, "total": submission.score}
    return scores


# -- what nbgrader and `make grade` must agree on -------------------------------------------
@pytest.mark.slow
def test_every_student_has_a_gradebook_row_and_a_make_grade_row(course):
    assert sorted(gradebook_scores(course)) == sorted(STUDENTS)
    assert sorted(read_csv(course["grades"] / "grades.csv", "submission")) == sorted(STUDENTS)


@pytest.mark.slow
def test_nbgrader_gives_each_part_the_score_make_grade_gives(course):
    made = read_csv(course["grades"] / "grades.csv", "submission")
    book = gradebook_scores(course)
    mismatches = []
    for student in STUDENTS:
        for part in GRADING.parts:
            nbgrader_score, grade_score = book[student][f"test_{part}"], float(made[student][part])
            if abs(nbgrader_score - grade_score) > 1e-6:
                mismatches.append(f"{student} {part}: nbgrader {nbgrader_score:g}, make grade {grade_score:g}")
        if abs(book[student]["total"] - float(made[student]["total"])) > 1e-6:
            mismatches.append(f"{student} total: nbgrader {book[student]['total']:g}, "
                              f"make grade {made[student]['total']}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.slow
def test_export_has_the_gradebook_scores_per_part(course):
    exported = read_csv(course["export"], "student")
    book = gradebook_scores(course)
    assert sorted(exported) == sorted(STUDENTS)
    for student in STUDENTS:
        assert list(exported[student]) == ["student", *GRADING.parts, "total"]
        for part in GRADING.parts:
            assert float(exported[student][part]) == pytest.approx(book[student][f"test_{part}"])
        assert float(exported[student]["total"]) == pytest.approx(book[student]["total"])


@pytest.mark.slow
def test_the_students_get_the_scores_their_work_deserves(course):
    """Sanity of the whole chain: who did what gets what (both paths agree, checked above)."""
    made = read_csv(course["grades"] / "grades.csv", "submission")
    score = {s: {p: float(made[s][p]) for p in GRADING.parts} for s in STUDENTS}
    full = {p: part.points for p, part in GRADING.parts.items()}
    for student in CORRECT:
        assert score[student] == full, student
    assert 0 < score["forger"]["part5"] < full["part5"]
    assert score["forger"] == {**full, "part5": score["forger"]["part5"]}
    assert score["partial"] == {**full, "part6": 0, "part9": 0}
    assert 0 < score["buggy"]["part2"] < full["part2"]
    assert score["buggy"] == {**full, "part2": score["buggy"]["part2"]}
    assert score["crashing"] == {**full, "part2": 0}


# -- feedback --------------------------------------------------------------------------------
def feedback_page(course, student):
    return course["root"] / "feedback" / student / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")


@pytest.mark.slow
def test_no_student_changes_a_file_outside_their_own_autograded_folder(course):
    assert course["changed"] == []
    top = course["root"].parent
    assert not [p for p in top.rglob("*pwned*")], "the intruder wrote a file"
    assert b"pwned" not in (course["root"] / "gradebook.db").read_bytes()
    own = course["root"] / "autograded" / "intruder"
    assert not [p for p in own.rglob("*pwned*")]


@pytest.mark.slow
def test_autograde_runs_no_student_code_in_a_kernel(course):
    """By default nothing executes: no demo cell has an output, so no kernel ran them."""
    for student in STUDENTS:
        nb = nbformat.read(course["root"] / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
        demos = [c for c in nb.cells if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("grade")]
        assert demos and all(not c.outputs and c.execution_count is None for c in demos), student


@pytest.mark.slow
def test_every_feedback_page_shows_each_parts_checks_and_score(course):
    from autograder.checks import all_checks

    made = read_csv(course["grades"] / "grades.csv", "submission")
    for student in STUDENTS:
        page = feedback_page(course, student).read_text()
        for pid, part in GRADING.parts.items():
            # The table check_part shows (integrations/notebook.py PartResult): title, then the score.
            header = re.search(rf"<b>{re.escape(part.title)}</b> (?:&mdash;|\u2014) all checks: \d+/\d+ "
                               rf"passed \((\S+) of {part.points:g} points\)", page)
            assert header and float(header.group(1)) == float(made[student][pid]), (student, pid)
            for check in (c for c in all_checks() if c.part == pid):
                assert check.name in page.replace("<wbr>", "").replace("<wbr/>", ""), (student, pid, check.name)
    crashing = feedback_page(course, "crashing").read_text()
    assert "crashed" in crashing


@pytest.mark.slow
def test_released_feedback_reaches_the_student(course):
    fetched = list((course["homes"] / "crashing" / ASSIGNMENT / "feedback").glob(f"*/{NOTEBOOK[:-6]}.html"))
    assert len(fetched) == 1


@pytest.mark.slow
def test_no_feedback_page_shows_hidden_tests(course):
    for student in STUDENTS:
        page = feedback_page(course, student).read_text()
        assert "BEGIN HIDDEN TESTS" not in page and "END HIDDEN TESTS" not in page, student
        assert "hidden=True" not in page, student


@pytest.mark.slow
def test_no_test_cell_writes_to_stderr_or_fails(course):
    for student in STUDENTS:
        nb = nbformat.read(course["root"] / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
        tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert len(tests) == len(GRADING.parts)
        for cell in tests:
            kinds = [(o.output_type, o.get("name")) for o in cell.outputs]
            assert ("stream", "stderr") not in kinds and all(k != "error" for k, _ in kinds), \
                f"{student} {cell.metadata.nbgrader.grade_id}: {kinds}"
            results = [o for o in cell.outputs if o.output_type == "execute_result"]
            assert len(results) == 1 and float(results[0].data["text/plain"]) >= 0


@pytest.mark.slow
def test_autograde_reports_no_failed_submission(course):
    assert "There was an error processing assignment" not in course["autograde_log"]


# -- EXECUTE=1: the notebook runs, in a confined kernel, and decides nothing --------------------
EXECUTED = ("intruder", "crashing")


@pytest.fixture(scope="module")
def executed(course):
    """The intruder and the crashing student autograded again with EXECUTE=1, in a copy of the
    course (their submissions only, its own gradebook)."""
    if os.geteuid() != 0:
        pytest.skip("EXECUTE=1 needs root to confine the kernel (it refuses to run otherwise)")
    top = course["root"].parent
    root = top / "course_executed"
    submitted = course["root"] / "submitted"

    def left_out(folder, names):
        if Path(folder) == submitted:
            return [n for n in names if n not in EXECUTED]
        return [n for n in names if n in ("autograded", "feedback")]

    shutil.copytree(course["root"], root, ignore=left_out)
    env = {**course["env"], "GRADLAB_GRADEBOOK": str(root / "gradebook.db")}
    before = snapshot(top)
    _, seconds = make("autograde", root, env, "EXECUTE=1")
    print(f"\nmake autograde EXECUTE=1 ({len(EXECUTED)} students) {seconds:6.1f} s")
    notebooks = {s: nbformat.read(root / "autograded" / s / ASSIGNMENT / NOTEBOOK, as_version=4) for s in EXECUTED}
    return {"root": root, "changed": changes(before, snapshot(top), root), "notebooks": notebooks,
            "scores": gradebook_scores({"root": root})}


def printed(notebook):
    return "".join(o.get("text", "") + o.get("evalue", "") for c in notebook.cells if c.cell_type == "code"
                   for o in c.outputs)


@pytest.mark.slow
def test_execute_runs_the_demos_in_a_kernel_that_cannot_write_the_course(executed, course):
    cells = executed["notebooks"]["intruder"].cells
    imports = next(c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == "part1_imports")
    assert imports.execution_count is not None  # the notebook really ran
    text = printed(executed["notebooks"]["intruder"])
    gradebook = str(course["root"] / "gradebook.db")
    assert f"could not write {gradebook}" in text
    assert "wrote " not in text.replace("could not write", "")
    assert executed["changed"] == []
    assert not list(course["root"].parent.rglob("*pwned*"))


def kernel_tops():
    """The top-level names the confined kernel's allowlist makes, wherever Python and the kit live."""
    from autograder.sandbox.confined_kernel import DEFAULT_LIMITS, MODULES, kernel_policy

    folder = os.path.join(tempfile.gettempdir(), "gradlab-kernel-test")
    plan = kernel_policy(folder, DEFAULT_LIMITS, MODULES, (65534, 65534)).file_system
    return {path.split("/")[1] for path, _ in plan.read_only} | {"proc", folder.split("/")[1]}


@pytest.mark.slow
def test_execute_runs_the_demos_in_a_kernel_that_sees_only_its_allowlist(executed, course):
    text = printed(executed["notebooks"]["intruder"])
    seen = json.loads(re.search(r"KERNEL-SEES (\{.*\})", text).group(1))
    tops = kernel_tops()
    assert not {"etc", "home", "srv", "var", "opt", "mnt"} & tops  # the plan names none of these
    assert set(seen["root"]) <= tops, (seen["root"], tops)
    # Course, gradebook, exchange, other students, the kit's repository, other site-packages:
    # the top-level folders they live under may be on the way to the interpreter, they are not.
    assert seen["exists"] and not any(seen["exists"].values()), seen["exists"]
    assert str(course["root"]) in seen["exists"] and str(REPO / "solutions") in seen["exists"]


@pytest.mark.slow
def test_execute_goes_on_in_a_new_confined_kernel_when_a_stub_kills_it(executed):
    from autograder.integrations.nbgrader import DIED

    cells = [c for c in executed["notebooks"]["crashing"].cells if c.cell_type == "code"]
    died = [i for i, c in enumerate(cells) if DIED in printed(nbformat.v4.new_notebook(cells=[c]))]
    assert died, "no cell recorded the kernel's death"
    assert any(c.execution_count is not None for c in cells[died[0] + 1:])  # the new kernel ran the rest


@pytest.mark.slow
def test_execute_changes_no_score(executed, course):
    made = read_csv(course["grades"] / "grades.csv", "submission")
    for student in EXECUTED:
        for part in GRADING.parts:
            assert executed["scores"][student][f"test_{part}"] == pytest.approx(float(made[student][part])), \
                (student, part)
        tests = [c for c in executed["notebooks"][student].cells if c.metadata.get("nbgrader", {}).get("grade")]
        for cell in tests:  # never run in the kernel: only GradeFromFile's two outputs
            assert [o.output_type for o in cell.outputs] == ["display_data", "execute_result"]


# -- fast: the pieces, without nbgrader running ---------------------------------------------
def test_under_autograde_check_part_grades_the_notebook_file_not_the_kernel_history(tmp_path, monkeypatch):
    from autograder.integrations import notebook
    from autograder.pipeline import release
    from autograder.pipeline.grader import Grader
    from autograder.pipeline.load import Submission
    from autograder.pipeline.prepare import prepare

    nb = student_notebook(release.notebook_path(GRADING), "buggy")
    nbformat.write(nb, tmp_path / NOTEBOOK)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    grader = Grader.load(warm=False)
    assert notebook._graded_statements(grader) == []  # no kernel here: an empty history
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    statements = notebook._graded_statements(grader)
    assert statements == prepare(Submission("x", tmp_path / NOTEBOOK), grader).statements
    assert any("forgot 1/m" in s["source"] for s in statements)


def test_export_puts_each_test_cell_in_its_part():
    from autograder.integrations.export import part_of, to_csv

    parts = list(GRADING.parts)
    assert part_of("test_part2", parts) == "part2"
    assert part_of("test_part2_extra", parts) == "part2"
    assert part_of("test_part22", parts) is None
    assert part_of("part2_deep_network", parts) is None
    rows = [{"student": "ann", **{p: 1.5 for p in parts}, "total": 6.0},
            {"student": "=cmd", **{p: None for p in parts}, "total": None}]
    assert to_csv(rows, parts).splitlines() == [
        "student," + ",".join(parts) + ",total",
        "ann," + ",".join("1.5" for _ in parts) + ",6",
        "'=cmd," + ",".join("" for _ in parts) + ","]


def test_a_test_cells_points_are_the_parts_score_in_a_form_nbgrader_reads():
    from nbgrader.utils import determine_grade

    from autograder.pipeline import score
    from autograder.checks import all_checks
    from autograder.outcomes import Outcome, Status
    from autograder.pipeline.grading_service import Result
    from autograder.integrations.nbgrader import _part_outputs

    checks = all_checks()
    part5 = [c for c in checks if c.part == "part5"]
    outcomes = [Outcome(c.part, c.name, Status.PASSED if i < 2 else Status.FAILED,
                        "Passed." if i < 2 else "clip_ratio: expected 0.5, got 2.0") for i, c in enumerate(part5)]
    record = score.record("ann", outcomes, [], checks, GRADING, {"kind": "public", "seed": GRADING.seed})
    earned = record["parts"]["part5"]["score"]
    assert 0 < earned < GRADING.parts["part5"].points
    cell = nbformat.v4.new_code_cell("check_part('part5', hidden=True)", metadata={
        "nbgrader": {"grade": True, "solution": False, "points": GRADING.parts["part5"].points,
                     "grade_id": "test_part5"}})
    cell.outputs = _part_outputs("part5", record["parts"]["part5"], Result(record, {}, ""),
                                 float(GRADING.parts["part5"].points), [], first=True)
    assert determine_grade(cell) == (earned, GRADING.parts["part5"].points)
    html = cell.outputs[0].data["text/html"]
    assert all(c.name in html.replace("<wbr>", "") for c in part5) and "expected 0.5, got 2.0" in html
    with pytest.raises(ValueError, match="grading.toml"):
        _part_outputs("part5", record["parts"]["part5"], Result(record, {}, ""), 3.0, [], first=True)
