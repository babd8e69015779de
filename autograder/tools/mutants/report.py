"""Step 4: DIR/results.json and DIR/report.html of a mutation run.

results.json: {"seed", "grader_version", "mutant_set", "parts": {part: {"mutants", "killed",
"leaked", "crashed", "survived", "equivalent", "kill_rate", "min_kill_rate"}}, "checks":
{part: {check: {"kills", "unique", "subsumed_by"}}}, "operators": {operator: {"anchor",
"mutants", "detected", "equivalent"}}, "mutants": [{"id", "part", "stub", "operator", "line",
"description", "diff", "status", "killed_by", "leaked_to", "crashed", "evidence"}]}.
The kill rate is (killed + crashed + leaked) / (mutants - equivalent): what the grader caught,
out of what it could catch. report.html is one offline page (the pages' shell, outputs/html.py, and
inline SVG; no requests).
"""
from autograder.checks import all_checks
from autograder.outputs.html import escape, page, scrolling, table
from autograder.parts import BY_ID, PARTS
from autograder.tools.mutants.generate import ANCHORS

STATUSES = ("killed", "crashed", "leaked", "equivalent", "survived")
COLOURS = {"killed": "#2e7d32", "crashed": "#66bb6a", "leaked": "#c62828", "equivalent": "#9e9e9e",
           "survived": "#ef6c00"}


def results(mutants, records, grading, mutant_set, version, survivors=None):
    """survivors: {part id: [{"line", "why"}]}, the survivors each part lets through on purpose
    (its checks module's SURVIVORS)."""
    rows = []
    for mutant in mutants:
        record = records[mutant.id]
        rows.append({"id": mutant.id, "part": mutant.part, "stub": mutant.stub, "operator": mutant.operator,
                     "line": mutant.line, "description": mutant.description, "diff": mutant.diff,
                     "status": record["status"], "killed_by": record["killed_by"],
                     "leaked_to": record["leaked_to"], "crashed": record["crashed"],
                     "evidence": record.get("evidence"),
                     "explanation": explanation(mutant, survivors) if record["status"] == "survived" else ""})
    return {"seed": grading.seed, "grader_version": version, "mutant_set": mutant_set,
            "parts": part_counts(rows, grading), "checks": check_matrix(rows),
            "operators": operator_counts(rows), "mutants": rows}


def explanation(mutant, survivors):
    """Why the checks let this survivor through on purpose ({part id: its SURVIVORS}), or "".

    A survivor matches an entry of its part when a line the mutant adds to the stub (a `+` line
    of its diff, stripped) is the entry's `line`; it still counts against the part's kill rate."""
    added = {line[1:].strip() for line in mutant.diff.splitlines() if line.startswith("+") and
             not line.startswith("+++")}
    for entry in (survivors or {}).get(mutant.part, ()):
        if entry["line"] in added:
            return entry["why"]
    return ""


def part_counts(rows, grading):
    parts = {}
    for part in (row.id for row in PARTS):
        own = [r for r in rows if r["part"] == part]
        if not own:
            continue
        counts = {"mutants": len(own), **{s: sum(r["status"] == s for r in own) for s in STATUSES}}
        detectable = counts["mutants"] - counts["equivalent"]
        caught = counts["killed"] + counts["crashed"] + counts["leaked"]
        counts["kill_rate"] = round(caught / detectable, 4) if detectable else 1.0
        counts["min_kill_rate"] = grading.mutants.min_kill_rate.get(part)
        parts[part] = counts
    return parts


def check_matrix(rows):
    """Per check: mutants it kills, those no other check of its part kills, and the checks
    that kill everything it kills (it adds nothing beyond them)."""
    matrix = {}
    for part in (row.id for row in PARTS):
        own = [r for r in rows if r["part"] == part]
        if not own:
            continue
        names = [c.name for c in all_checks() if c.part == part]
        kills = {n: {r["id"] for r in own if n in r["killed_by"]} for n in names}
        matrix[part] = {}
        for name in names:
            others = set().union(*(kills[o] for o in names if o != name)) if len(names) > 1 else set()
            matrix[part][name] = {
                "kills": len(kills[name]), "unique": len(kills[name] - others),
                "subsumed_by": [o for o in names if o != name and kills[name] and kills[name] <= kills[o]]}
    return matrix


def operator_counts(rows):
    counts = {}
    for operator in ANCHORS:
        own = [r for r in rows if r["operator"] == operator]
        if own:
            counts[operator] = {"anchor": ANCHORS[operator], "mutants": len(own),
                                "detected": sum(r["status"] in ("killed", "crashed", "leaked") for r in own),
                                "equivalent": sum(r["status"] == "equivalent" for r in own)}
    return counts


# -- the page ------------------------------------------------------------------------------

def html(results):
    """report.html: the pages' shell (outputs/html.py) around the run's tables, plots and survivors."""
    parts = results["parts"]
    verdict = all(_gate_passed(p) for p in parts.values())
    body = [
        "<h1>Mutation analysis of the checks</h1>",
        f"<p>{sum(p['mutants'] for p in parts.values())} mutants of the reference, one change to one stub "
        f"each, graded by the real grader (seed {escape(results['seed'])}, grader "
        f"{escape(results['grader_version'])}, mutant set {escape(results['mutant_set'])}). Release gate: "
        f"{_verdict(verdict, 'passed' if verdict else 'failed')}.</p>",
        "<h2>Per part</h2>", _part_table(parts), scrolling(_plot(parts), "Mutants per part by status"),
        "<h2>Per check</h2><p class=\"muted\">Kills: mutants that fail the check. Unique: mutants no other "
        "check of the part kills. A check that kills nothing is useless against these mutants; one whose "
        "kills another check also makes is redundant with it.</p>", _check_table(results["checks"]),
        "<h2>Which checks kill which mutants</h2>", _matrices(results), "<h2>Per operator</h2>",
        _operator_table(results["operators"]), _survivors(results), _equivalents(results),
    ]
    return page("Mutation analysis of the checks", "\n".join(body), wide=True)


def _gate_passed(counts):
    return (counts["min_kill_rate"] is None or counts["kill_rate"] >= counts["min_kill_rate"]) and not counts["leaked"]


def _verdict(ok, text):
    """`text` in the colour of a pass or a failure, and bold: the words say it too."""
    return f'<strong class="{"pass" if ok else "fail"}">{escape(text)}</strong>'


def _part_table(parts):
    rows = []
    for part, p in parts.items():
        minimum = p["min_kill_rate"]
        rows.append([escape(f"{part} ({BY_ID[part].qualified})"), str(p["mutants"]), *(str(p[s]) for s in STATUSES),
                     _verdict(_gate_passed(p), f"{p['kill_rate']:.1%}"),
                     "" if minimum is None else f"{minimum:.0%}"])
    return table(["part", "mutants", *STATUSES, "kill rate", "minimum"], rows, numeric=range(1, len(STATUSES) + 4))


def _plot(parts):
    """Stacked bars: each part's mutants by status."""
    width, bar, gap, left = 640, 22, 10, 60
    height = len(parts) * (bar + gap) + 40
    most = max(p["mutants"] for p in parts.values())
    shapes = []
    for row, (part, p) in enumerate(parts.items()):
        y, x = 10 + row * (bar + gap), left
        shapes.append(f"<text x='{left - 6}' y='{y + bar * 0.7:.0f}' text-anchor='end' font-size='12'>"
                      f"{escape(part)}</text>")
        for status in STATUSES:
            w = (width - left - 10) * p[status] / most
            if w:
                shapes.append(f"<rect x='{x:.1f}' y='{y}' width='{w:.1f}' height='{bar}' fill='{COLOURS[status]}'>"
                              f"<title>{escape(part)}: {p[status]} {status}</title></rect>")
            x += w
    legend_y = height - 12
    for i, status in enumerate(STATUSES):
        shapes.append(f"<rect x='{left + i * 110}' y='{legend_y - 9}' width='10' height='10' fill='{COLOURS[status]}'/>"
                      f"<text x='{left + i * 110 + 14}' y='{legend_y}' font-size='12'>{status}</text>")
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img' "
            f"aria-label='mutants per part by status'>{''.join(shapes)}</svg>")


def _check_table(checks):
    rows = []
    for part, names in checks.items():
        for name, c in names.items():
            note = ("useless: kills no mutant" if not c["kills"] else
                    f"redundant with {', '.join(c['subsumed_by'])}" if c["subsumed_by"] else "")
            rows.append([escape(f"{part}.{name}"), str(c["kills"]), str(c["unique"]), escape(note)])
    return table(["check", "kills", "unique", "note"], rows, numeric=(1, 2))


def _matrices(results):
    """Per part, a grid: a row per check, a column per mutant, a dark cell where the check kills it."""
    blocks = []
    for part, names in results["checks"].items():
        own = [m for m in results["mutants"] if m["part"] == part]
        cell, left = 4, 190
        width, height = left + cell * len(own) + 10, cell * 3 * len(names) + 10
        shapes = []
        for row, name in enumerate(names):
            y = 5 + row * cell * 3
            shapes.append(f"<text x='{left - 6}' y='{y + cell * 2}' text-anchor='end' font-size='10'>"
                          f"{escape(name)}</text>")
            for col, m in enumerate(own):
                colour = "#1b5e20" if name in m["killed_by"] else COLOURS["survived"] if \
                    m["status"] == "survived" else "#eeeeee"
                shapes.append(f"<rect x='{left + col * cell}' y='{y}' width='{cell - 1}' height='{cell * 2}' "
                              f"fill='{colour}'><title>{escape(m['id'])}</title></rect>")
        label = f"checks of {part} against its mutants"
        blocks.append(f"<h3>{escape(part)}</h3>" + scrolling(
            f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img' "
            f"aria-label='{escape(label)}'>{''.join(shapes)}</svg>", label))
    return "".join(blocks)


def _operator_table(operators):
    rows = [[escape(name), escape(o["anchor"]), str(o["mutants"]), str(o["detected"]), str(o["equivalent"])]
            for name, o in operators.items()]
    return table(["operator", "from", "mutants", "detected", "equivalent"], rows, numeric=(2, 3, 4))


def _code(text):
    """Code or a diff as it is, in a box that scrolls sideways on its own (and takes the focus to)."""
    return f'<pre class="code" tabindex="0">{escape(text)}</pre>'


def _survivors(results):
    survivors = [m for m in results["mutants"] if m["status"] in ("survived", "leaked")]
    out = [f"<h2>Survivors and leaks ({len(survivors)})</h2>"]
    if not survivors:
        out.append("<p>None: every non-equivalent mutant loses points in its own part only.</p>")
    for m in survivors:
        out.append(f"<h3>{escape(m['id'])}: {escape(m['description'])}</h3>")
        ev = m.get("evidence") or {}
        if m["status"] == "leaked":
            out.append(f"<p>Loses points in another part: {escape(', '.join(m['leaked_to']))}.</p>")
        else:
            out.append(f"<p>No check fails, but it differs from the reference on: {escape(ev.get('input', ''))}</p>"
                       f"<p>The grader's call in the worker (Student.{escape(ev.get('call', ''))}): the reference "
                       f"gave</p>{_code(ev.get('expected', ''))}<p>and the mutant gave</p>{_code(ev.get('got', ''))}")
            out.append(f"<p><strong>Explained:</strong> {escape(m['explanation'])}</p>" if m.get("explanation") else
                       f"<p>{_verdict(False, 'Not explained')}: a check should be strengthened to kill it.</p>")
        out.append(_code(m["diff"]))
    return "".join(out)


def _equivalents(results):
    same = [m for m in results["mutants"] if m["status"] == "equivalent"]
    out = [f"<h2>Likely equivalent ({len(same)})</h2><p class=\"muted\">No check fails, and each returned the "
           "reference's values and side effects (to the grader's tolerances) on every input tried: the edge "
           "cases (one example, zero gradients, a constant feature, square weights, ...) and seeded random ones."
           "</p>"]
    for m in same:
        out.append(f"<details><summary>{escape(m['id'])}: {escape(m['description'])} "
                   f"(agreed on {escape(m['evidence']['tried'])} inputs)</summary>{_code(m['diff'])}</details>")
    return "".join(out)
