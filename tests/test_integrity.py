"""Full marks require the work (issue 22): graded inputs come from the course's secret and the
submission's code, regrades are byte-identical, nothing students see carries the secret or the
seed, grading refuses to run without a secret, the student wheel holds neither a function that
computes a stub's contract nor a hidden check, and its self-check still grades as the staff
kit's does. The memorizing student itself is tests/test_memorizer.py."""
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder import secret
from autograder.checks import load_parts
from autograder.outcomes import FLAG_LITERAL_BLOB
from autograder.pipeline.flags import literal_blobs
from autograder.pipeline.inputs import Inputs, code_digest
from autograder.references import Memo
from autograder.references import part2_backprop, part5_clipping, part6_batchnorm, part9_diagnosis
from conftest import TEST_SECRET
from harness import CORPORA, REFERENCE, corpus_source, statements

REPO = Path(__file__).resolve().parent.parent
SECRET = secret.Secret(bytes.fromhex(TEST_SECRET), "tests")
PY = sys.executable


# -- the secret ---------------------------------------------------------------------------------

def test_the_secret_comes_from_the_variable_then_the_file_it_names_then_grading_secret(tmp_path):
    (tmp_path / "grading.toml").write_text("")
    made = secret.create(tmp_path / "grading.secret")
    assert secret.find(tmp_path / "grading.toml", environ={}).key == made.key
    other = secret.create(tmp_path / "term2.secret")
    assert secret.find(tmp_path / "grading.toml", environ={secret.ENV_FILE: str(tmp_path / "term2.secret")}).key \
        == other.key
    assert secret.find(tmp_path / "grading.toml", environ={secret.ENV: TEST_SECRET}).key == SECRET.key
    assert (tmp_path / "grading.secret").stat().st_mode & 0o077 == 0  # its owner's alone


def test_a_missing_or_short_secret_is_an_error_that_says_where_it_looked_and_what_to_do(tmp_path):
    (tmp_path / "grading.toml").write_text("")
    with pytest.raises(secret.SecretMissing, match=r"no grading secret: no .*grading.secret.*make secret"):
        secret.find(tmp_path / "grading.toml", environ={})
    with pytest.raises(secret.SecretMissing, match="32 or more hex digits"):
        secret.find(tmp_path / "grading.toml", environ={secret.ENV: "abc123"})


def test_creating_a_secret_never_replaces_one(tmp_path):
    secret.create(tmp_path / "s")
    with pytest.raises(FileExistsError):
        secret.create(tmp_path / "s")


def test_a_secret_s_repr_and_fingerprint_do_not_reveal_it():
    assert TEST_SECRET not in repr(SECRET) and TEST_SECRET[:12] != SECRET.fingerprint
    assert len(SECRET.fingerprint) == 12


@pytest.mark.parametrize("verb", [["grade", "examples/submissions", "--out", "OUT"], ["gradescope", "build", "OUT/z"]])
def test_grading_without_a_secret_refuses_and_says_how_to_make_one(verb, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADLAB_SECRET")}
    env["GRADLAB_SECRET_FILE"] = str(tmp_path / "none.secret")
    args = [str(tmp_path) if a == "OUT" else a.replace("OUT", str(tmp_path)) for a in verb]
    done = subprocess.run([PY, "-m", "autograder", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 2, done.stderr
    assert "no grading secret" in done.stderr and "make secret" in done.stderr
    assert not (tmp_path / "results").exists()


def test_nbgrader_s_grading_service_refuses_to_start_without_a_secret(monkeypatch, tmp_path):
    from autograder.pipeline.grading_service import GradingService

    monkeypatch.delenv(secret.ENV, raising=False)
    monkeypatch.setenv(secret.ENV_FILE, str(tmp_path / "none.secret"))
    with pytest.raises(secret.SecretMissing):
        GradingService(jobs=1)


# -- graded inputs ---------------------------------------------------------------------------------

def test_graded_inputs_depend_on_the_secret_and_every_character_of_the_code():
    source = REFERENCE.read_text()
    one_more = source.replace("def clip_gradients(", "def clip_gradients( ", 1)
    graded, other = Inputs(1, SECRET), Inputs(1, secret.Secret(b"\x01" * 32, "other"))
    seeds = {graded.seed(statements(source)), graded.seed(statements(one_more)), other.seed(statements(source)),
             Inputs(2, SECRET).seed(statements(source))}
    assert len(seeds) == 4
    assert graded.seed(statements(source)) == graded.seed(statements(source))
    assert Inputs(1).seed(statements(source)) == Inputs(1).seed(statements(one_more)) == 1  # the self-check's
    assert code_digest(statements(source)) != code_digest(statements(one_more))


def test_a_record_names_the_secret_and_the_inputs_by_fingerprint_never_the_seed():
    found = statements(REFERENCE.read_text())
    described = Inputs(7, SECRET).describe(found)
    assert set(described) == {"kind", "secret", "salt", "inputs"} and described["kind"] == "graded"
    assert str(Inputs(7, SECRET).seed(found)) not in json.dumps(described)
    assert TEST_SECRET not in json.dumps(described)


@pytest.mark.slow
def test_a_correct_submission_keeps_full_marks_and_a_mutant_loses_the_same_part_on_graded_inputs(harness):
    grader = harness.grader
    kept = grader.inputs
    try:
        grader.inputs = Inputs(grader.settings.seed, SECRET)
        correct = grader.grade(statements(REFERENCE.read_text()))
        assert all(o.passed for o in correct.outcomes) and correct.inputs["kind"] == "graded"
        mutant = grader.grade(statements(corpus_source(REFERENCE, CORPORA / "mutants" / "part5_sum_of_norms.py")))
        assert {o.part for o in mutant.outcomes if not o.passed} == {"part5"}
        assert mutant.flags == []  # a real bug fails the published inputs too: nothing to flag
    finally:
        grader.inputs = kept


# -- regrades and what students see ---------------------------------------------------------------

@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The same three files graded twice by `make grade`'s command with the tests' secret."""
    top = tmp_path_factory.mktemp("regrade")
    folder = top / "subs"
    folder.mkdir()
    (folder / "good.py").write_text(REFERENCE.read_text())
    (folder / "bug.py").write_text(corpus_source(REFERENCE, CORPORA / "mutants" / "part6_missing_epsilon.py"))
    (folder / "bug_plus_space.py").write_text((folder / "bug.py").read_text().replace("def batch_normalize(",
                                                                                     "def batch_normalize( ", 1))
    outs = []
    for run in ("first", "second"):
        done = subprocess.run([PY, "-m", "autograder", "grade", str(folder), "--out", str(top / run), "--jobs", "2"],
                              cwd=REPO, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr
        outs.append(top / run)
    return folder, outs


@pytest.mark.slow
def test_the_same_files_graded_twice_with_the_same_secret_give_byte_identical_results(two_runs):
    _, (first, second) = two_runs
    for name in ("grades.csv", "similarity.json", *(f"results/{s}.json" for s in ("good", "bug", "bug_plus_space")),
                 *(f"feedback/{s}.html" for s in ("good", "bug", "bug_plus_space"))):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


@pytest.mark.slow
def test_one_changed_character_in_a_stub_changes_the_graded_inputs(two_runs):
    _, (first, _) = two_runs
    bug = json.loads((first / "results" / "bug.json").read_text())
    spaced = json.loads((first / "results" / "bug_plus_space.json").read_text())
    assert bug["inputs"]["inputs"] != spaced["inputs"]["inputs"]
    assert bug["inputs"]["secret"] == spaced["inputs"]["secret"] == SECRET.fingerprint
    assert bug["parts"]["part6"]["score"] == spaced["parts"]["part6"]["score"]  # the same bug, the same grade


@pytest.mark.slow
def test_no_page_or_result_students_see_holds_the_secret_or_a_seed(two_runs):
    folder, (first, _) = two_runs
    seeds = set()
    for path in folder.glob("*.py"):
        seeds.add(str(Inputs(20261129, SECRET).seed(statements(path.read_text()))))
    assert len(seeds) == 3
    shown = [p for p in first.rglob("*") if p.is_file()]
    for path in shown:
        text = path.read_text(errors="replace")
        assert TEST_SECRET not in text and SECRET.key.hex() not in text, path
        assert not any(seed in text for seed in seeds), path
    for page in (first / "feedback").glob("*.html"):
        text = page.read_text()
        assert "differ from the ones the notebook" in text and "seed" not in text.lower(), page


# -- flags -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("code,flagged", [
    ("def f():\n    return 'x' * 3\n", False),
    ("def f():\n    '''" + "a long docstring " * 200 + "'''\n    return 1\n", False),
    ("def f():\n    return '" + "ab" * 600 + "'\n", True),
    ("def f():\n    return b'" + "ab" * 600 + "'\n", True),
    ("def f():\n    t = [" + ", ".join(str(i / 7) for i in range(80)) + "]\n    return t\n", True),
    ("def f():\n    t = [[" + "], [".join(f"{i}, {i + 1}" for i in range(40)) + "]]\n    return t\n", True),
    ("def f():\n    t = (" + " ".join(f"'{'x' * 90}'" for _ in range(30)) + ")\n    return t\n", True),
    ("def f():\n    t = [" + ", ".join(f"'{'x' * 90}'" for _ in range(30)) + "]\n    return t\n", True),
    ("def f(low=1e-7, high=1e3):\n    return [low, high, 0.5, 1, 2]\n", False),
])
def test_a_large_literal_table_is_flagged_and_ordinary_code_is_not(code, flagged):
    found = literal_blobs([{"cell": 3, "line": 1, "source": code}])
    assert bool(found) == flagged, found
    assert all(f["kind"] == FLAG_LITERAL_BLOB and f["message"].startswith("cell 3, line ") for f in found)


def test_no_file_of_the_corpora_or_the_examples_carries_a_flagged_literal():
    from autograder.pipeline.extract import extract
    from autograder.pipeline.load import Submission, read

    paths = [*sorted(CORPORA.rglob("*.py")), *sorted((REPO / "examples").rglob("*.ipynb")),
             REPO / "solutions" / "lab4_3" / "lab4_3.ipynb"]
    flagged = {}
    for path in paths:
        submission = read(Submission(path.stem, path))
        found, _ = extract(submission.cells) if submission.cells else ([], [])
        if literal_blobs(found):
            flagged[path.name] = literal_blobs(found)
    assert not flagged and len(paths) > 100


# -- the student wheel ------------------------------------------------------------------------------

def contract_cases(seed=987654321):
    """[(stub, pickled args, truth)]: fresh inputs of each stub's contract, with the staff references'
    answers, the way the references take them (after the memo)."""
    rng = np.random.default_rng(seed)
    dims = [4, 5, 3, 1]
    parameters = {}
    for l in range(1, len(dims)):
        parameters[f"W{l}"] = rng.normal(size=(dims[l], dims[l - 1]))
        parameters[f"b{l}"] = rng.normal(size=(dims[l], 1))
    X, Y = rng.normal(size=(4, 7)), (rng.random((1, 7)) > 0.5).astype(float)
    gradients = {f"dW{l}": rng.normal(size=(3, 2)) * 4 for l in (1, 2)}
    Z, gamma, beta = rng.normal(size=(3, 6)), rng.normal(size=(3, 1)), rng.normal(size=(3, 1))
    mean, var = rng.normal(size=(3, 1)), rng.random((3, 1)) + 0.5
    norms = {f"dW{l}": rng.normal(size=(2, 2)) * 10.0 ** (l - 3) for l in (1, 2, 3, 4)}
    cases = [
        ("backward_propagation", (dims, "tanh", parameters, X, Y), part2_backprop.backprop),
        ("clip_gradients", (gradients, 1.5, "norm"), part5_clipping.clip_gradients),
        ("batch_normalize", (Z, gamma, beta, mean, var, 0.9, 1e-5, "train"), part6_batchnorm.batchnorm),
        ("diagnose_gradient_health", (norms, 4, 1e-6, 1e2), part9_diagnosis.diagnose),
    ]
    return [(stub, pickle.dumps(args), reference(Memo(), *args)) for stub, args, reference in cases]


def solvers(kit, tmp_path):
    cases = tmp_path / "cases.pickle"
    cases.write_bytes(pickle.dumps(contract_cases()))
    out = tmp_path / "solvers.json"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([PY, "-I", str(REPO / "tests" / "oracle.py"), str(kit), str(cases), str(out)],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return {tuple(found) for found in json.loads(out.read_text())}


@pytest.mark.slow
def test_the_oracle_finds_the_staff_references_that_solve_each_stub(tmp_path):
    # The search can fail: in the staff package it finds every reference that computes a contract.
    found = solvers(REPO, tmp_path)
    for stub, name in (("backward_propagation", "part2_backprop.backprop"),
                       ("clip_gradients", "part5_clipping.clip_gradients"),
                       ("batch_normalize", "part6_batchnorm.batchnorm"),
                       ("diagnose_gradient_health", "part9_diagnosis.diagnose")):
        assert (f"autograder.references.{name}", stub) in found, found


@pytest.mark.slow
def test_the_student_wheel_holds_no_function_that_computes_a_stub_s_contract(student_wheel, tmp_path):
    assert solvers(student_wheel[1], tmp_path) == set()


@pytest.mark.slow
def test_the_student_wheel_holds_no_hidden_check_nor_its_code(student_wheel):
    from autograder.integrations import wheel

    _, kit = student_wheel
    assert wheel.solves(student_wheel[0]) == []
    text = "\n".join(p.read_text() for p in (kit / "autograder").rglob("*.py"))
    for part in load_parts():
        for check in part.checks:
            defined = re.search(rf"^def {check.function.__name__}\(", text, re.MULTILINE)
            assert bool(defined) == (not check.hidden), f"{part.id}.{check.name}"
    withheld = (kit / "autograder" / "checks" / "withheld.py").read_text()
    assert all(c.name in withheld for part in load_parts() for c in part.checks if c.hidden)


@pytest.mark.slow
def test_the_wheel_check_refuses_a_wheel_with_a_reference_or_a_hidden_check(tmp_path):
    import zipfile

    from autograder.integrations import wheel

    bad = tmp_path / "bad.whl"
    with zipfile.ZipFile(bad, "w") as opened:
        opened.writestr("autograder/references/part5_clipping.py", "def clip_gradients(memo, g, n, t):\n    ...\n")
        opened.writestr("autograder/checks/part5_clipping.py",
                        "@check('part5', 'x', 'y', hidden=True)\ndef x(student, ctx):\n    pass\n")
        opened.writestr("grading.secret", "00" * 32)
    problems = wheel.solves(bad)
    assert len(problems) == 3, problems


SELF_CHECK = """
import json, sys
sys.path.insert(0, sys.argv[1])
import autograder
assert autograder.__file__.startswith(sys.argv[1]), autograder.__file__
from autograder.pipeline.extract import extract
from autograder.pipeline.grader import Grader
out = {}
with Grader.load(warm=True, plots=False) as grader:
    for name, source in json.loads(open(sys.argv[2]).read()).items():
        graded = grader.grade(extract([{"index": 0, "source": source}])[0], hidden=False)
        out[name] = [[o.name, o.status.value, o.mistake] for o in graded.outcomes]
print(json.dumps(out))
"""


@pytest.mark.slow
def test_the_student_kit_s_self_check_grades_as_the_staff_kit_s_public_checks_do(student_wheel, harness, tmp_path):
    sources = {p.name: corpus_source(REFERENCE, p) for p in sorted((CORPORA / "mutants").glob("*.py"))}
    sources.update({p.name: corpus_source(REFERENCE, p) for p in sorted((CORPORA / "correct").glob("variant_*.py"))})
    (tmp_path / "sources.json").write_text(json.dumps(sources))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([PY, "-I", "-c", SELF_CHECK, str(student_wheel[1]), str(tmp_path / "sources.json")],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    kit = json.loads(done.stdout.strip().splitlines()[-1])
    differ = []
    for name, source in sources.items():
        staff = [[o.name, o.status.value, o.mistake]
                 for o in harness.grader.grade(statements(source), hidden=False).outcomes]
        if staff != kit[name]:
            differ.append((name, staff, kit[name]))
    assert not differ, differ[:3]
