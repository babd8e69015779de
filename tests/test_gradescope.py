"""Gradescope: the zip's contents, results.json's shape, and a whole run in a fake /autograder."""
import json
import os
import pwd
import shutil
import subprocess
import sys
import zipfile

import pytest

from autograder import config
from autograder.integrations import gradescope, wheel
from autograder.checks import Check

from conftest import TEST_SECRET
from harness import REFERENCE
from test_pages import make_record

# The buggy submission: the reference with clip_gradients clipping each array on its own
# (a named mistake), and reporting, in 'value' mode, which user its code runs as.
BUGGY_CLIP = '''

import os


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    if clip_type == 'value':
        raise RuntimeError(f"clip_gradients ran as uid {os.getuid()}")
    if clip_type != 'norm':
        raise ValueError(clip_type)
    clipped = {}
    for key, g in gradients.items():
        norm = np.linalg.norm(g)
        clipped[key] = g * (max_norm / norm) if norm > max_norm else g.copy()
    original = float(np.sqrt(sum(np.sum(g ** 2) for g in gradients.values())))
    after = float(np.sqrt(sum(np.sum(g ** 2) for g in clipped.values())))
    return clipped, {'original_norm': original, 'clipped_norm': after,
                     'clip_ratio': after / original if original > 0 else 1.0}
'''


# -- fast: the conversion --------------------------------------------------------------

def test_every_check_becomes_a_numbered_gradescope_test_with_its_feedback():
    first_clip_check = next(iter(config.load().parts["part5"].checks))
    record = make_record(failing={("part5", first_clip_check)}, feedback="wrong sign")
    results = gradescope.to_results(record)
    checks = [(pid, c) for pid, part in record["parts"].items() for c in part["checks"]]
    assert len(results["tests"]) == len(checks)
    for test, (pid, check) in zip(results["tests"], checks):
        assert test["name"] == f"{record['parts'][pid]['title']} — {check['name']}"
        assert test["number"].startswith(pid.removeprefix("part") + ".")
        assert (test["score"], test["max_score"]) == (check["score"], check["max_score"])
        assert test["output"] == check["feedback"]
        assert test["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
    assert results["score"] == record["score"]
    json.dumps(results, allow_nan=False)


def test_hidden_checks_get_the_chosen_visibility_and_every_test_says_what_it_checks():
    record = make_record(failing={("part2", "finite_differences")}, feedback="dW1 is off")
    pid, part = next(iter(record["parts"].items()))
    registered = [Check(pid, c["name"], f"checks {c['name']}", index == 0, None)
                  for index, c in enumerate(part["checks"])]
    tests = gradescope.to_results(record, registered)["tests"]
    assert tests[0]["visibility"] == gradescope.HIDDEN_VISIBILITY
    assert [t["visibility"] for t in tests[1:]] == ["visible"] * (len(tests) - 1)
    failed = next(t for t in tests if t["name"].endswith("finite_differences"))
    assert failed["output"] == "checks finite_differences\n\ndW1 is off"


def test_no_notebook_in_the_submission_scores_zero_and_says_what_to_upload(tmp_path):
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "notes.txt").write_text("I forgot the notebook")
    assert gradescope.run(tmp_path) == 0
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert results["score"] == 0 and results["tests"] == []
    assert "lab4_3.ipynb" in results["output"]


def test_gradescope_grades_the_submission_in_this_process_with_the_grader_it_is_given(harness, tmp_path):
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "lab4_3.py").write_text(REFERENCE.read_text() + BUGGY_CLIP)
    assert gradescope.run(tmp_path, harness.grader) == 0
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    lost = {t["name"].split(" — ")[0] for t in results["tests"] if t["score"] < t["max_score"]}
    assert lost == {harness.grading.parts["part5"].title}
    assert results["output"].startswith("Graded lab4_3.py: ")
    assert "seed" not in json.dumps(results["extra_data"])  # students read results.json


def test_a_file_that_cannot_be_read_gets_zero_points_and_says_why(harness, tmp_path):
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "lab4_3.ipynb").write_text("{not json")
    assert gradescope.run(tmp_path, harness.grader) == 0
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert results["score"] == 0 and results["tests"]
    assert all(t["score"] == 0 and t["status"] == "failed" for t in results["tests"])
    assert "The file is not valid JSON" in results["output"]


def test_the_released_notebook_name_wins_over_other_files(tmp_path):
    for name in ("scratch.py", "zz/lab4_3.ipynb", "other.ipynb"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    assert gradescope.find_submission(tmp_path, "lab4_3.ipynb") == tmp_path / "zz" / "lab4_3.ipynb"
    (tmp_path / "zz" / "lab4_3.ipynb").unlink()
    assert gradescope.find_submission(tmp_path, "lab4_3.ipynb") == tmp_path / "other.ipynb"


# -- slow: build the zip, set up and grade as Gradescope would ------------------------------

@pytest.fixture(scope="module")
def autograder_root(tmp_path_factory):
    """A folder laid out like Gradescope's /autograder, after setup.sh ran in it."""
    return built_autograder(tmp_path_factory.mktemp("gradescope"))


def built_autograder(base):
    """(the zip, the /autograder folder) of `make gradescope`'s zip set up under `base` as Gradescope does."""
    archive = base / "autograder.zip"
    gradescope.build(archive)  # needs the student release: `make release`
    root = base / "autograder"
    _unzip(archive, root / "source")
    env = dict(os.environ, PYTHON=sys.executable, GRADLAB_SKIP_APT="1", GRADESCOPE_ROOT=str(root),
               PIP_NO_INDEX="1")  # the test's venv already has every pin: never download
    done = subprocess.run(["bash", "setup.sh"], cwd=root / "source", env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope does
    return archive, root


def grade_on_gradescope(root, name, source):
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    (root / "submission" / name).write_text(source)
    # As clean as Gradescope's: nothing may point back into this repository.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "GRADLAB_"))}
    done = subprocess.run([str(root / "run_autograder")], cwd=root, capture_output=True, text=True,
                          env=dict(env, GRADESCOPE_ROOT=str(root)), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((root / "results" / "results.json").read_text())


@pytest.fixture(scope="module")
def buggy_results(autograder_root):
    return grade_on_gradescope(autograder_root[1], "lab4_3.py", REFERENCE.read_text() + BUGGY_CLIP)


@pytest.mark.slow
def test_the_zip_holds_the_scripts_the_staff_wheel_and_the_secret_and_no_solutions_or_tests(autograder_root):
    archive, root = autograder_root
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
        assert sorted(names) == sorted(["setup.sh", "run_autograder", "requirements.txt", wheel.wheel_name(),
                                        "grading.secret"])
        assert opened.getinfo("run_autograder").external_attr >> 16 & 0o111
        assert opened.getinfo("grading.secret").external_attr >> 16 & 0o077 == 0  # root's alone
        assert opened.read("grading.secret").decode().strip() == TEST_SECRET  # the course's (here the tests')
        inner = root.parent / "inner.whl"
        inner.write_bytes(opened.read(wheel.wheel_name()))
    with zipfile.ZipFile(inner) as opened:
        names = opened.namelist()
        assert {"autograder/__init__.py", "autograder/data/grading.toml", "autograder/data/lab4_3.ipynb"} <= set(names)
        assert [n for n in names if n.endswith(".ipynb")] == ["autograder/data/lab4_3.ipynb"]
        # The staff kit: hidden checks and references that compute, none of the student kit's lookups.
        assert "autograder/data/recorded.json" not in names and "autograder/checks/withheld.py" not in names
    assert wheel.leaks(archive) == []
    assert wheel.solves(inner) != []


@pytest.mark.slow
def test_gradescope_gives_the_reference_solution_full_marks(autograder_root):
    _, root = autograder_root
    results = grade_on_gradescope(root, "lab4_3.py", REFERENCE.read_text())
    assert set(results) >= {"score", "tests", "output", "visibility", "stdout_visibility"}
    for test in results["tests"]:
        assert set(test) >= {"name", "score", "max_score", "output", "visibility", "number"}
        assert test["score"] == test["max_score"], test
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) == config.load().max_score


@pytest.mark.slow
def test_gradescope_takes_points_from_a_buggy_clip_gradients_only(buggy_results):
    tests = buggy_results["tests"]
    lost = {t["name"].split(" — ")[0] for t in tests if t["score"] < t["max_score"]}
    assert lost == {config.load().parts["part5"].title}
    assert buggy_results["score"] < config.load().max_score


@pytest.mark.slow
def test_student_code_on_gradescope_runs_as_an_unprivileged_user(buggy_results):
    outputs = "\n".join(t["output"] for t in buggy_results["tests"])
    expected_uid = pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else os.geteuid()
    assert f"clip_gradients ran as uid {expected_uid}" in outputs
    assert "ran as uid 0" not in outputs


def _unzip(archive, folder):
    """Extract keeping the executable bits, as Gradescope's unzip does."""
    with zipfile.ZipFile(archive) as opened:
        for info in opened.infolist():
            path = opened.extract(info, folder)
            mode = info.external_attr >> 16
            if mode:
                os.chmod(path, mode & 0o777)
