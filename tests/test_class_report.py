"""OUT/report.html, on hand-made records and state files: fast, no workers."""
import json
import re

import pytest

from autograder.outputs import class_report
from autograder import config

from autograder.checks import load_parts
from test_pages import HOSTILE, make_record

KNOWN = {part.id: part.mistakes for part in load_parts()}


def write_batch(out, batch, timings):
    """batch: [(record, safe id, mistakes)]; writes the state files and timings, then the report."""
    for _record, sid, mistakes in batch:
        (out / "state").mkdir(parents=True, exist_ok=True)
        (out / "state" / f"{sid}.json").write_text(json.dumps({"fingerprint": "f", "mistakes": mistakes}))
    (out / "timings.json").write_text(json.dumps(timings))
    class_report.write(out, [b[0] for b in batch], [b[1] for b in batch], config.load(), known=KNOWN)
    return (out / "report.html").read_text()


def checks_of(part):
    """The names of `part`'s checks in grading.toml, which the sample batch fails."""
    return list(config.load().parts[part].checks)


def sample_batch():
    """Five students: all right; two Part 2 checks wrong; one of them wrong; Part 6 timed out; unreadable."""
    p2, p6 = checks_of("part2"), checks_of("part6")
    one_over_m = {("part2", p2[0]), ("part2", p2[1])}
    return [
        (make_record("alice"), "alice", {}),
        (make_record("bob", failing=one_over_m), "bob",
         {f"part2.{p2[0]}": "missing_1_over_m", f"part2.{p2[1]}": "missing_1_over_m"}),
        (make_record("carol", failing={("part2", p2[0])}), "carol", {f"part2.{p2[0]}": "missing_1_over_m"}),
        (make_record("dave", failing={("part6", p6[0]), ("part6", p6[1])}, status="timed_out",
                     feedback="This check was stopped: your code did not finish within 5 seconds."), "dave", {}),
        (make_record("erin", failing={(p, c) for p, part in config.load().parts.items() for c in part.checks},
                     feedback="Not graded: The file is not valid JSON.", status="skipped",
                     errors=[{"kind": "file", "message": "The file is not valid JSON."}]), "erin", {}),
    ]


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    """The report of the sample batch, drawn once for all the tests below."""
    return write_batch(tmp_path_factory.mktemp("out"), sample_batch(),
                       {"alice": 3.0, "bob": 41.5, "carol": 7.25})


def test_the_report_has_a_histogram_image_per_part_and_for_the_total(html):
    grading = config.load()
    for part in grading.parts.values():
        assert f'alt="Histogram of {part.title} scores" src="data:image/svg+xml;base64,' in html
    assert 'alt="Histogram of Total scores"' in html


def test_the_report_gives_mean_and_median_per_part(html):
    part2 = config.load().parts["part2"]
    scores = sorted(r["parts"]["part2"]["score"] for r, _, _ in sample_batch())
    mean, median = sum(scores) / len(scores), scores[len(scores) // 2]
    assert (f"<td>{part2.title}</td><td class=n>{part2.points:g}</td><td class=n>{class_report._n(mean)}</td>"
            f"<td class=n>{class_report._n(median)}</td>") in html


def test_the_most_frequently_failed_check_comes_first_with_its_count(html):
    failed = html[html.index('id="failed"'):html.index('id="mistakes"')]
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td class=n>(\d+)</td>", failed)
    titles = {pid: part.title for pid, part in config.load().parts.items()}
    assert rows[0] == (titles["part2"], checks_of("part2")[0], "2")
    assert (titles["part6"], checks_of("part6")[0], "1") in rows


def test_named_mistakes_are_counted_over_the_class_apart_from_timeouts_and_exceptions(html):
    mistakes = html[html.index('id="mistakes"'):html.index('id="slowest"')]
    named, others = mistakes.split("Other failures")
    # Each mistake with what it is (autograder/mistakes.py, or the hint of a references MISTAKES table).
    assert "<td>missing_1_over_m</td><td>your gradients are m times too large</td><td class=n>3</td>" in named
    assert "<td>timed_out</td><td>timed out</td><td class=n>2</td>" in others and "timed_out" not in named
    assert f"part2.{checks_of('part2')[0]} (2)" in mistakes


def test_the_slowest_submissions_are_listed_slowest_first(html):
    slowest = html[html.index('id="slowest"'):html.index('id="submissions"')]
    assert re.findall(r">(\w+)</a></td><td class=n>([\d.]+)<", slowest) == [
        ("bob", "41.5"), ("carol", "7.2"), ("alice", "3.0")]


def test_every_submission_links_to_its_feedback_page(html):
    for sid in ("alice", "bob", "carol", "dave", "erin"):
        assert f'href="feedback/{sid}.html"' in html


def test_unreadable_files_and_timeouts_are_flagged_for_the_ta(html):
    attention = html[html.index('id="attention"'):html.index('id="distributions"')]
    assert "erin" in attention and "The file is not valid JSON." in attention
    assert "dave" in attention and f"timed out: part6.{checks_of('part6')[0]}" in attention
    assert "alice" not in attention and "bob" not in attention


def test_hostile_submission_ids_and_messages_are_escaped(tmp_path):
    record = make_record(HOSTILE, errors=[{"kind": "grader", "message": HOSTILE}])
    html = write_batch(tmp_path, [(record, "hostile-1a2b3c4d", {})], {HOSTILE: 1.0})
    assert "<script" not in html and "<img src=x" not in html


def test_a_missing_state_file_or_timings_file_costs_only_those_sections(tmp_path):
    records = [make_record("alice")]
    class_report.write(tmp_path, records, ["alice"], config.load())
    html = (tmp_path / "report.html").read_text()
    assert "No timings recorded." in html and "No failed check matched a known mistake." in html
    assert 'href="feedback/alice.html"' in html


def test_the_partial_sandbox_warning_is_found_by_the_notes_code_not_its_words(tmp_path):
    note = "The sandbox was partial (the grader did not run as root): ..."
    coded = make_record("alice", errors=[{"kind": "sandbox", "code": "partial_sandbox", "message": "whatever"}])
    worded = make_record("bob", errors=[{"kind": "sandbox", "code": "worker", "message": note}])
    html = write_batch(tmp_path, [(coded, "alice", {}), (worded, "bob", {})], {})
    assert 'id="partial-sandbox"' in html and "for 1 of 2 submissions" in html
    attention = html[html.index('id="attention"'):html.index('id="distributions"')]
    assert "bob" in attention and "alice" not in attention  # the partial note is said once, at the top
