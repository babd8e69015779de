"""The grading processes behind `nbgrader autograde`: TensorFlow loaded once per run.

nbgrader autogrades one notebook at a time, in one process. The first notebook
starts `jobs` grading processes (the same `start_grading_process` as
`make grade`: TensorFlow, the references and a fork server of sandboxed
workers, once each); every later notebook of the run is graded by them. While
nbgrader does its own bookkeeping for one student (copying files, the
gradebook, writing the notebook), the next students' submitted files are
already being graded: `lookahead` of them, in the order nbgrader takes them.
The processes end when nbgrader exits (atexit), or with `close()`.

Nothing here runs student code: files are read and parsed (load, restore,
extract) in this process, and checked in the grading processes' workers.
"""
import atexit
import dataclasses
import multiprocessing
import os
from pathlib import Path

from autograder import config
from autograder.pipeline import batch as run
from autograder.checks import all_checks
from autograder.pipeline.load import Submission

STARTUP_SECONDS = 300  # a grading process importing TensorFlow on a busy machine


@dataclasses.dataclass
class Result:
    record: dict      # the results record of `make grade` (design.md section 5)
    artifacts: dict   # plot data, by check
    output: str       # the start of what the student's code printed in the workers


class GradingService:
    """Grades submitted notebook files with the kit's pipeline, in long-lived grading processes."""

    def __init__(self, hide, jobs=None, grading_path=config.DEFAULT_PATH):
        self.checks = all_checks()
        self.grading = config.load(grading_path, registry=self.checks)
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        context = multiprocessing.get_context("spawn")  # a clean process: no fork of nbgrader's state
        self._pool = context.Pool(self.jobs, initializer=_start_behind_nbgrader,
                                  initargs=(str(grading_path), None, sorted(set(hide))))
        self._pending = {}  # (submission id, path) -> (prepared, AsyncResult or None)
        atexit.register(self.close)

    def prefetch(self, sid, path):
        """Start grading `path` now, so that `result` finds it done or under way."""
        key = (sid, str(path))
        if key in self._pending:
            return
        prepared = run.prepare(Submission(sid, Path(path)), self.grading, "")  # no fingerprint: no cache
        job = None if prepared.problems else self._pool.apply_async(run.grade_one, (prepared,))
        self._pending[key] = (prepared, job)

    def result(self, sid, path):
        """The Result for student `sid`'s file at `path` (graded now, unless prefetched)."""
        self.prefetch(sid, path)
        prepared, job = self._pending.pop((sid, str(path)))
        graded = None
        if job is not None:
            # A grading process killed from outside (out of memory) loses its task without a word:
            # wait for as long as the queue ahead of this one may take (startup included), not forever.
            wait = (self.jobs + 2) * self.grading.limits.submission_timeout + STARTUP_SECONDS
            try:
                graded = job.get(timeout=wait)[1]
            except multiprocessing.TimeoutError:
                raise RuntimeError(f"grading {sid} took more than {wait:g} s: a grading process may have "
                                   "died (out of memory?); autograde this student again") from None
        record, _outcomes, output, artifacts = run.scored(prepared, graded, self.checks, self.grading)
        return Result(record, artifacts, output)

    def close(self):
        if self._pool is not None:
            self._pool.terminate()  # the workers and fork servers die with their grading process
            self._pool.join()
            self._pool = None


def _start_behind_nbgrader(grading_path, seed, hide):
    """A grading process that yields the CPU to nbgrader's process.

    nbgrader's bookkeeping, one student after another, is the run's critical path; the grading
    processes work ahead of it (prefetch) and can use whatever CPU it leaves."""
    os.nice(NICENESS)
    run.start_grading_process(grading_path, seed, hide)


NICENESS = 5

_SERVICE = []  # one per nbgrader process, made by the first notebook that needs it


def service(hide, jobs=None):
    if not _SERVICE:
        _SERVICE.append(GradingService(hide, jobs))
    return _SERVICE[0]
