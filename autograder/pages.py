"""The student's feedback page: OUT/feedback/<id>.html, self-contained.

Only the results record (and plot images made from grader-side data) go in:
never the source of hidden tests, never anything the student's code produced
except its capped printed output, always HTML-escaped.
"""
from html import escape

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:60rem;
padding:1rem;color:#1b1f24;line-height:1.45}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.6rem 0 .4rem}
.total{font-size:1.25rem;font-weight:600}.bar{height:.5rem;background:#e6e8eb;border-radius:.25rem;overflow:hidden}
.bar span{display:block;height:100%;background:#2da44e}
table{border-collapse:collapse;width:100%;margin:.4rem 0}td,th{border-bottom:1px solid #d8dee4;padding:.4rem;
vertical-align:top;text-align:left}th{font-size:.85rem;color:#57606a}
.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font-size:.85rem;font-family:ui-monospace,monospace}
.note{background:#fff8c5;border:1px solid #d4a72c;border-radius:.3rem;padding:.5rem;margin:.4rem 0}
img{max-width:100%;height:auto}
@media (max-width:40rem){td:nth-child(3),th:nth-child(3){display:none}}
"""


def feedback_page(record, images=None, notes=(), output=""):
    """HTML for one results record; images: {part id: [(caption, data-URI PNG)]}."""
    images = images or {}
    score, max_score = record["score"], record["max_score"]
    parts_html = "".join(_part(pid, part, images.get(pid, [])) for pid, part in record["parts"].items())
    errors = "".join(f'<div class="note">{escape(_error_text(e))}</div>' for e in record["errors"])
    notes_html = "".join(f'<div class="note">{escape(n)}</div>' for n in notes)
    printed = (f"<h2>What your code printed</h2><pre>{escape(output)}</pre>" if output.strip() else "")
    percent = 100 * score / max_score if max_score else 0
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Feedback: {escape(record['submission'])}</title><style>{STYLE}</style></head>
<body><h1>Lab 4.3 feedback: {escape(record['submission'])}</h1>
<p class="total">Total: {score:g} / {max_score:g}</p>
<div class="bar"><span style="width:{percent:.1f}%"></span></div>
{notes_html}{errors}{parts_html}{printed}
<p><small>Seed {record['seed']}, grader {escape(str(record['grader_version']))}.</small></p>
</body></html>
"""


def _part(pid, part, images):
    rows = "".join(
        f"<tr><td class=\"{'pass' if c['passed'] else 'fail'}\">{'pass' if c['passed'] else 'fail'}</td>"
        f"<td>{escape(c['name'])}</td><td>{c['score']:g} / {c['max_score']:g}</td>"
        f"<td><pre>{escape(c['feedback'])}</pre></td></tr>"
        for c in part["checks"])
    figures = "".join(f'<figure><img alt="{escape(caption)}" src="{uri}"><figcaption>{escape(caption)}'
                      f"</figcaption></figure>" for caption, uri in images)
    return (f'<h2 id="{escape(pid)}">{escape(part["title"])}: {part["score"]:g} / {part["max_score"]:g}</h2>'
            f"<table><tr><th>result</th><th>check</th><th>points</th><th>feedback</th></tr>{rows}</table>"
            f"{figures}")


def _error_text(error):
    if isinstance(error, dict):
        return str(error.get("message", ""))
    return str(error)
