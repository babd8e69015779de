"""The command line: its tree of verbs; and the verb TAs run, grade: its contract, its outputs,
resuming, and determinism."""
import csv
import json
import os
import re
import subprocess
import sys

import pytest

from autograder import cli

from harness import REFERENCE

PY = sys.executable
# Each verb, the module that declares it, and arguments it accepts (nothing runs: they are only parsed).
OWNERS = {"grade": "autograder.tools.grade_command", "secret": "autograder.secret",
          "lms": "autograder.integrations.lms",
          "diff": "autograder.tools.diff", "mutants": "autograder.tools.mutants.cli",
          "gradescope": "autograder.integrations.gradescope", "export": "autograder.integrations.export",
          "wheel": "autograder.integrations.wheel", "config": "autograder.config"}
VERBS = list(OWNERS)
EXAMPLES = {"grade": ["subs", "--out", "out"], "secret": [],
            "lms": ["out", "--to", "canvas", "--roster", "r.csv", "--out", "i.csv"],
            "diff": ["old", "new"], "mutants": ["--out", "out"], "gradescope": ["run"], "export": [],
            "wheel": [], "config": []}
BROKEN_CLIP = "\n\ndef clip_gradients(gradients, max_norm=5.0, clip_type='norm'):\n    return gradients, {}\n"


def run_cli(*args, timeout=600):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([PY, "-m", "autograder", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture(scope="module")
def submissions(tmp_path_factory):
    folder = tmp_path_factory.mktemp("subs")
    (folder / "good.py").write_text(REFERENCE.read_text())
    (folder / "clip_bug.py").write_text(REFERENCE.read_text() + BROKEN_CLIP)
    (folder / "empty.ipynb").write_text("")
    return folder


@pytest.fixture(scope="module")
def graded(submissions, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = run_cli("grade", submissions, "--out", out, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    return out, result


def test_help_lists_every_verb_with_a_one_line_help():
    result = run_cli("--help")
    assert result.returncode == 0
    listed = re.findall(r"^    ([a-z]+)\b(.*)\n(?: {8,}(.*)\n)?", result.stdout, re.MULTILINE)
    assert [verb for verb, *_ in listed] == VERBS
    assert all((same_line + next_line).strip() for _, same_line, next_line in listed)


def test_each_verb_runs_the_function_its_own_module_declares():
    for verb, argv in EXAMPLES.items():
        args = cli.parser().parse_args([verb, *argv])
        assert args.run.__module__ == OWNERS[verb], verb


def test_an_unknown_verb_is_a_usage_error_with_exit_code_2():
    result = run_cli("regrade")
    assert result.returncode == 2 and "invalid choice: 'regrade'" in result.stderr


def test_help_documents_every_option():
    result = run_cli("grade", "--help")
    assert result.returncode == 0
    for option in ("--out", "--jobs", "--seed", "--force", "PATH"):
        assert option in result.stdout


def test_a_missing_path_is_a_grader_error_with_exit_code_2(tmp_path):
    result = run_cli("grade", tmp_path / "nope", "--out", tmp_path / "out")
    assert result.returncode == 2 and "no such file" in result.stderr


@pytest.mark.slow
def test_grading_writes_csv_json_and_feedback_for_every_submission(graded):
    out, result = graded
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [r["submission"] for r in rows] == ["clip_bug", "empty", "good"]
    assert list(rows[0]) == ["submission", "part2", "part5", "part6", "part9", "total"]
    for sid in ("good", "clip_bug", "empty"):
        assert (out / "results" / f"{sid}.json").exists()
        assert (out / "feedback" / f"{sid}.html").exists()
    assert "Total" in result.stdout  # the summary table


@pytest.mark.slow
def test_the_results_json_has_exactly_the_documented_schema(graded):
    out, _ = graded
    record = json.loads((out / "results" / "good.json").read_text())
    assert set(record) == {"submission", "score", "max_score", "parts", "errors", "inputs", "flags",
                           "grader_version", "format_version"}
    assert record["format_version"] == 3
    assert record["inputs"]["kind"] == "graded" and record["flags"] == []
    for part in record["parts"].values():
        assert set(part) == {"title", "score", "max_score", "checks"}
        for check in part["checks"]:
            assert set(check) == {"name", "score", "max_score", "passed", "status", "feedback"}
            assert check["status"] == "passed" and check["passed"]  # the good submission passes everything
    assert record["score"] == record["max_score"]


@pytest.mark.slow
def test_a_bug_in_one_stub_costs_points_in_its_part_only(graded):
    out, _ = graded
    good = json.loads((out / "results" / "good.json").read_text())
    bad = json.loads((out / "results" / "clip_bug.json").read_text())
    assert bad["parts"]["part5"]["score"] < good["parts"]["part5"]["score"]
    for pid in ("part2", "part6", "part9"):
        assert bad["parts"][pid]["score"] == good["parts"][pid]["score"]


@pytest.mark.slow
def test_an_unreadable_file_gets_a_result_with_a_clear_error(graded):
    out, _ = graded
    record = json.loads((out / "results" / "empty.json").read_text())
    assert record["score"] == 0 and "empty" in record["errors"][0]["message"]


@pytest.mark.slow
def test_a_second_run_reuses_unchanged_results_and_gives_identical_json(graded, submissions):
    out, _ = graded
    before = {p.name: p.read_bytes() for p in (out / "results").iterdir()}
    result = run_cli("grade", submissions, "--out", out)
    assert result.returncode == 0 and "reusing" in result.stderr
    assert before == {p.name: p.read_bytes() for p in (out / "results").iterdir()}


@pytest.mark.slow
def test_a_forced_regrade_gives_byte_identical_results(graded, submissions):
    out, _ = graded
    before = {p.name: p.read_bytes() for p in (out / "results").iterdir()}
    result = run_cli("grade", submissions, "--out", out, "--force", "--jobs", "1")
    assert result.returncode == 0
    assert before == {p.name: p.read_bytes() for p in (out / "results").iterdir()}


@pytest.mark.slow
def test_a_batch_killed_halfway_resumes_where_it_stopped(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    for i in range(4):
        (folder / f"s{i}.py").write_text(REFERENCE.read_text())
    out = tmp_path / "out"
    process = subprocess.Popen([PY, "-m", "autograder", "grade", str(folder), "--out", str(out), "--jobs", "1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        # The fingerprint in state/ is written last: a submission counts as done once it is there.
        _wait_for(lambda: len(list((out / "state").glob("*.json"))) >= 1 if (out / "state").exists() else False)
    finally:
        os.killpg(process.pid, 9)
        process.wait()
    done = len(list((out / "state").glob("*.json")))
    assert 1 <= done < 4
    result = run_cli("grade", folder, "--out", out)
    assert result.returncode == 0 and f"{done} of 4 unchanged" in result.stderr
    assert len(list((out / "results").glob("*.json"))) == 4


def _wait_for(condition, seconds=300):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")
