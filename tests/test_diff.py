"""`diff OLD_OUT NEW_OUT`: what a regrade changed, student by student and check by check."""
import os
import re
import subprocess
import sys

import pytest

from autograder import config
from autograder.tools import diff
from autograder.outputs.report import results_json

from harness import CORPORA, REFERENCE, corpus_source
from test_pages import first_check, make_record

GRADING = config.DEFAULT_PATH.read_text()


def write_run(out, records):
    for record in records:
        path = out / "results" / f"{record['submission']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(results_json(record))
    return out


def test_only_students_whose_check_scores_changed_are_listed_with_both_feedbacks(tmp_path):
    p2 = first_check("part2")
    old = write_run(tmp_path / "old", [make_record("ann"), make_record("ben", failing={p2}, feedback="dW1 was off"),
                                       make_record("cat"), make_record("gone")])
    new = write_run(tmp_path / "new", [make_record("ann"), make_record("ben"),
                                       make_record("cat", failing={p2}, feedback="dW1 is now off"),
                                       make_record("fresh")])
    comparison = diff.compare(old, new)
    assert [(s.submission, [(c.part, c.name) for c in s.checks]) for s in comparison.changed] == [
        ("ben", [p2]), ("cat", [p2])]
    assert comparison.unchanged == 1 and comparison.only_old == ["gone"] and comparison.only_new == ["fresh"]
    ben, cat = comparison.changed
    assert (ben.checks[0].old["feedback"], ben.checks[0].new["feedback"]) == ("dW1 was off", "Passed.")
    assert cat.new_score < cat.old_score
    shown = diff.text(comparison)
    assert "ben: " in shown and "cat: " in shown and "ann" not in shown
    assert "was: dW1 was off" in shown and "now: dW1 is now off" in shown
    assert "+1 point for 1 student, −1 point for 1 student" in shown


def test_a_check_new_in_this_run_counts_only_where_it_changes_the_score(tmp_path):
    p9 = first_check("part9")
    old_records = [make_record("ann"), make_record("ben")]
    for record in old_records:   # the old grader did not have this check yet
        part = record["parts"]["part9"]
        dropped, = [c for c in part["checks"] if c["name"] == p9[1]]
        part["checks"].remove(dropped)
        for holder in (part, record):
            holder["score"] -= dropped["score"]
            holder["max_score"] -= dropped["max_score"]
    old = write_run(tmp_path / "old", old_records)
    new = write_run(tmp_path / "new", [make_record("ann", failing={p9}), make_record("ben")])
    comparison = diff.compare(old, new)
    assert [(s.submission, [c.name for c in s.checks]) for s in comparison.changed] == [("ben", [p9[1]])]
    assert "not in this run" in diff.text(comparison)


def test_the_announcement_names_no_student_and_the_staff_part_links_each_feedback_page(tmp_path):
    p5 = first_check("part5")
    old = write_run(tmp_path / "old", [make_record("zoë <b>", failing={p5}, feedback="old <i>")])
    new = write_run(tmp_path / "new", [make_record("zoë <b>")])
    html = diff.page(diff.compare(old, new), new / "regrade.html", new, message="Clipping fixed.")
    announcement = html[html.index('id="announcement"'):html.index('id="students"')]
    assert "zoë" not in announcement and "Clipping fixed." in announcement and p5[1] in announcement
    assert 'href="feedback/zo%C3%AB%20%3Cb%3E.html"' in html
    assert "<b>" not in html and "<i>" not in html and "old &lt;i&gt;" in html


def test_keep_previous_copies_the_whole_out_folder_and_replaces_an_older_copy(tmp_path):
    out = write_run(tmp_path / "grades", [make_record("ann")])
    (tmp_path / "grades.previous" / "stale").mkdir(parents=True)
    assert "diff" in diff.keep_previous(out)
    assert (tmp_path / "grades.previous" / "results" / "ann.json").read_text() == \
        (out / "results" / "ann.json").read_text()
    assert not (tmp_path / "grades.previous" / "stale").exists()


def test_a_folder_without_results_is_a_clear_error(tmp_path):
    from autograder.cli import main

    assert main(["diff", str(tmp_path / "nope"), str(tmp_path)]) == 2


# -- a real class graded twice ------------------------------------------------------------------

def run(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True, text=True,
                          timeout=600, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def regraded(tmp_path_factory):
    """A class graded, then graded again (KEEP) after grading.toml moves a point to norm_clipping.

    alice: everything right; bob: clips each array by its own norm (fails norm_clipping);
    carol: gradients missing 1/m (fails Part 2, passes norm_clipping)."""
    base = tmp_path_factory.mktemp("regrade")
    submissions = base / "submissions"
    submissions.mkdir()
    mutants = CORPORA / "mutants"
    (submissions / "alice.py").write_text(REFERENCE.read_text())
    (submissions / "bob.py").write_text(corpus_source(REFERENCE, mutants / "part5_per_array_clipping.py"))
    (submissions / "carol.py").write_text(corpus_source(REFERENCE, mutants / "part2_missing_1_over_m.py"))
    out, changed = base / "grades", base / "grading.toml"
    run("grade", submissions, "--out", out, "--jobs", "1")
    text = re.sub(r"(?m)^norm_clipping = 2\b", "norm_clipping = 3", GRADING)
    text = re.sub(r"(\[parts\.part5\]\ntitle = [^\n]*\npoints = )(\d+)",
                  lambda m: f"{m.group(1)}{int(m.group(2)) + 1}", text)
    assert text.count("norm_clipping = 3") == 1 and text != GRADING, "grading.toml changed shape: fix this edit"
    changed.write_text(text)
    run("grade", submissions, "--out", out, "--jobs", "1", "--config", changed, "--keep-previous")
    return base, run("diff", f"{out}.previous", out, "--message", "norm_clipping is now worth 3 points.")


@pytest.mark.slow
def test_a_regrade_with_one_check_changed_lists_exactly_the_students_who_passed_it(regraded):
    base, done = regraded
    comparison = diff.compare(base / "grades.previous", base / "grades")
    assert [(s.submission, [(c.part, c.name) for c in s.checks]) for s in comparison.changed] == [
        ("alice", [("part5", "norm_clipping")]), ("carol", [("part5", "norm_clipping")])]
    assert comparison.unchanged == 1   # bob failed the check: 0 points before and after
    for student in comparison.changed:
        assert student.new_score == student.old_score + 1
        check, = student.checks
        assert (check.old["max_score"], check.new["max_score"]) == (2, 3) and check.new["passed"]
    assert "2 of 3 submissions graded in both runs changed score (1 unchanged)." in done.stdout
    assert "part5.norm_clipping (Part 5: clip_gradients): +1 point for 2 students" in done.stdout
    assert "\nbob:" not in done.stdout


@pytest.mark.slow
def test_the_regrade_page_shows_the_change_and_the_feedback_pages_it_links_exist(regraded):
    base, _ = regraded
    html = (base / "grades" / "regrade.html").read_text()
    assert "norm_clipping is now worth 3 points." in html and "3 points (was 2)" in html
    links = re.findall(r'href="([^"]+)"', html)
    assert sorted(links) == ["feedback/alice.html", "feedback/carol.html"]
    assert all((base / "grades" / link).exists() for link in links)
