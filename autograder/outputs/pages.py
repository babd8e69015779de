"""The student's feedback page: OUT/feedback/<id>.html, one self-contained file.

Only the results record, plot images made from grader-side data, and the
capped printed output of the student's code go in, all HTML-escaped. Never
the source of hidden tests: the record holds none, and nothing here reads
any (docs/design.md, principle 7: hidden checks add coverage, not secrecy, so
they are listed with their feedback like every other check). No scripts, no
fonts or images from elsewhere: the page works offline and from an e-mail.
"""
from html import escape

from autograder.outcomes import Status

STYLE = """
:root{--ink:#1b1f24;--muted:#57606a;--line:#d8dee4;--pass:#1a7f37;--fail:#cf222e;--skip:#9a6700}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:60rem;
padding:1rem;color:var(--ink);line-height:1.45;-webkit-text-size-adjust:100%}
h1{font-size:1.45rem;margin:.2rem 0 .6rem}h2{font-size:1.15rem;margin:0 0 .4rem}
section{border:1px solid var(--line);border-radius:.5rem;padding:.8rem;margin:1rem 0}
.total{font-size:1.3rem;font-weight:650;margin:.2rem 0}
.bar{height:.55rem;background:#e6e8eb;border-radius:.3rem;overflow:hidden;margin:.2rem 0 .6rem}
.bar span{display:block;height:100%;background:#0072b2}
nav ul{list-style:none;padding:0;margin:.4rem 0;display:flex;flex-wrap:wrap;gap:.4rem}
nav a{display:inline-block;padding:.3rem .6rem;border:1px solid var(--line);border-radius:1rem;
text-decoration:none;color:var(--ink);font-size:.9rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0}
td,th{border-bottom:1px solid var(--line);padding:.45rem;vertical-align:top;text-align:left}
th{font-size:.8rem;color:var(--muted);font-weight:600}
.checks th:nth-child(1){width:6.5rem}.checks th:nth-child(2){width:12rem}.checks th:nth-child(3){width:4.5rem}
.status{white-space:nowrap;font-weight:650}.pass{color:var(--pass)}.fail{color:var(--fail)}.skip{color:var(--skip)}
.points{white-space:nowrap}.what{display:block;color:var(--muted);font-size:.85rem;margin-bottom:.2rem}
.tag{font-size:.75rem;border:1px solid var(--line);border-radius:.6rem;padding:0 .35rem;color:var(--muted)}
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:0;font-size:.85rem;
font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.box{background:#fff8c5;border:1px solid #d4a72c;border-radius:.4rem;padding:.6rem;margin:.6rem 0}
.box h2{font-size:1rem}.box ul{margin:.2rem 0;padding-left:1.2rem}
.printed{background:#f6f8fa;border:1px solid var(--line);border-radius:.4rem;padding:.6rem;max-height:30rem;
overflow:auto}
figure{margin:.8rem 0}img{max-width:100%;height:auto;display:block}
figcaption{font-size:.85rem;color:var(--muted)}
details{font-size:.85rem}summary{cursor:pointer;color:var(--muted)}.data{width:auto}.data td{text-align:right}
:focus-visible{outline:2px solid #0969da;outline-offset:2px}
footer{color:var(--muted);font-size:.8rem;margin-top:1.5rem}
@media (max-width:40rem){
 body{padding:.6rem}
 .checks,.checks tbody{display:block;width:100%}
 .checks thead{display:none}
 /* one card per check: result, name and points on a line, the feedback below at full width */
 .checks tr{display:grid;grid-template-columns:auto minmax(0,1fr) auto;column-gap:.5rem;
 border-bottom:1px solid var(--line);padding:.45rem 0}
 .checks td{border:0;padding:.1rem 0;min-width:0;overflow-wrap:anywhere}.checks td:nth-child(4){grid-column:1/-1}
}
"""

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
    title = escape(str(record["submission"]))
    parts = record["parts"]
    known = {(c.part, c.name): c for c in checks}
    body = "".join([
        f"<h1>Lab 4.3 feedback: {title}</h1>",
        _total(record["score"], record["max_score"]),
        _navigation(parts),
        messages(record.get("errors", []), notes),
        "".join(_part(pid, part, images.get(pid, []), known) for pid, part in parts.items()),
        _printed(output),
        _footer(record),
    ])
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>Feedback: {title}</title><style>{STYLE}</style></head>\n"
            f"<body><main>\n{body}\n</main></body></html>\n")


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
    return (f'<section id="{escape(pid)}"><h2>{escape(part["title"])}: '
            f'{part["score"]:g} / {part["max_score"]:g}</h2>'
            f'<div class="bar"><span style="width:{percent:.1f}%"></span></div>'
            '<table class="checks"><thead><tr><th>result</th><th>check</th><th>points</th>'
            "<th>what is checked, and feedback</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>{figures}</section>")


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


def data_table(values=None):
    """A plot's values, (headers, rows), as a table a screen reader reads and anyone can open
    (WCAG 1.1.1: the text alternative carries the data, not only what the plot is); "" for none."""
    if not values:
        return ""
    headers, rows = values
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return (f'<details><summary>The plotted values</summary><table class="data"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></details>")


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
    return ('<section id="printed"><h2>What your code printed</h2>'
            "<p>The start of the output of your definitions and stubs while they were graded.</p>"
            # Focusable and named: a keyboard user can scroll a long output too.
            f'<pre class="printed" tabindex="0" role="region" aria-label="What your code printed">'
            f"{escape(output)}</pre></section>")


def _footer(record):
    return (f"<footer>Graded with seed {escape(str(record.get('seed')))} by gradlab "
            f"{escape(str(record.get('grader_version')))}. Every check, hidden ones included, is "
            "listed with its feedback; the same code graded again gives the same result.</footer>")


def _error_text(error):
    if isinstance(error, dict):
        message = str(error.get("message", ""))
        if error.get("kind") == "grader":
            # The TA sees the details in the class report; the student needs only which check.
            return f"{message.split(':', 1)[0]}: your TA has been told and will regrade it."
        return message
    return str(error)
