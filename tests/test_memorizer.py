"""The memorizing student of issue 22 is a real attack: built from the student wheel alone, it
gets full marks where the grader grades on the inputs the wheel publishes, and what stubs
returning zeros get anywhere else.

Slow: the wheel is built once (`python -m autograder wheel`), unpacked, and its checks are run
at the seed its grading.toml ships against tests/corpora/correct/reference.py, recording every
stub call (tests/attacks/memorizer.py; a few seconds, most of it importing TensorFlow). From the
records come three submissions: the memorizer (answers of the correct implementation), the
transcriber (answers of the wheel's own reference code) and the zeros submission (stubs that
compute nothing). Each is graded as the student's self-check grades (the public seed, no
secret), where the memorizer looks correct, and with another seed, where it is zeros. Then by
every path that grades with the course's secret (make grade, nbgrader autograde, the Gradescope
autograder as Gradescope runs it): there the memorizer and the transcriber earn no more than
zeros and are flagged for the TA, and the reference keeps full marks.
"""
import ast
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from attacks.memorizer import memorizer_source, record_calls, unpack_wheel, zeros_source
from autograder import config
from autograder.config import REPO
from autograder.parts import PARTS
from harness import REFERENCE

SUBMISSIONS = ("reference", "memorizer", "transcriber", "zeros")


@dataclass
class Attack:
    kit: Path                # the unpacked wheel
    seed: int                # the seed the wheel's grading.toml ships
    records: list            # record_calls' records, one per check the wheel ran
    files: dict = field(default_factory=dict)  # submission name -> its .py file

    @property
    def recorded(self):
        """(part, check) of every check the recorder ran to the end with the correct implementation."""
        return {(r["part"], r["check"]) for r in self.records if r["status"] == "passed"}

    def source(self, name):
        return self.files[name].read_text()


@pytest.fixture(scope="module")
def attack(tmp_path_factory, student_wheel):
    root = tmp_path_factory.mktemp("attack")
    kit = unpack_wheel(student_wheel[0], root / "kit")
    seed = config.load(kit / "autograder" / "data" / "grading.toml").seed
    implementation = REFERENCE.read_text()
    records = record_calls(kit, implementation)
    attack = Attack(kit, seed, records)
    sources = {"reference": implementation,
               "memorizer": memorizer_source(records, base=implementation),
               "transcriber": memorizer_source(records, answer_from="wheel", base=implementation),
               "zeros": zeros_source(implementation)}
    (root / "submissions").mkdir()
    for name in SUBMISSIONS:
        attack.files[name] = root / "submissions" / f"{name}.py"
        attack.files[name].write_text(sources[name])
    return attack


@pytest.fixture(scope="module")
def graded(attack, harness):
    """{(submission, "public" | "other"): {(part, check): Outcome}}, each graded once."""
    seeds = {"public": attack.seed, "other": attack.seed + 1}
    return {(name, which): harness.grade(attack.source(name), seed=seed)
            for name in SUBMISSIONS for which, seed in seeds.items()}


def points(harness, outcomes, checks=None):
    """The points of the passed outcomes (of `checks`, (part, check) pairs, if given)."""
    parts = harness.grading.parts
    return sum(parts[part].checks[name] for (part, name), o in outcomes.items()
               if o.passed and (checks is None or (part, name) in checks))


def passed(outcomes):
    return {key for key, o in outcomes.items() if o.passed}


# -- the recorder ---------------------------------------------------------------------------------

def test_the_recorder_refuses_a_folder_that_does_not_hold_the_wheel(tmp_path):
    # An empty folder: `autograder` would come from elsewhere (an editable install of this
    # repository, say), and then the attack would not be built from the wheel alone.
    with pytest.raises(RuntimeError, match="recorder failed"):
        record_calls(tmp_path, REFERENCE.read_text())


@pytest.mark.slow
def test_the_recorder_runs_every_public_check_of_the_wheel_and_records_its_calls(attack, harness):
    public = {(c.part, c.name) for c in harness.grader.checks if not c.hidden}
    ran = {(r["part"], r["check"]) for r in attack.records}
    assert public <= ran, f"public checks the recorder did not run: {public - ran}"
    assert attack.recorded == ran, [(r["check"], r["detail"]) for r in attack.records if r["status"] != "passed"]
    assert all(r["calls"] for r in attack.records), "a check that calls no stub"
    assert all(r["seed"] == attack.seed for r in attack.records)
    assert all(len(call["key"]) == 32 for r in attack.records for call in r["calls"])


def stub_bodies(source):
    """{stub: the statements of its body} of the lab's four stubs in `source`."""
    top = {node.name: node for node in ast.parse(source).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    bodies = {}
    for part in PARTS:
        holder, attribute = part.location
        node = top[holder]
        if attribute is not None:
            node = next(n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == attribute)
        bodies[part.stub] = node.body
    return bodies


@pytest.mark.slow
def test_the_submissions_keep_the_lab_s_classes_and_their_stubs_only_hand_the_call_on(attack):
    for name, dispatch in (("memorizer", "_memorized"), ("transcriber", "_memorized"), ("zeros", "_zeros")):
        text = attack.source(name)
        assert "class BatchNormNetwork(DeepNeuralNetwork)" in text
        for stub, body in stub_bodies(text).items():
            assert len(body) == 1 and isinstance(body[0], ast.Return), (name, stub)
            assert body[0].value.func.id == dispatch, (name, stub)


# -- with the public seed: the student's self-check ------------------------------------------------------

@pytest.mark.slow
def test_with_the_public_seed_the_memorizer_passes_every_check_it_recorded(attack, graded, harness):
    outcomes = graded[("memorizer", "public")]
    failed = {key: outcomes[key].feedback for key in attack.recorded if not outcomes[key].passed}
    assert not failed
    assert points(harness, outcomes, attack.recorded) == points(harness, graded[("reference", "public")],
                                                                attack.recorded)


@pytest.mark.slow
def test_with_the_public_seed_stubs_returning_zeros_get_far_fewer_marks(graded, harness):
    full = harness.grading.max_score
    assert points(harness, graded[("reference", "public")]) == full
    zeros, memorizer = points(harness, graded[("zeros", "public")]), points(harness, graded[("memorizer", "public")])
    assert zeros <= full / 4 < memorizer, (zeros, memorizer)


@pytest.mark.slow
def test_with_the_public_seed_the_wheel_s_own_references_answer_for_the_student(graded, harness):
    # The transcriber's answers come from the reference code in the wheel, not from a correct
    # implementation: whatever it gets beyond zeros, the wheel handed over.
    transcriber = points(harness, graded[("transcriber", "public")])
    zeros = points(harness, graded[("zeros", "public")])
    assert transcriber > zeros, (transcriber, zeros)


# -- with another seed: what the memorizer is without its table --------------------------------------

@pytest.mark.slow
def test_with_another_seed_the_memorizer_and_the_transcriber_get_exactly_what_zeros_get(graded, harness):
    assert points(harness, graded[("reference", "other")]) == harness.grading.max_score
    zeros = passed(graded[("zeros", "other")])
    for name in ("memorizer", "transcriber"):
        assert passed(graded[(name, "other")]) == zeros, name


# -- the paths that grade with the course's secret (issue 22) ------------------------------------------
# Each grades the four files with the tests' secret (tests/conftest.py): the memorizer and the
# transcriber earn no more than zeros, each is flagged for the TA, and the reference keeps full marks.

ATTACKS = ("memorizer", "transcriber")


def grade_paths(folder, out, *options, env=None):
    """{submission id: results record} of `python -m autograder grade FOLDER --out OUT` (make grade)
    with `options` (such as --seed N) and `env` added to the environment."""
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(out),
                           "--jobs", "2", "--no-similarity", *map(str, options)], cwd=REPO,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return {path.stem: json.loads(path.read_text()) for path in sorted((Path(out) / "results").glob("*.json"))}


def flag_kinds(record):
    return {flag["kind"] for flag in record.get("flags", [])}


@pytest.fixture(scope="module")
def make_grade(attack, tmp_path_factory):
    out = tmp_path_factory.mktemp("make_grade")
    return grade_paths(attack.files["reference"].parent, out / "out"), out / "out"


@pytest.mark.slow
def test_make_grade_with_the_secret_gives_the_memorizer_no_more_than_zeros(make_grade):
    results, _ = make_grade
    assert results["reference"]["score"] == results["reference"]["max_score"]
    for name in ATTACKS:
        assert results[name]["score"] <= results["zeros"]["score"], (name, results[name]["score"])
        assert results[name]["inputs"]["kind"] == "graded"


@pytest.mark.slow
def test_make_grade_flags_the_memorizer_for_the_ta_and_not_the_reference(make_grade):
    results, out = make_grade
    for name in ATTACKS:
        assert flag_kinds(results[name]) == {"published_inputs_only", "literal_blob"}, results[name]["flags"]
    assert results["reference"]["flags"] == [] and results["zeros"]["flags"] == []
    report = (out / "report.html").read_text()
    section = report[report.index('id="hard-coded"'):report.index('id="distributions"') if 'id="distributions"'
                     in report else None]
    assert "memorizer" in section and "passes the published inputs only" in section
    # The student's own page says nothing of it: the flag is a reason for a TA to look, not a verdict.
    assert "hard-coded" not in (out / "feedback" / "memorizer.html").read_text()


@pytest.mark.slow
def test_gradescope_as_gradescope_runs_it_gives_the_memorizer_no_more_than_zeros(attack, tmp_path_factory):
    from test_gradescope import built_autograder, grade_on_gradescope  # noqa: PLC0415 - the same layout

    _, root = built_autograder(tmp_path_factory.mktemp("gradescope"))
    results = {name: grade_on_gradescope(root, "lab4_3.py", attack.source(name)) for name in SUBMISSIONS}
    assert results["reference"]["score"] == config.load().max_score
    for name in ATTACKS:
        assert results[name]["score"] <= results["zeros"]["score"], (name, results[name]["score"])
    shown = json.dumps(results)
    assert "published inputs only" not in shown  # flags go to the instructor's stdout, not to students


@pytest.mark.slow
def test_nbgrader_autograde_gives_the_memorizer_no_more_than_zeros(attack, tmp_path_factory):
    import test_nbgrader as nb  # noqa: PLC0415 - its course steps: release, fetch, submit, collect, autograde

    top = tmp_path_factory.mktemp("nbgrader_memorizer")
    root, exchange, homes = top / "course", top / "exchange", top / "home"
    root.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "solutions", root / "solutions")
    env = {**os.environ, "PATH": f"{nb.VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "GRADLAB_COURSE_ID": nb.COURSE_ID, "GRADLAB_EXCHANGE": str(exchange),
           "GRADLAB_GRADEBOOK": str(root / "gradebook.db"),
           "GRADLAB_RELEASE": str(root / "assignment" / nb.ASSIGNMENT / nb.NOTEBOOK), "TF_CPP_MIN_LOG_LEVEL": "3"}
    nb.make("release", root, env)
    for name in SUBMISSIONS:
        home = homes / name
        home.mkdir(parents=True)
        nb.as_student(name, "fetch_assignment", home, env, exchange)
        fetched = home / nb.ASSIGNMENT / nb.NOTEBOOK
        nbformat.write(notebook_of(fetched, attack.files[name]), fetched)
        nb.as_student(name, "submit", home, env, exchange)
    nb.make("collect", root, env, "CHECK_OWNER=False")
    done, _ = nb.make("autograde", root, env)
    scores = nb.gradebook_scores({"root": root})
    assert scores["reference"]["total"] == config.load().max_score
    for name in ATTACKS:
        assert scores[name]["total"] <= scores["zeros"]["total"], (name, scores[name])
        kept = json.loads((root / "autograded" / name / nb.ASSIGNMENT / f"{Path(nb.NOTEBOOK).stem}.gradlab.json")
                          .read_text())
        assert flag_kinds(kept) == {"published_inputs_only", "literal_blob"}, kept["flags"]
    assert "for a TA to look at" in done.stdout + done.stderr


def notebook_of(release_path, path):
    """The released notebook with its four stubs' bodies taken from the .py at `path`, and that file's
    own helpers (its `_`-named definitions, its imports) in the first stub's cell."""
    import test_nbgrader as nb  # noqa: PLC0415

    notebook = nbformat.read(release_path, as_version=4)
    for part, (cls, name) in nb.STUBS.items():
        nb.fill_stub(notebook, part, nb.reference_body(cls, name, path))
    source = path.read_text()
    helpers = [node for node in ast.parse(source).body
               if isinstance(node, (ast.Import, ast.ImportFrom))
               or (getattr(node, "name", "") or _target(node)).startswith("_")]
    lines = source.splitlines(keepends=True)
    code = "".join("".join(lines[node.lineno - 1:node.end_lineno]) for node in helpers)
    nb.stub_cell(notebook, "part2").source += "\n\n" + code
    return notebook


def _target(node):
    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    return ""
