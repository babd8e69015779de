"""Step 6 of the pipeline: write what TAs and students read.

OUT/results/<id>.json (the record), OUT/grades.csv (one row per submission),
OUT/feedback/<id>.html (a student's page), OUT/timings.json (kept apart so the
results stay byte-for-byte reproducible) and the summary table on the terminal.
Every write is atomic: a batch killed halfway leaves whole files only.
"""
import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import NamedTuple


def write_atomic(path, text):
    """Write `text` to `path` via a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def results_json(record):
    return json.dumps(record, indent=2, sort_keys=False, allow_nan=False) + "\n"


def grades_csv(records, part_ids):
    """One row per submission: submission, one column per part, total."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", *part_ids, "total"])
    for rec in sorted(records, key=lambda r: r["submission"]):
        writer.writerow([spreadsheet_cell(rec["submission"]), *(score_text(rec["parts"][p]["score"]) for p in part_ids),
                         score_text(rec["score"])])
    return buffer.getvalue()


def spreadsheet_cell(text):
    """`text` made safe for a CSV a spreadsheet opens: a leading =, +, - or @ would run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def score_text(value):
    """A score as grades.csv writes it: 10, 7.5, never 10.0."""
    return f"{value:g}"


def summary_table(records, grading):
    """Per part: mean, min, max and how many got full marks."""
    lines = [f"{'part':<44} {'mean':>7} {'min':>6} {'max':>6} {'full':>6}"]
    rows = [(pid, part.title, part.points) for pid, part in grading.parts.items()]
    rows.append(("total", "Total", grading.max_score))
    for pid, title, points in rows:
        scores = [r["score"] if pid == "total" else r["parts"][pid]["score"] for r in records]
        if not scores:
            continue
        full = sum(1 for s in scores if abs(s - points) < 1e-9)
        lines.append(f"{title[:36] + f' ({points:g})':<44} {sum(scores) / len(scores):>7.2f} "
                     f"{min(scores):>6g} {max(scores):>6g} {full:>4}/{len(scores)}")
    flagged = [r["submission"] for r in records if r.get("flags")]
    if flagged:
        lines.append(f"\nFlagged for a TA to look at (no points lost; report.html, \"Possibly hard-coded\"): "
                     f"{', '.join(flagged[:10])}{f' and {len(flagged) - 10} more' if len(flagged) > 10 else ''}")
    return "\n".join(lines)


class Stored(NamedTuple):
    """One results record as a run stored it."""
    stem: str     # its file name in results/ and feedback/: the submission's safe id
    record: dict


def read_records(out):
    """({submission id: Stored}, problems) from a grading run's OUT/results/*.json, by file name.

    Every export (grades for an LMS, regrade diffs, cross-checks) reads results through this,
    not through the files' layout. A file that is not a results record is left out and named in
    `problems` ("<file>: why"); a missing OUT/results raises FileNotFoundError."""
    folder = Path(out) / "results"
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} not found: is {out} a folder `grade --out` wrote?")
    records, problems = {}, []
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(record.get("submission"), str) or not isinstance(record.get("parts"), dict):
                raise ValueError("not a results record")
            records[record["submission"]] = Stored(path.stem, record)
        except (OSError, ValueError, AttributeError) as error:
            problems.append(f"{path.name}: {error}")
    return records, problems
