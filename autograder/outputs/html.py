"""The shell every HTML page of the kit fills, its one stylesheet, escaping, and the pieces pages share.

`page(title, body, style="")` is a whole document: doctype, language, character set, the
viewport a phone needs, the title, the shared stylesheet (STYLE; a page adds a few rules
of its own only if it must) and the body in a <main>. Pages are self-contained and
offline: no scripts, no fonts, images or stylesheets from elsewhere, so they open from a
file or an e-mail. Every text that comes from a submission or a record goes in through
`escape`.

Filled by the feedback page (outputs/pages.py), the class report (outputs/class_report.py,
with the similarity report's section from tools/similarity/page.py), the regrade page
(tools/diff.py) and the mutation report (tools/mutants/report.py). Every one is audited
with axe-core at WCAG 2.1 AA, on a phone and a desktop (tests/test_accessibility.py), and
none may scroll sideways on a phone: wide content scrolls inside its own box (`scrolling`),
which the keyboard can reach.
"""
import html
from urllib.parse import quote

STYLE = """
:root{--ink:#1b1f24;--muted:#57606a;--line:#d8dee4;--pass:#1a7f37;--fail:#cf222e;--skip:#9a6700;--code:#f6f8fa}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:60rem;
padding:1rem;color:var(--ink);line-height:1.45;overflow-wrap:break-word;-webkit-text-size-adjust:100%}
body.wide{max-width:72rem}
h1{font-size:1.45rem;margin:.2rem 0 .6rem}h2{font-size:1.15rem;margin:1.8rem 0 .4rem}
.card{border:1px solid var(--line);border-radius:.5rem;padding:.8rem;margin:1rem 0}
.card>:first-child,.box h2{margin-top:0}
table{border-collapse:collapse;margin:.4rem 0}caption{text-align:left}
td,th{border-bottom:1px solid var(--line);padding:.3rem .6rem;vertical-align:top;text-align:left}
th{font-size:.85rem;color:var(--muted);font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}.muted{color:var(--muted)}
.pass{color:var(--pass)}.fail{color:var(--fail)}.skip{color:var(--skip)}
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:0;font-size:.85rem;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre.code{white-space:pre;overflow-wrap:normal;overflow-x:auto;background:var(--code);border:1px solid var(--line);
border-radius:.4rem;padding:.4rem .6rem;margin:.3rem 0}
figure{margin:.8rem 0}img{max-width:100%;height:auto;display:block}
figcaption{font-size:.85rem;color:var(--muted)}
details{font-size:.85rem}summary{cursor:pointer;color:var(--muted)}.data td{text-align:right}
:focus-visible{outline:2px solid #0969da;outline-offset:2px}
footer{color:var(--muted);font-size:.8rem;margin-top:1.5rem}
.grid{display:flex;flex-wrap:wrap;gap:1rem}.grid figure{margin:0;flex:1 1 22rem;max-width:30rem}
.total{font-size:1.3rem;font-weight:650;margin:.2rem 0}
.bar{height:.55rem;background:#e6e8eb;border-radius:.3rem;overflow:hidden;margin:.2rem 0 .6rem}
.bar span{display:block;height:100%;background:#0072b2}
nav ul{list-style:none;padding:0;margin:.4rem 0;display:flex;flex-wrap:wrap;gap:.4rem}
nav a{display:inline-block;padding:.3rem .6rem;border:1px solid var(--line);border-radius:1rem;
text-decoration:none;color:var(--ink);font-size:.9rem}
.checks{width:100%}.checks td,.checks th{padding:.45rem}
.checks th:nth-child(1){width:6.5rem}.checks th:nth-child(2){width:12rem}.checks th:nth-child(3){width:4.5rem}
.status{white-space:nowrap;font-weight:650}
.points{white-space:nowrap}.what{display:block;color:var(--muted);font-size:.85rem;margin-bottom:.2rem}
.tag{font-size:.75rem;border:1px solid var(--line);border-radius:.6rem;padding:0 .35rem;color:var(--muted)}
.box{background:#fff8c5;border:1px solid #d4a72c;border-radius:.4rem;padding:.6rem;margin:.6rem 0}
.box h2{font-size:1rem}.box ul{margin:.2rem 0;padding-left:1.2rem}
.printed{background:var(--code);border:1px solid var(--line);border-radius:.4rem;padding:.6rem;max-height:30rem;
overflow:auto}
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


def escape(value):
    """Any value as HTML text or an attribute's value (quotes included)."""
    return html.escape(str(value), quote=True)


def page(title, body, style="", wide=False):
    """A whole page: the shell around `body` (HTML), titled `title` (text); style: the page's own rules;
    wide: for pages of wide tables (the class report), else the width text reads best at."""
    opening = '<body class="wide">' if wide else "<body>"
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{escape(title)}</title><style>{STYLE}{style}</style></head>\n"
            f"{opening}<main>\n{body}\n</main></body></html>\n")


def scrolling(content, label):
    """`content` (HTML) in a box that scrolls sideways on its own, so the page never does on a phone.

    The box is focusable and named (`label`, text), so a keyboard can scroll it too (WCAG 2.1.1)."""
    return f'<div class="scroll" tabindex="0" role="region" aria-label="{escape(label)}">{content}</div>'


def table(header, rows, numeric=(), label="", caption=""):
    """A table in a scrolling box: header, the columns' names (text); rows, lists of cells that are
    already HTML; numeric, the columns aligned as numbers; label, the box's name (default: the
    columns); caption, text above the table."""
    numeric = set(numeric)
    body = "".join("<tr>" + "".join(f'<td{" class=n" if i in numeric else ""}>{cell}</td>'
                                    for i, cell in enumerate(row)) + "</tr>" for row in rows)
    caption = f'<caption class="muted">{escape(caption)}</caption>' if caption else ""
    return scrolling(f"<table>{caption}{head(header)}<tbody>{body}</tbody></table>",
                     label or "Table of " + ", ".join(map(str, header)))


def head(names):
    """A table's header row: a column heading per name (text)."""
    return "<thead><tr>" + "".join(f'<th scope="col">{escape(name)}</th>' for name in names) + "</tr></thead>"


def link(href, text):
    """A link to `href` (a URL, already quoted where it must be) reading `text`."""
    return f'<a href="{escape(href)}">{escape(text)}</a>'


def feedback_link(safe_id, text, folder="feedback"):
    """A link to a student's feedback page, `folder`/<safe id>.html, reading `text`."""
    return link(f"{folder}/{quote(safe_id)}.html", text)


def data_table(values=None):
    """A plot's values, (headers, rows), as a table a screen reader reads and anyone can open
    (WCAG 1.1.1: the text alternative carries the data, not only what the plot is); "" for none."""
    if not values:
        return ""
    headers, rows = values
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return (f'<details><summary>The plotted values</summary><table class="data">{head(headers)}'
            f"<tbody>{body}</tbody></table></details>")
