"""The batch: load -> restore -> extract -> check in workers -> score -> report.

The main process reads and parses submissions (no student code runs here)
and writes the outputs. Checks run in `jobs` grading processes, each of which
imports TensorFlow and the references once and grades many submissions, each
submission in its own sandboxed worker. Results are written as each
submission finishes, so a killed batch resumes where it stopped.
"""
import dataclasses
import json
import multiprocessing
import os
import sys
from pathlib import Path

from autograder import config
from autograder.checks import all_checks
from autograder.config import REPO
from autograder.outputs import class_report, pages, report
from autograder.outputs.progress import Progress
from autograder.pipeline import load, release, score
from autograder.pipeline.prepare import Prepared, grader_hash, prepare  # noqa: F401 - Prepared: part of this module's API

# -- grading processes ------------------------------------------------------------

# This grading process's state, set once by start_grading_process: checks, grading, kit (the
# release's definitions), supply (workers), grade, probe. The batch, nbgrader's grading service
# and the mutation tool all grade through it.
PROCESS = {}


def start_grading_process(grading_path, seed, hide, plots=True):
    """Initialise a grading process: TensorFlow, the references and a fork server, once.

    plots=False skips the feedback page's plot probes (the mutation tool writes no pages)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from autograder.pipeline import grade as grade_module
    from autograder.references import tensorflow

    checks = all_checks()
    grading = config.load(grading_path, registry=checks)
    if seed is not None:
        grading = dataclasses.replace(grading, seed=seed)
    tensorflow()  # once per grading process, not once per submission
    from autograder.outputs.probes import collect

    PROCESS.update(checks=checks, grading=grading, kit=release.kit_statements(grading),
                    supply=grade_module.WorkerSupply(grading.limits, hide), grade=grade_module.grade,
                    probe=collect if plots else None)


def grade_one(prepared):
    """(prepared, the Graded record as a dict) for one prepared submission, in this grading process."""
    state = PROCESS
    graded = state["grade"](prepared.statements, state["checks"], state["grading"], state["kit"],
                            state["supply"], probe=state["probe"])
    return prepared, dataclasses.asdict(graded)


# -- the batch ----------------------------------------------------------------------

def grade_batch(paths, out, jobs=None, seed=None, force=False, grading_path=config.DEFAULT_PATH,
                stream=sys.stderr, class_steps=()):
    """Grade every submission under `paths` into `out`; returns the results records.
    class_steps: steps run on the whole class after grading, each
    step(out, prepared, grading, stream) -> a class_report.ReportSection or None; the command
    line passes the similarity report's (tools/similarity), so this module needs no tool."""
    out = Path(out)
    checks = all_checks()
    grading = config.load(grading_path, registry=checks)
    if seed is not None:
        grading = dataclasses.replace(grading, seed=seed)
    submissions = load.discover(paths, grading.assignment, grading.notebook)
    ghash = grader_hash(grading_path)
    prepared = [prepare(s, grading, ghash) for s in submissions]
    records, todo, timings = {}, [], {}
    for item in prepared:
        cached = None if force else _cached(out, item)
        if cached is not None:
            records[item.id] = cached
        elif item.problems:
            records[item.id] = _finish(out, item, None, checks, grading)
        else:
            todo.append(item)
    progress = Progress(len(prepared), len(prepared) - len(todo), stream)
    if todo:
        hide = sorted({str(REPO), str(out.resolve())} | {str(Path(p).resolve().parent) for p in paths})
        for item, graded in _run_pool(todo, jobs, grading_path, seed, hide):
            records[item.id] = _finish(out, item, graded, checks, grading)
            timings[item.id] = round(graded["seconds"], 3)
            progress.step(item.id, graded["seconds"])
    progress.close()
    ordered = [records[item.id] for item in prepared]
    report.write_atomic(out / "grades.csv", report.grades_csv(ordered, list(grading.parts)))
    _merge_timings(out, timings)
    # Before the report, which shows what they found.
    sections = [found for step in class_steps if (found := step(out, prepared, grading, stream)) is not None]
    class_report.write(out, ordered, [item.safe_id for item in prepared], grading, sections)
    return ordered, grading


def _run_pool(todo, jobs, grading_path, seed, hide):
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    context = multiprocessing.get_context("spawn")
    with context.Pool(jobs, initializer=start_grading_process,
                      initargs=(str(grading_path), seed, hide), maxtasksperchild=None) as pool:
        yield from pool.imap_unordered(grade_one, todo)


def scored(item, graded, checks, grading):
    """Step 5 for one prepared submission: (record, outcomes, output, artifacts).

    graded: grade_one's dict, or None when the file could not be used (item.problems)."""
    from autograder.pipeline.grade import Outcome

    notes = [{"kind": "student", "message": n} for n in item.notes]
    if graded is None:
        reason = " ".join(item.problems)
        rec = score.record(item.id, [], [{"kind": "file", "message": reason}] + notes, checks, grading,
                           unrunnable=f"Not graded: {reason}")
        return rec, [], "", {}
    outcomes = [Outcome(**o) for o in graded["outcomes"]]
    rec = score.record(item.id, outcomes, notes + graded["errors"], checks, grading)
    return rec, outcomes, graded["output"], graded["artifacts"]


def _finish(out, item, graded, checks, grading):
    """Score, then write the record, the feedback page and the fingerprint, in that order."""
    rec, outcomes, output, artifacts = scored(item, graded, checks, grading)
    report.write_atomic(out / "results" / f"{item.safe_id}.json", report.results_json(rec))
    report.write_atomic(out / "feedback" / f"{item.safe_id}.html",
                        pages.feedback_page(rec, images=images(artifacts), output=output))
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
