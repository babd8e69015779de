"""The "Pairs to review" section of report.html, drawn from OUT/similarity.json.

Self-contained and offline like the rest of the report: no script, no
external file. Matching code is shown with <mark> and, for readers who do not
see the colour, a » at the start of the line. Wide code scrolls inside its
own box, so the page itself never scrolls sideways on a phone; those boxes
take the keyboard focus (tabindex), so they scroll without a mouse too.
"""
from autograder.outputs.html import escape, feedback_link, table
from autograder.tools.similarity.rank import ALL, MIN_FINGERPRINTS

MARKER = "»"
# The section's own rules; the rest (code boxes, tables, scrolling) is the pages' shared stylesheet.
STYLE = """
.pairs .sbs{display:flex;flex-wrap:wrap;gap:.8rem}.pairs .side{flex:1 1 20rem;min-width:0}
.pairs pre.code{font-size:.8rem}.pairs mark{background:#ffd966;color:var(--ink)}.pairs .ln{color:var(--muted)}
.pairs details{margin:.4rem 0 1rem}.pairs h4{font-size:.95rem;margin:.4rem 0}
"""
TITLES = {ALL: "All four stubs together"}


def section(data):
    head = '<h2 id="similarity">Pairs to review</h2>'
    if not isinstance(data, dict) or "review" not in data:
        return head + ('<p class="muted">Not computed for this run (<code>make grade SIMILARITY=0</code> or '
                       "<code>--no-similarity</code>).</p>")
    settings, review = data.get("settings", {}), data["review"]
    parts = [head, _intro(settings, data.get("reference_discounted"))]
    for stub, shown in review.get("sections", {}).items():
        parts.append(_stub_section(stub, shown, review, settings))
    return '<section class="pairs" aria-labelledby="similarity">' + "".join(parts) + "</section>"


def _intro(settings, reference):
    share = settings.get("common_share", 0)
    weight = settings.get("common_weight", 0)
    discounted = ("code found in more than " f"{share:.0%} of the class or in the reference solution"
                  if reference else f"code found in more than {share:.0%} of the class")
    missing = ("" if reference else
               " <strong>The reference solution was not available</strong> (a kit without solutions), so code "
               "that matches it is discounted only where most of the class has it too.")
    return (f"<p><strong>Similar code is a reason to look, never proof.</strong> Correct solutions to the same "
            f"stub converge, students may have worked together as allowed, and short code leaves little room "
            f"to differ. Read both codes before drawing any conclusion.</p>"
            f"<p class=\"muted\">How it is computed: only the code of the four stubs as graded is compared; "
            f"names, strings, comments and whitespace are ignored, so renaming or reformatting does not hide "
            f"copied code. Each code is cut into fragments of {settings.get('k')} tokens, of which a sample "
            f"(winnowing, as MOSS does) is kept. The release's own code never counts; {discounted} counts "
            f"{weight:g} instead of 1.{missing} A pair's score is the share of the smaller code's fragments "
            f"found in the other (over at least {MIN_FINGERPRINTS} fragments: short code is weak evidence): "
            f"1 means all of it. Pairs scoring at least {settings.get('threshold', 0):g} "
            f"are listed; <a href=\"similarity.json\">similarity.json</a> has every pair.</p>")


def _stub_section(stub, shown, review, settings):
    anchor = f"similarity-{stub}"
    title = TITLES.get(stub, f"<code>{escape(stub)}</code>")
    parts = [f'<h3 id="{escape(anchor)}">{title}</h3>']
    links = review.get("links", {})
    for group in shown.get("groups", []):
        names = ", ".join(_link(m, links) for m in group["members"])
        parts.append(f"<p>Group of {len(group['members'])}: {names} (scores {group['low']:.2f} to "
                     f"{group['high']:.2f} between members).</p>")
    pairs = shown.get("pairs", [])
    if not pairs:
        highest = shown.get("highest")
        best = (f" The highest score is {highest['score']:.2f} ({escape(highest['a'])} and "
                f"{escape(highest['b'])})." if highest else "")
        parts.append(f'<p class="muted">No pair of the {shown.get("compared", 0)} compared scores '
                     f'{settings.get("threshold", 0):g} or more.{best}</p>')
        return "".join(parts)
    rows = [[str(rank), f"{_link(p['a'], links)} and {_link(p['b'], links)}", f"{p['score']:.2f}",
             _why(p, settings)] for rank, p in enumerate(pairs, 1)]
    parts.append(table(["rank", "pair", "score", "why it ranks here"], rows, numeric=(0, 2),
                       label=f"Pairs to review: {stub}", caption="Highest scores first"))
    for p in pairs:
        parts.append(_side_by_side(p, review.get("code", {})))
    return "".join(parts)


def _why(pair, settings):
    weight = settings.get("common_weight", 0)
    text = f"{pair['shared']} of the {pair['smaller']} fragments of the smaller code are in both"
    if pair.get("discounted"):
        text += f"; {pair['discounted']} more shared ones are common and count {weight:g} each"
    return text + "."


def _side_by_side(pair, code):
    stubs = pair.get("fragments", {})
    blocks = []
    for stub, spans in stubs.items():
        sides = []
        for side in ("a", "b"):
            sid = pair[side]
            found = code.get(sid, {}).get(stub)
            if found is None:
                continue
            sides.append(f'<div class="side"><h4>{escape(sid)}: <code>{escape(stub)}</code>, cell {found["cell"]}'
                         f'</h4><pre class="code" tabindex="0"><code>{_lines(found, spans.get(side, []))}</code>'
                         "</pre></div>")
        blocks.append('<div class="sbs">' + "".join(sides) + "</div>")
    summary = (f"Code of {escape(pair['a'])} and {escape(pair['b'])} side by side "
               f"({MARKER} and highlight: found in both)")
    return f"<details><summary>{summary}</summary>{''.join(blocks)}</details>"


def _lines(found, spans):
    """The code with line numbers of the cell, matching spans in <mark> and matching lines marked »."""
    by_line = {}
    for line, start, end in spans:
        by_line.setdefault(line, []).append((start, end))
    out = []
    for number, text in enumerate(found["source"].splitlines()):
        marks = by_line.get(number, [])
        body, at = [], 0
        for start, end in sorted(marks):
            start = max(start, at)
            if end <= start:
                continue
            body.append(escape(text[at:start]) + "<mark>" + escape(text[start:end]) + "</mark>")
            at = end
        body.append(escape(text[at:]))
        gutter = f'<span class="ln">{found["line"] + number:>4}</span> {MARKER if marks else " "} '
        out.append(gutter + "".join(body))
    return "\n".join(out)


def _link(sid, links):
    safe = links.get(sid)
    return feedback_link(safe, sid) if safe else escape(sid)
