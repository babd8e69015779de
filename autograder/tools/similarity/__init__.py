"""After grading: which submissions share code a TA should look at.

Compares only what students wrote: the code of the four stubs as graded
(after restore and extract), never the release's own code, with names,
strings, comments and whitespace ignored (`fingerprint`), and with code that
most of the class or the reference solution has counting less (`rank`).
Writes OUT/similarity.json, every compared pair, highest score first; the
class report's "Pairs to review" section (`page`) is drawn from that file's
review part (handed over in memory by `make grade`).
Nothing here runs student code: sources are only tokenised.
"""
import dataclasses
import json
import time
from pathlib import Path

from autograder import config
from autograder.pipeline import extract, load, release
from autograder.outputs import report
from autograder.tools.similarity.fingerprint import stub_codes
from autograder.tools.similarity.rank import ALL, STUB_NAMES, compare

FILE = "similarity.json"


def write(out, prepared, grading, stream=None):
    """Compare the class (run.Prepared items) and write OUT/similarity.json; returns what the
    report shows (the file's content but its every pair, which the report does not need to read)."""
    started = time.perf_counter()
    codes = [stub_codes(item.statements) for item in prepared]
    comparison = compare([item.id for item in prepared], codes, stub_codes(release.kit_statements(grading)),
                         reference_codes(grading), grading.similarity)
    data = as_data(comparison, {item.id: item.safe_id for item in prepared})
    report.write_atomic(Path(out) / FILE, dumps(data, comparison))
    if stream is not None:
        print(f"similarity: {len(comparison)} pairs compared in {time.perf_counter() - started:.2f} s",
              file=stream, flush=True)
    return data


def remove(out):
    """Without similarity (--no-similarity), an earlier run's file must not describe this class."""
    (Path(out) / FILE).unlink(missing_ok=True)


def reference_codes(grading):
    """{stub: Code} of the solutions notebook in the checkout, or None (a kit without solutions)."""
    path = config.REPO / "solutions" / grading.assignment / grading.notebook
    if not path.is_file():
        return None
    submission = load.read(load.Submission("reference", path))
    if submission.problems:
        return None
    return stub_codes(extract.extract(submission.cells)[0]) or None


def as_data(comparison, safe_ids):
    """The file's content but its list of pairs: the settings, and what the report shows."""
    settings = comparison.settings
    shown = {}
    for stub in [ALL, *comparison.tables]:
        rows = comparison.rows(stub)
        strong = [comparison.pair(row) for row in comparison.rows(stub, at_least=settings.threshold)]
        listed = strong[:settings.pairs_shown]
        shown[stub] = {"pairs": [{**p, "fragments": _fragments(comparison, p)} for p in listed],
                       "groups": groups(strong),
                       "highest": comparison.pair(rows[0]) if len(rows) else None,
                       "compared": len(rows)}
    involved = {p[side] for section in shown.values() for p in section["pairs"] for side in ("a", "b")}
    code = {sid: {stub: {"cell": c.cell, "line": c.line, "source": c.source} for stub, c in found.items()}
            for sid, found in zip(comparison.ids, comparison.codes) if sid in involved}
    sizes = {sid: {} for sid in comparison.ids}
    for stub, table in comparison.tables.items():
        for member, size in zip(table.members.tolist(), table.sizes.tolist()):
            sizes[comparison.ids[member]][stub] = int(size)
    return {"settings": dataclasses.asdict(settings), "reference_discounted": comparison.reference,
            "fingerprints": sizes,
            "review": {"sections": shown, "code": code,
                       "links": {sid: safe_ids[sid] for sid in sorted(involved)}}}


def _fragments(comparison, pair):
    """{stub: {"a": spans, "b": spans}}: where each code matches the other, for the stubs compared."""
    stubs = list(comparison.tables) if pair["stub"] == ALL else [pair["stub"]]
    i, j = comparison.ids.index(pair["a"]), comparison.ids.index(pair["b"])
    found = {}
    for stub in stubs:
        if stub in comparison.codes[i] and stub in comparison.codes[j]:
            spans_a = comparison.fragments(pair["a"], pair["b"], stub)
            spans_b = comparison.fragments(pair["b"], pair["a"], stub)
            if spans_a or pair["stub"] != ALL:
                found[stub] = {"a": spans_a, "b": spans_b}
    return found


def groups(strong):
    """Groups of three or more linked by the given pairs (those at or above the threshold):
    [{"members", "low", "high"}], low and high being the scores of the pairs within the group."""
    parent = {}

    def root(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in strong:
        parent[root(p["a"])] = root(p["b"])
    members = {}
    for x in list(parent):
        members.setdefault(root(x), []).append(x)
    found = []
    for group in members.values():
        if len(group) >= 3:
            scores = [p["score"] for p in strong if p["a"] in group and p["b"] in group]
            found.append({"members": sorted(group), "low": min(scores), "high": max(scores)})
    return sorted(found, key=lambda g: (-g["high"], g["members"]))


def dumps(data, comparison):
    """JSON with one pair per line (so two runs' files compare line by line), written from the
    comparison's columns: a class of 200 has 100 000 pairs, too many to build as dicts first."""
    head = json.dumps(data, sort_keys=True)
    names = [json.dumps(i) for i in comparison.ids]
    stubs = [json.dumps(stub) for stub in STUB_NAMES]
    c = comparison.columns
    rows = zip(c["a"].tolist(), c["b"].tolist(), c["discounted"].tolist(), c["score"].tolist(),
               c["shared"].tolist(), c["smaller"].tolist(), c["stub"].tolist())
    pairs = ",\n".join(f'{{"a": {names[a]}, "b": {names[b]}, "discounted": {d}, "score": {s:.4f}, '
                       f'"shared": {sh}, "smaller": {sm}, "stub": {stubs[st]}}}'
                       for a, b, d, s, sh, sm, st in rows)
    return head[:-1] + ', "pairs": [\n' + pairs + "\n]}\n"


def class_step(out, prepared, grading, stream=None):
    """The batch's step after grading: compare the class, write the file, return the report's section."""
    return report_section(write(out, prepared, grading, stream))


def skipped_step(out, prepared, grading, stream=None):
    """--no-similarity: no file, and a section that says so."""
    remove(out)
    return report_section(None)


def report_section(data):
    """class_report's "Pairs to review" for the data of OUT/similarity.json (None: not computed)."""
    from autograder.outputs.class_report import ReportSection
    from autograder.tools.similarity.page import STYLE, section as draw

    return ReportSection(draw(data), STYLE)


def section(data):
    """The "Pairs to review" HTML alone."""
    return report_section(data).html
