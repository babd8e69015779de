"""The student's feedback page: OUT/feedback/<id>.html, one self-contained file.

Only the results record, plot images made from grader-side data, and the
capped printed output of the student's code go in, all HTML-escaped. Never
the source of hidden tests: the record holds none, and nothing here reads
any (docs/design.md, principle 7: hidden checks add coverage, not secrecy, so
they are listed with their feedback like every other check). No scripts, no
fonts or images from elsewhere: the page works offline and from an e-mail.
"""
from autograder.outcomes import Status
from autograder.outputs.html import data_table, escape, head, page

STATUS_TEXT = {"pass": "✓ passed", "fail": "✗ failed", "skip": "– not run"}

ERROR_HEADINGS = {
    "file": "Your file could not be graded",
    "student": "Messages about your code",
    "sandbox": "What the sandbox running your code stopped or noticed",
    "grader": "The grader had a problem (not your fault)",
}


def feedback_page(record, checks=(), images=None, notes=(), output=""):
    """HTML for one results record.

    checks: the Check records (each row's one-line summary, whether it is hidden);
    images: {part id: [(caption, "data:image/svg+xml;base64,...", (headers, rows))]} from plots.py, shown
    under their part with the plotted values (the third item may be left out);
    notes: extra messages for the student; output: what their code printed (already capped)."""
    images = images or {}
    parts = record["parts"]
    known = {(c.part, c.name): c for c in checks}
    body = "".join([
        f"<h1>Lab 4.3 feedback: {escape(record['submission'])}</h1>",
        _total(record["score"], record["max_score"]),
        _navigation(parts),
        messages(record.get("errors", []), notes),
        "".join(_part(pid, part, images.get(pid, []), known) for pid, part in parts.items()),
        _printed(output),
        _footer(record),
    ])
    return page(f"Feedback: {record['submission']}", body)


def _total(score, max_score):
    percent = 100 * score / max_score if max_score else 0
    return (f'<p class="total">Total: {score:g} / {max_score:g} ({percent:.0f}%)</p>'
            f'<div class="bar" role="img" aria-label="{percent:.0f} percent">'
            f'<span style="width:{percent:.1f}%"></span></div>')


def _navigation(parts):
    links = "".join(f'<li><a href="#{escape(pid)}">{escape(part["title"])}: '
                    f'{part["score"]:g}/{part["max_score"]:g}</a></li>' for pid, part in parts.items())
    return f'<nav aria-label="parts"><ul>{links}</ul></nav>'


def messages(errors, notes):
    """One box per kind of problem: file, student, sandbox, grader."""
    grouped = {}
    for error in errors:
        kind = error.get("kind", "student") if isinstance(error, dict) else "student"
        grouped.setdefault(kind if kind in ERROR_HEADINGS else "student", []).append(_error_text(error))
    html = ""
    for kind in ERROR_HEADINGS:  # in the order a student should read them
        if kind in grouped:
            items = "".join(f"<li><pre>{escape(text)}</pre></li>" for text in grouped[kind])
            html += f'<div class="box"><h2>{ERROR_HEADINGS[kind]}</h2><ul>{items}</ul></div>'
    if notes:
        items = "".join(f"<li>{escape(str(note))}</li>" for note in notes)
        html += f'<div class="box"><h2>Notes</h2><ul>{items}</ul></div>'
    return html


def _part(pid, part, images, known):
    rows = "".join(_row(check, known.get((pid, check["name"]))) for check in part["checks"])
    percent = 100 * part["score"] / part["max_score"] if part["max_score"] else 0
    figures = figures_html(images)
    return (f'<section class="card" id="{escape(pid)}"><h2>{escape(part["title"])}: '
            f'{part["score"]:g} / {part["max_score"]:g}</h2>'
            f'<div class="bar"><span style="width:{percent:.1f}%"></span></div>'
            f'{checks_table(("result", "check", "points", "what is checked, and feedback"), rows)}'
            f"{figures}</section>")


def checks_table(header, rows):
    """The table of checks the feedback and regrade pages share: a row per check, a card per check
    on a phone; header: the four columns' names (text); rows: the <tr> rows (HTML)."""
    return f'<table class="checks">{head(header)}<tbody>{rows}</tbody></table>'


def figures_html(images):
    """A part's plots, each with its caption and its values as a table: images is
    [(caption, "data:image/svg+xml;base64,...", (headers, rows))] as plots.images gives it."""
    return "".join(f'<figure><img alt="{escape(caption)}" src="{escape(uri)}">'
                   f"<figcaption>{escape(caption)}</figcaption>{data_table(*values)}</figure>"
                   for caption, uri, *values in images if uri.startswith("data:image/svg+xml;base64,"))


def _row(check, info):
    status = check_status(check)
    what = f'<span class="what">{escape(info.summary)}</span>' if info else ""
    tag = ' <span class="tag">hidden test</span>' if info and info.hidden else ""
    return (f'<tr><td class="status {status}">{STATUS_TEXT[status]}</td>'
            f'<td><strong>{escape(check["name"])}</strong>{tag}</td>'
            f'<td class="points">{check["score"]:g} / {check["max_score"]:g}</td>'
            f'<td>{what}<pre>{escape(str(check["feedback"]))}</pre></td></tr>')


# How a page shows each status: "skip" for a check that never ran (a missing stub, an unloadable
# file, a used-up time budget); a check that ran and was stopped, or that the grader failed, "fail".
SHOWN = {Status.PASSED: "pass", Status.FAILED: "fail", Status.TIMED_OUT: "fail", Status.CRASHED: "fail",
         Status.GRADER_ERROR: "fail", Status.SKIPPED: "skip", Status.NOT_RUN: "skip"}


def check_status(check):
    """"pass", "fail" or "skip" for a results record's check, from its status (a record without
    one, before format 2, says only whether it passed)."""
    if "status" not in check:
        return "pass" if check["passed"] else "fail"
    return SHOWN[Status(check["status"])]


def _printed(output):
    if not output.strip():
        return ""
    return ('<section class="card" id="printed"><h2>What your code printed</h2>'
            "<p>The start of the output of your definitions and stubs while they were graded.</p>"
            # Focusable and named: a keyboard user can scroll a long output too.
            f'<pre class="printed" tabindex="0" role="region" aria-label="What your code printed">'
            f"{escape(output)}</pre></section>")


def _footer(record):
    return (f"<footer>Graded by gradlab {escape(str(record.get('grader_version')))}. "
            f"{escape(inputs_sentence(record))} Every check, hidden ones included, is listed with its "
            "feedback; the same code graded again gives the same result.</footer>")


def inputs_sentence(record):
    """What a student reads about the inputs they were graded on (never the seed itself)."""
    if (record.get("inputs") or {}).get("kind") == "graded":
        return ("Your code was graded on inputs drawn for this submission, which differ from the ones the "
                "notebook's self-check uses: code that computes the answers passes both, and answers "
                "looked up for the self-check's inputs pass neither.")
    return "Graded on the published inputs, the ones the notebook's self-check uses."


def _error_text(error):
    if isinstance(error, dict):
        message = str(error.get("message", ""))
        if error.get("kind") == "grader":
            # The TA sees the details in the class report; the student needs only which check.
            return f"{message.split(':', 1)[0]}: your TA has been told and will regrade it."
        return message
    return str(error)
