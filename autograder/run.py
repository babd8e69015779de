"""The batch: load -> restore -> extract -> check in workers -> score -> report.

The main process reads and parses submissions (no student code runs here)
and writes the outputs. Checks run in `jobs` grading processes, each of which
imports TensorFlow and the references once and grades many submissions, each
submission in its own sandboxed worker. Results are written as each
submission finishes, so a killed batch resumes where it stopped.
"""
import dataclasses
import hashlib
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

from . import class_report, config, extract, load, pages, release, report, restore, score
from .checks import all_checks
from .config import REPO

PACKAGE = Path(__file__).resolve().parent


@dataclasses.dataclass
class Prepared:
    id: str
    safe_id: str
    statements: list
    problems: list       # the file could not be used at all: no check runs
    notes: list          # restored cells, syntax errors: shown, but grading goes on
    fingerprint: str


def prepare(submission, grading, grader_hash):
    """Steps 1-3 for one submission: read, restore locked cells, extract definitions."""
    load.read(submission)
    statements, notes = [], []
    if not submission.problems:
        cells, notes = restore.restore(submission.cells, release.cells(grading))
        statements, syntax = extract.extract(cells)
        notes = notes + syntax
        if not statements:
            submission.problems.append("No definitions were found in the file (no functions or classes).")
    key = f"{submission.digest}/{grader_hash}/{grading.seed}/{grading.max_examples}"
    return Prepared(submission.id, submission.safe_id, statements, list(submission.problems), notes,
                    hashlib.sha256(key.encode()).hexdigest())


def grader_hash(grading_path):
    """Changes whenever the grader's code, grading.toml or the release changes."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.read_bytes())
    digest.update(Path(grading_path).read_bytes())
    release_path = release.notebook_path(config.load(grading_path))
    if release_path.exists():
        digest.update(release_path.read_bytes())
    return digest.hexdigest()


# -- grading processes ------------------------------------------------------------

_PROCESS = {}


def _start_grading_process(grading_path, seed, hide):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from . import grade as grade_module
    from .references import tensorflow

    checks = all_checks()
    grading = config.load(grading_path, registry=checks)
    if seed is not None:
        grading = dataclasses.replace(grading, seed=seed)
    tensorflow()  # once per grading process, not once per submission
    from .probes import collect

    _PROCESS.update(checks=checks, grading=grading, kit=release.kit_statements(grading),
                    supply=grade_module.WorkerSupply(grading.limits, hide), grade=grade_module.grade,
                    probe=collect)


def _grade_one(prepared):
    state = _PROCESS
    graded = state["grade"](prepared.statements, state["checks"], state["grading"], state["kit"],
                            state["supply"], probe=state["probe"])
    return prepared, dataclasses.asdict(graded)


# -- the batch ----------------------------------------------------------------------

def grade_batch(paths, out, jobs=None, seed=None, force=False, grading_path=config.DEFAULT_PATH,
                stream=sys.stderr):
    """Grade every submission under `paths` into `out`; returns the results records."""
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
    class_report.write(out, ordered, [item.safe_id for item in prepared], grading)
    return ordered, grading


def _run_pool(todo, jobs, grading_path, seed, hide):
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    context = multiprocessing.get_context("spawn")
    with context.Pool(jobs, initializer=_start_grading_process,
                      initargs=(str(grading_path), seed, hide), maxtasksperchild=None) as pool:
        yield from pool.imap_unordered(_grade_one, todo)


def scored(item, graded, checks, grading):
    """Step 5 for one prepared submission: (record, outcomes, output, artifacts).

    graded: _grade_one's dict, or None when the file could not be used (item.problems)."""
    from .grade import Outcome

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
    from .plots import images

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


class Progress:
    """A bar with counts and ETA on a terminal; plain lines otherwise."""

    def __init__(self, total, done, stream):
        self.total, self.done, self.stream = total, done, stream
        self.fresh = 0
        self.start = time.monotonic()
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        if done:
            self._line(f"{done} of {total} unchanged since the last run: reusing their results")

    def step(self, sid, seconds):
        self.done += 1
        self.fresh += 1
        elapsed = time.monotonic() - self.start
        left = (self.total - self.done) * elapsed / self.fresh
        if self.tty:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                              f"ETA {left:4.0f} s  ")
            self.stream.flush()
        else:
            self._line(f"graded {self.done}/{self.total}: {sid} ({seconds:.1f} s)")

    def close(self):
        if self.tty and self.fresh:
            self.stream.write("\n")
        self._line(f"{self.total} submissions, {self.fresh} graded in {time.monotonic() - self.start:.1f} s")

    def _line(self, text):
        print(text, file=self.stream, flush=True)
