"""The TA's overview: OUT/report.html, one self-contained file.

Read from what the batch already wrote: the results records, the named
mistakes in OUT/state/<id>.json and the times in OUT/timings.json.
OUT/grades.csv stays the machine-readable source; this page is for reading:
score distributions, what most of the class got wrong, what needs a TA's
attention, and a link to every student's feedback page.
"""
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from autograder import mistakes as M
from autograder.outcomes import FOR_THE_TA, PARTIAL_SANDBOX, Status
from autograder.outputs import report
from autograder.outputs import html
from autograder.outputs.html import data_table, escape, feedback_link
from autograder.outputs.pages import check_status

TOP = 15          # rows in the "most frequent" tables
SLOWEST = 10
# Mistake ids that name no specific pattern (autograder/mistakes.py): counted apart from the named ones.
GENERIC_MISTAKES = set(M.GENERIC)

class ReportSection(NamedTuple):
    """A section another step adds to the report: its HTML and the few CSS rules of its own it needs
    beyond the pages' shared stylesheet (outputs/html.py)."""
    html: str
    style: str = ""


def write(out, records, safe_ids, grading, sections=(), known=None):
    """Write OUT/report.html for `records` (whose file names are `safe_ids`, in the same order).

    sections: ReportSection items that steps after grading add (the similarity report's
    "Pairs to review"): the report shows them without knowing what made them; known: {mistake
    id: hint} of the parts' MISTAKES tables (a Grader's `mistakes`), to describe them by name."""
    out = Path(out)
    states = [_read_json(out / "state" / f"{sid}.json") for sid in safe_ids]
    timings = _read_json(out / "timings.json")
    text = page(records, safe_ids, grading, [s.get("mistakes", {}) for s in states], timings, sections, known)
    report.write_atomic(out / "report.html", text)


def page(records, safe_ids, grading, mistakes, timings, sections=(), known=None):
    """The report's HTML; mistakes: per record {"part.check": mistake id}; timings: {id: seconds};
    sections: ReportSection items added after the class's mistakes; known: as in write()."""
    parts = [
        f"<h1>Lab 4.3: class report</h1><p>{len(records)} submission{'s' * (len(records) != 1)}, "
        f"{grading.max_score:g} points in all. Machine-readable scores: <a href=\"grades.csv\">grades.csv</a>.</p>",
        _partial_sandbox(records),
        _attention(records, safe_ids),
        _flagged(records, safe_ids),
        _distributions(records, grading),
        _failed_checks(records, grading),
        _mistakes(mistakes, records, known or {}),
        *(section.html for section in sections),
        _slowest(records, safe_ids, timings),
        _all_submissions(records, safe_ids, grading, timings),
    ]
    return html.page("Lab 4.3 class report", "\n".join(parts), "".join(section.style for section in sections),
                     wide=True)


# -- sections ---------------------------------------------------------------------------

def _distributions(records, grading):
    from autograder.outputs.plots import histogram  # noqa: PLC0415 - loaded only when there is a report to draw

    rows, figures = [], []
    columns = [(pid, part.title, part.points) for pid, part in grading.parts.items()]
    columns.append(("total", "Total", grading.max_score))
    for pid, title, points in columns:
        scores = [_score(r, pid) for r in records]
        if not scores:
            continue
        full = sum(1 for s in scores if abs(s - points) < 1e-9)
        rows.append([escape(title), _n(points), _n(statistics.fmean(scores)), _n(statistics.median(scores)),
                     _n(min(scores)), _n(max(scores)), f"{full}/{len(scores)}"])
        figures.append(f'<figure><img alt="Histogram of {escape(title)} scores" '
                       f'src="{histogram(scores, points, title)}"><figcaption>{escape(title)}: '
                       f"mean {statistics.fmean(scores):.2f}, median {statistics.median(scores):g}"
                       f"</figcaption>{_counts(scores)}</figure>")
    table = html.table(["part", "points", "mean", "median", "min", "max", "full marks"], rows, numeric=range(1, 7))
    return f'<h2 id="distributions">Score distribution per part</h2>{table}<div class="grid">{"".join(figures)}</div>'


def _counts(scores):
    """The histogram's data as text (WCAG 1.1.1): each score and how many got it."""
    rows = [[_n(score), str(count)] for score, count in sorted(Counter(scores).items())]
    return data_table((["points", "submissions"], rows))


def _failed_checks(records, grading):
    failed, skipped = Counter(), Counter()
    titles = {pid: part.title for pid, part in grading.parts.items()}
    for rec in records:
        for pid, part in rec["parts"].items():
            for check in part["checks"]:
                if not check["passed"]:
                    counter = skipped if check_status(check) == "skip" else failed
                    counter[(pid, check["name"])] += 1
    rows = [[escape(titles.get(pid, pid)), escape(name), str(count), str(skipped[(pid, name)])]
            for (pid, name), count in failed.most_common(TOP)]
    body = (html.table(["part", "check", "failed", "also not run"], rows, numeric=(2, 3)) if rows
            else '<p class="muted">No check failed.</p>')
    return ('<h2 id="failed">Most frequently failed checks</h2>'
            '<p class="muted">Failed: the check ran and the answer was wrong. Not run: skipped because the stub '
            "was missing, could not be loaded, or its part used up its time budget after calls timed out.</p>" + body)


def _mistakes(mistakes, records, known):
    named, generic = Counter(), Counter()
    for found in mistakes:
        for key, mistake in found.items():
            if mistake:
                (generic if mistake in GENERIC_MISTAKES else named)[(mistake, key)] += 1
    for key, status in _statuses(records):  # timeouts, crashes and grader errors: no mistake, a status
        if status in FOR_THE_TA:
            generic[(status.value, key)] += 1
    body = _mistake_table(named, known) or '<p class="muted">No failed check matched a known mistake.</p>'
    others = _mistake_table(generic, known)
    return ('<h2 id="mistakes">Named mistakes</h2><p class="muted">The known pattern each failed check matched '
            "(for example a missing factor of 1/m, a transpose, unbiased variance), counted over the class.</p>"
            + body + ("<h3>Other failures</h3><p class=\"muted\">Exceptions, wrong values matching no known "
                      "pattern, wrong types or shapes, crashes and timeouts.</p>" + others if others else ""))


def _mistake_table(counts, known):
    """Rows of (mistake, what it is, times, where) for {(mistake, "part.check"): count}; "" when empty.

    known: {part id: that part's Mistakes table}. Two parts may use one id for their own mistake
    (a squared norm, an input modified in place): each part's row is described by its own table."""
    by_mistake = Counter()
    for (mistake, key), count in counts.items():
        by_mistake[(key.partition(".")[0], mistake)] += count
    statuses = {status.value: text for status, text in FOR_THE_TA.items()}
    rows = [[escape(m), escape(M.describe(m, {**known.get(part, {}), **statuses})), str(total),
             escape(", ".join(f"{key} ({c})" for (mm, key), c in counts.most_common()
                              if mm == m and key.partition(".")[0] == part))]
            for (part, m), total in by_mistake.most_common(TOP)]
    return html.table(["mistake", "what it is", "times", "in checks (times)"], rows, numeric=(2,)) if rows else ""


def _statuses(records):
    """("part.check", Status) of every check of every record, in the records' order (a record
    before format 2 has no status: its checks are left out)."""
    for rec in records:
        for pid, part in rec["parts"].items():
            for check in part["checks"]:
                if "status" in check:
                    yield f"{pid}.{check['name']}", Status(check["status"])


def _slowest(records, safe_ids, timings):
    known = [(timings[r["submission"]], r, sid) for r, sid in zip(records, safe_ids)
             if isinstance(timings.get(r["submission"]), (int, float))]
    known.sort(key=lambda item: (-item[0], item[1]["submission"]))
    rows = [[_link(r, sid), f"{seconds:.1f}"] for seconds, r, sid in known[:SLOWEST]]
    body = (html.table(["submission", "seconds"], rows, numeric=(1,)) if rows
            else '<p class="muted">No timings recorded.</p>')
    return '<h2 id="slowest">Slowest submissions</h2>' + body


def _partial_sandbox(records):
    """A plain warning at the top when student code ran without the allowlist file system."""
    partial = [r for r in records if any(_partial(e) for e in r.get("errors", []))]
    if not partial:
        return ""
    return (f'<p id="partial-sandbox"><strong>The sandbox was partial</strong> for {len(partial)} of '
            f"{len(records)} submissions: their code ran without the allowlist file system (grade as "
            "root for the full sandbox), so it could read files the grader's user can read, solutions "
            "included if they are on this machine. README, section Sandbox, says what was missing.</p>")


def _partial(error):
    """True for the note of a worker that ran without the allowlist root (found by its code)."""
    return isinstance(error, dict) and error.get("kind") == "sandbox" and error.get("code") == PARTIAL_SANDBOX


def _attention(records, safe_ids):
    """Submissions a TA should look at: unreadable files, grader errors, timeouts and crashes."""
    rows = []
    for rec, sid in zip(records, safe_ids):
        reasons = [f"{e.get('kind')}: {e.get('message', '')}" for e in rec.get("errors", [])
                   if isinstance(e, dict) and e.get("kind") in ("grader", "file", "sandbox")
                   and not _partial(e)]  # said once, above
        reasons += [f"{FOR_THE_TA[status]}: {key}" for key, status in _statuses([rec]) if status in FOR_THE_TA]
        if reasons:
            rows.append([_link(rec, sid), "<br>".join(escape(r) for r in reasons)])
    body = (html.table(["submission", "why"], rows) if rows
            else '<p class="muted">Nothing: every file was read, no check timed out or crashed, '
                 "and the grader had no errors.</p>")
    return '<h2 id="attention">Needs a TA\'s attention</h2>' + body


def _flagged(records, safe_ids):
    """Submissions whose records carry flags (pipeline/grade.py, pipeline/flags.py): checks passed on
    the published inputs only, large literal tables in the code. Reasons to look, not verdicts."""
    rows = []
    for rec, sid in zip(records, safe_ids):
        flags = [f for f in rec.get("flags", []) if isinstance(f, dict)]
        if flags:
            rows.append([_link(rec, sid), "<br>".join(escape(str(f.get("message", ""))) for f in flags)])
    intro = ("<p>Each submission is graded on inputs drawn for its own code from the course's secret. A check "
             "that fails there but passes on the published inputs (the notebook's self-check) suggests answers "
             "looked up, not computed; so does a large literal table in the code. A flag costs no points: "
             "read the code, as with the similarity report's pairs.</p>")
    body = (html.table(["submission", "why"], rows) if rows
            else '<p class="muted">Nothing: no check passed on the published inputs only, and no definition '
                 "carries a large literal table.</p>")
    return f'<h2 id="hard-coded">Possibly hard-coded</h2>{intro}{body}'


def _all_submissions(records, safe_ids, grading, timings):
    header = ["submission", *grading.parts, "total", "seconds"]
    rows = []
    for rec, sid in sorted(zip(records, safe_ids), key=lambda item: item[0]["submission"]):
        seconds = timings.get(rec["submission"])
        rows.append([_link(rec, sid), *(_n(_score(rec, pid)) for pid in grading.parts), _n(rec["score"]),
                     f"{seconds:.1f}" if isinstance(seconds, (int, float)) else ""])
    table = html.table(header, rows, numeric=range(1, len(header)))
    return f'<h2 id="submissions">All submissions</h2>{table}'


# -- helpers ------------------------------------------------------------------------------

def _link(record, safe_id):
    return feedback_link(safe_id, record["submission"])


def _score(record, pid):
    if pid == "total":
        return record["score"]
    part = record["parts"].get(pid)
    return part["score"] if part else 0.0


def _n(value):
    return f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:g}"


def _read_json(path):
    try:
        value = json.loads(Path(path).read_text())
        return value if isinstance(value, dict) else {}
    except (OSError, ValueError):
        return {}
