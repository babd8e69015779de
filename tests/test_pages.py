"""The feedback page, on hand-made records: fast, no workers, no TensorFlow."""
import re

import pytest

from autograder import config
from autograder.outputs import pages

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
# What plots.py makes: an SVG as a base64 data URI ("<svg xmlns=...></svg>").
SVG = "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4="


def first_check(part):
    """(part, name of its first check in grading.toml)."""
    return part, next(iter(config.load().parts[part].checks))


def make_record(submission="student_1", failing=(), feedback="Passed.", errors=(), status="failed"):
    """A record shaped like score.record(), from grading.toml's parts; `failing`: {(part, check)},
    which get `status` and `feedback`."""
    grading = config.load()
    assert all(name in grading.parts[pid].checks for pid, name in failing), failing
    parts = {}
    for pid, part in grading.parts.items():
        checks = []
        for name, points in part.checks.items():
            passed = (pid, name) not in failing
            checks.append({"name": name, "score": points if passed else 0, "max_score": points,
                           "passed": passed, "status": "passed" if passed else status,
                           "feedback": "Passed." if passed else feedback})
        parts[pid] = {"title": part.title, "score": float(sum(c["score"] for c in checks)),
                      "max_score": part.points, "checks": checks}
    return {"submission": submission, "score": float(sum(p["score"] for p in parts.values())),
            "max_score": grading.max_score, "parts": parts, "errors": list(errors),
            "seed": grading.seed, "grader_version": "test", "format_version": 2}


def test_the_page_shows_the_total_and_every_part_title():
    record = make_record(failing={first_check("part2")})
    html = pages.feedback_page(record)
    assert f"Total: {record['score']:g} / {record['max_score']:g}" in html
    for part in record["parts"].values():
        assert f"{part['title']}: {part['score']:g} / {part['max_score']:g}" in html


def test_every_check_is_listed_with_its_points_and_feedback():
    record = make_record(failing={first_check("part5")}, feedback="`clipped['dW1']` differs")
    html = pages.feedback_page(record)
    for part in record["parts"].values():
        for check in part["checks"]:
            assert f"<strong>{check['name']}</strong>" in html
            assert f"{check['score']:g} / {check['max_score']:g}" in html
    assert "`clipped[&#x27;dW1&#x27;]` differs" in html
    assert html.count("✗ failed") == 1


def test_hostile_strings_from_the_submission_are_escaped_everywhere():
    record = make_record(submission=HOSTILE, failing={first_check("part6")}, feedback=HOSTILE,
                         errors=[{"kind": "student", "message": HOSTILE}, {"kind": "file", "message": HOSTILE}])
    html = pages.feedback_page(record, notes=[HOSTILE], output=HOSTILE)
    assert "<script" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_plots_are_embedded_as_data_uris_under_their_part():
    html = pages.feedback_page(make_record(), images={"part2": [("gradient norms", SVG)]})
    part2, part5 = html.index('id="part2"'), html.index('id="part5"')
    image = html.index(f'src="{SVG}"')
    assert part2 < image < part5
    assert "<figcaption>gradient norms</figcaption>" in html


def test_an_image_that_is_not_one_of_our_embedded_svgs_is_dropped():
    others = ["https://example.com/a.svg", "javascript:alert(1)", "data:image/png;base64,iVBORw0KGgo=",
              "data:text/html;base64,PHNjcmlwdD4=", " " + SVG]
    html = pages.feedback_page(make_record(), images={"part2": [(f"image {i}", uri) for i, uri in enumerate(others)]})
    assert "<figure>" not in html and "<img" not in html


def test_the_page_loads_nothing_from_elsewhere_and_runs_no_script():
    html = pages.feedback_page(make_record(failing={first_check("part9")}),
                               images={"part2": [("c", SVG)]}, output="hello")
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "<script" not in html and "@import" not in html and "url(" not in html


def test_the_page_fits_a_phone_screen():
    html = pages.feedback_page(make_record())
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "@media (max-width:40rem)" in html


def test_printed_output_is_shown_only_when_there_is_some():
    assert "What your code printed" not in pages.feedback_page(make_record(), output="  \n")
    html = pages.feedback_page(make_record(), output="epoch 1: cost 0.69\n")
    assert "What your code printed" in html and "epoch 1: cost 0.69" in html


def test_grader_errors_tell_the_student_it_is_not_their_fault_without_internals():
    error = {"kind": "grader", "message": "part2.finite_differences: KeyError: '/opt/grader/secret'"}
    html = pages.feedback_page(make_record(errors=[error]))
    assert "not your fault" in html
    assert "part2.finite_differences" in html
    assert "secret" not in html


@pytest.mark.parametrize("status, shown", [("skipped", "– not run"), ("not_run", "– not run"),
                                           ("timed_out", "✗ failed"), ("crashed", "✗ failed"),
                                           ("grader_error", "✗ failed"), ("failed", "✗ failed")])
def test_a_check_is_shown_by_its_status_whatever_its_feedback_says(status, shown):
    record = make_record(failing={first_check("part2")}, status=status,
                         feedback="Skipped: an earlier check of this part timed out (finite_differences).")
    html = pages.feedback_page(record)
    assert html.count(shown) == 1 and html.count("– not run") + html.count("✗ failed") == 1


def test_a_record_without_statuses_shows_what_failed_as_failed():
    record = make_record(failing={first_check("part2")}, feedback="Skipped: this check could not run.")
    for check in (c for part in record["parts"].values() for c in part["checks"]):
        del check["status"]
    html = pages.feedback_page(record)
    assert "✗ failed" in html and "– not run" not in html


def test_the_checks_summaries_and_hidden_tags_come_from_the_checks_given():
    from autograder.checks import all_checks

    checks = all_checks()
    html = pages.feedback_page(make_record(), checks)
    hidden = next(c for c in checks if c.hidden)
    assert hidden.summary.split("'")[0] in html and 'class="tag">hidden test' in html
    assert 'class="tag">hidden test' not in pages.feedback_page(make_record())


def test_the_same_record_gives_the_same_page():
    record = make_record(failing={first_check("part2")})
    assert pages.feedback_page(record) == pages.feedback_page(record)


def test_each_kind_of_problem_gets_its_own_box_file_problems_first():
    errors = [{"kind": "grader", "message": "part2.x: boom"},
              {"kind": "sandbox", "message": "Your code tried to start a process; the sandbox refused."},
              {"kind": "student", "message": "Cell 3, line 1: SyntaxError"},
              {"kind": "file", "message": "The notebook is not valid JSON."}]
    html = pages.feedback_page(make_record(errors=errors))
    positions = [html.index(pages.ERROR_HEADINGS[kind]) for kind in ("file", "student", "sandbox", "grader")]
    assert positions == sorted(positions)
    assert "tried to start a process" in html
