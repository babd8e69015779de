"""The batch: load -> restore -> extract -> check in workers -> score -> report.

The main process reads and parses submissions (no student code runs here) with
its Grader (warm=False: settings, checks, release; no workers) and writes the
outputs. Checks run in `jobs` grading processes (pipeline/pool.py), each with its
own Grader, which imports TensorFlow and the references once and grades many
submissions, each submission in its own sandboxed worker. Results are written as
each submission finishes, so a killed batch resumes where it stopped.
"""
import json
import os
import sys
from pathlib import Path

from autograder.outputs import class_report, pages, report
from autograder.outputs.progress import Progress
from autograder.pipeline import flags, load, score
from autograder.pipeline.pool import Pool
from autograder.pipeline.prepare import grader_hash, prepare


def grade_prepared(grader, prepared):
    """The Graded record of one prepared submission, in a grading process (a Pool's task)."""
    return grader.grade(prepared.statements)


# -- the batch ----------------------------------------------------------------------

def grade_batch(paths, out, grader, jobs=None, force=False, stream=sys.stderr, class_steps=()):
    """Grade every submission under `paths` into `out` with `grader` (its settings, checks and
    release; the grading processes load the same one); returns (the results records, settings).
    class_steps: steps run on the whole class after grading, each
    step(out, prepared, grading, stream) -> a class_report.ReportSection or None; the command
    line passes the similarity report's (tools/similarity), so this module needs no tool."""
    out = Path(out)
    grading = grader.settings
    submissions = load.discover(paths, grading.assignment, grading.notebook)
    ghash = grader_hash(grader.origin.path)
    prepared = [prepare(s, grader, ghash) for s in submissions]
    records, todo, timings = {}, [], {}
    for item in prepared:
        cached = None if force else _cached(out, item)
        if cached is not None:
            records[item.id] = cached
        elif item.problems:
            records[item.id] = _finish(out, item, None, grader)
        else:
            todo.append(item)
    progress = Progress(len(prepared), len(prepared) - len(todo), stream)
    if todo:
        for item, graded in _graded(grader, todo, jobs):
            records[item.id] = _finish(out, item, graded, grader)
            timings[item.id] = round(graded.seconds, 3)
            progress.step(item.id, graded.seconds)
    progress.close()
    ordered = [records[item.id] for item in prepared]
    report.write_atomic(out / "grades.csv", report.grades_csv(ordered, list(grading.parts)))
    _merge_timings(out, timings)
    # Before the report, which shows what they found.
    sections = [found for step in class_steps if (found := step(out, prepared, grading, stream)) is not None]
    class_report.write(out, ordered, [item.safe_id for item in prepared], grading, sections, grader.mistakes)
    return ordered, grading


def _graded(grader, todo, jobs):
    """(prepared, Graded) for each of `todo`, as each finishes in the grading processes."""
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    pool = Pool(grader.origin, jobs, grade_prepared)
    try:
        tickets = {pool.submit(item): item for item in todo}
        for ticket, graded in pool.finished():
            yield tickets[ticket], graded
    finally:
        pool.close()


def scored(item, graded, grader):
    """Step 5 for one prepared submission: (record, outcomes, output, artifacts).

    graded: the Graded record, or None when the file could not be used (item.problems)."""
    checks, grading = grader.checks, grader.settings
    notes = [{"kind": "student", "message": n} for n in item.notes]
    blobs = flags.literal_blobs(item.statements)
    if graded is None:
        inputs = grader.inputs.describe(item.statements)
        reason = " ".join(item.problems)
        rec = score.record(item.id, [], [{"kind": "file", "message": reason}] + notes, checks, grading, inputs,
                           blobs, unrunnable=f"Not graded: {reason}")
        return rec, [], "", {}
    # What the grading process drew from, as it says: the record must not claim graded inputs it did not use.
    rec = score.record(item.id, graded.outcomes, notes + graded.errors, checks, grading, graded.inputs,
                       graded.flags + blobs)
    return rec, graded.outcomes, graded.output, graded.artifacts


def _finish(out, item, graded, grader):
    """Score, then write the record, the feedback page and the fingerprint, in that order."""
    rec, outcomes, output, artifacts = scored(item, graded, grader)
    report.write_atomic(out / "results" / f"{item.safe_id}.json", report.results_json(rec))
    report.write_atomic(out / "feedback" / f"{item.safe_id}.html",
                        pages.feedback_page(rec, grader.checks, images=images(artifacts), output=output))
    report.write_atomic(out / "state" / f"{item.safe_id}.json",
                        json.dumps({"fingerprint": item.fingerprint, "mistakes": score.mistakes(outcomes),
                                    "artifacts": artifacts}))
    return rec


def images(artifacts):
    from autograder.outputs.plots import images

    try:
        return images(artifacts)
    except Exception:  # a plot that cannot be drawn must not cost the student their page
        return {}


def _cached(out, item):
    """The stored record when the submission, grader and seed are unchanged."""
    try:
        state = json.loads((out / "state" / f"{item.safe_id}.json").read_text())
        if state.get("fingerprint") != item.fingerprint:
            return None
        return json.loads((out / "results" / f"{item.safe_id}.json").read_text())
    except (OSError, ValueError):
        return None


def _merge_timings(out, timings):
    path = out / "timings.json"
    try:
        known = json.loads(path.read_text())
    except (OSError, ValueError):
        known = {}
    known.update(timings)
    report.write_atomic(path, json.dumps(known, indent=1, sort_keys=True))
