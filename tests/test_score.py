"""Scores are the points of passed checks; every registered check is listed, skipped ones at 0."""
import json
from types import SimpleNamespace

from autograder.pipeline import score
from autograder.config import Grading, Limits, Part
from autograder.outcomes import RESULTS_FORMAT, Outcome, Status

PASSED, FAILED = Status.PASSED, Status.FAILED

CHECKS = [SimpleNamespace(part="p1", name="a"), SimpleNamespace(part="p1", name="b"),
          SimpleNamespace(part="p2", name="c")]
GRADING = Grading(assignment="lab", notebook="lab.ipynb", seed=7, limits=Limits(), max_examples=3,
                  parts={"p1": Part("p1", "Part one", 3, {"a": 1, "b": 2}),
                         "p2": Part("p2", "Part two", 0.5, {"c": 0.5})})
PUBLIC = {"kind": "public", "seed": 7}


def test_a_part_scores_the_points_of_its_passed_checks_only():
    rec = score.record("s", [Outcome("p1", "a", PASSED, "Passed."), Outcome("p1", "b", FAILED, "wrong"),
                             Outcome("p2", "c", PASSED, "Passed.")], [], CHECKS, GRADING, PUBLIC)
    assert rec["parts"]["p1"]["score"] == 1 and rec["parts"]["p2"]["score"] == 0.5
    assert rec["score"] == 1.5 and rec["max_score"] == 3.5
    assert [c["score"] for c in rec["parts"]["p1"]["checks"]] == [1, 0]
    assert [c["status"] for c in rec["parts"]["p1"]["checks"]] == ["passed", "failed"]


def test_every_check_carries_the_status_of_its_outcome():
    outcomes = [Outcome("p1", "a", Status.TIMED_OUT, "stopped"), Outcome("p1", "b", Status.NOT_RUN, "Skipped"),
                Outcome("p2", "c", Status.GRADER_ERROR, "not your fault")]
    rec = score.record("s", outcomes, [], CHECKS, GRADING, PUBLIC)
    rows = [c for part in rec["parts"].values() for c in part["checks"]]
    assert [r["status"] for r in rows] == ["timed_out", "not_run", "grader_error"]
    assert not any(r["passed"] for r in rows) and rec["score"] == 0


def test_a_check_with_no_outcome_is_listed_with_zero_points_and_says_it_did_not_run():
    rec = score.record("s", [Outcome("p1", "a", PASSED, "Passed.")], [], CHECKS, GRADING, PUBLIC)
    missing = rec["parts"]["p1"]["checks"][1]
    assert missing == {"name": "b", "score": 0, "max_score": 2, "passed": False, "status": "not_run",
                       "feedback": "This check did not run."}


def test_an_unrunnable_submission_lists_every_check_with_the_reason():
    rec = score.record("s", [], [{"kind": "file", "message": "not JSON"}], CHECKS, GRADING, PUBLIC,
                       unrunnable="Not graded: not JSON")
    rows = [c for part in rec["parts"].values() for c in part["checks"]]
    assert len(rows) == 3 and all(r["feedback"] == "Not graded: not JSON" and r["score"] == 0 for r in rows)
    assert {r["status"] for r in rows} == {"skipped"}
    assert rec["errors"] == [{"kind": "file", "message": "not JSON"}] and rec["score"] == 0


def test_the_record_has_exactly_the_documented_keys_and_is_plain_json():
    rec = score.record("s", [], [], CHECKS, GRADING, PUBLIC)
    assert set(rec) == {"submission", "score", "max_score", "parts", "errors", "inputs", "flags",
                        "grader_version", "format_version"}
    assert rec["format_version"] == RESULTS_FORMAT == 3
    assert set(rec["parts"]["p1"]) == {"title", "score", "max_score", "checks"}
    assert json.loads(json.dumps(rec)) == rec and rec["inputs"] == PUBLIC and rec["flags"] == []


def test_fractional_points_do_not_accumulate_float_noise():
    parts = {"p": Part("p", "P", 0.3, {f"c{i}": 0.1 for i in range(3)})}
    grading = Grading("lab", "lab.ipynb", 1, Limits(), 3, parts)
    checks = [SimpleNamespace(part="p", name=f"c{i}") for i in range(3)]
    rec = score.record("s", [Outcome("p", f"c{i}", PASSED, "") for i in range(3)], [], checks, grading, PUBLIC)
    assert rec["score"] == 0.3 and rec["parts"]["p"]["score"] == 0.3


def test_mistakes_name_only_failed_checks_that_have_a_mistake_id():
    outcomes = [Outcome("p1", "a", FAILED, "x", "factor_of_m"), Outcome("p1", "b", FAILED, "y"),
                Outcome("p2", "c", PASSED, "ok", "ignored")]
    assert score.mistakes(outcomes) == {"p1.a": "factor_of_m"}
