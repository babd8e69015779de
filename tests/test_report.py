"""What other tools read from a grading run: grades.csv cells and the results records."""
import json

import pytest

from autograder.outputs.report import read_records, score_text, spreadsheet_cell, write_atomic


def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_quoted():
    assert [spreadsheet_cell(t) for t in ("=1+1", "+x", "-y", "@z", "alice")] == ["'=1+1", "'+x", "'-y", "'@z",
                                                                                  "alice"]


def test_scores_are_written_without_a_useless_decimal():
    assert [score_text(v) for v in (10.0, 7.5, 0)] == ["10", "7.5", "0"]


def test_read_records_returns_every_record_by_submission_and_names_unreadable_files(tmp_path):
    for sid in ("bob", "alice"):
        write_atomic(tmp_path / "results" / f"{sid}.json", json.dumps({"submission": sid, "score": 1, "parts": {}}))
    write_atomic(tmp_path / "results" / "broken.json", "{not json")
    write_atomic(tmp_path / "results" / "other.json", json.dumps({"hello": 1}))
    records, problems = read_records(tmp_path)
    assert list(records) == ["alice", "bob"] and records["bob"].record["score"] == 1
    assert records["alice"].stem == "alice"
    assert [p.split(":")[0] for p in problems] == ["broken.json", "other.json"]


def test_read_records_of_a_run_without_results_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="results not found"):
        read_records(tmp_path)
