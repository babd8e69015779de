"""The grading processes behind `nbgrader autograde`: TensorFlow loaded once per run.

nbgrader autogrades one notebook at a time, in one process. The first notebook
starts a GradingService: `jobs` grading processes (pipeline/pool.py, each with
its own Grader: TensorFlow, the references and a fork server of sandboxed
workers, once each), which grade every later notebook of the run too. While
nbgrader does its own bookkeeping for one student (copying files, the
gradebook, writing the notebook), the next students' submitted files are
already being graded: `lookahead` of them, in the order nbgrader takes them.
The processes end when nbgrader exits (atexit), or with `close()`. The service
is kept by whoever starts it (integrations/nbgrader.py keeps it on nbgrader's
converter, which lives for the whole run).

Nothing here runs student code: files are read and parsed (load, restore,
extract) in this process, and checked in the grading processes' workers.
"""
import atexit
import dataclasses
import os
from pathlib import Path

from autograder import config
from autograder.pipeline.batch import grade_prepared, scored
from autograder.pipeline.grader import Grader
from autograder.pipeline.load import Submission
from autograder.pipeline.pool import GradingFailed, Pool
from autograder.pipeline.prepare import prepare
from autograder.secret import find as find_secret

STARTUP_SECONDS = 300  # a grading process importing TensorFlow on a busy machine
# The grading processes yield the CPU to nbgrader's process: its bookkeeping, one student after
# another, is the run's critical path; they work ahead of it (prefetch) with whatever it leaves.
NICENESS = 5


@dataclasses.dataclass
class Result:
    record: dict      # the results record of `make grade` (design.md section 5)
    artifacts: dict   # plot data ("probe.<part>": a chart record)
    output: str       # the start of what the student's code printed in the workers


class GradingService:
    """Grades submitted notebook files with the kit's pipeline, in long-lived grading processes."""

    def __init__(self, jobs=None, grading_path=config.DEFAULT_PATH):
        # The course's secret, or a SecretMissing that stops the run before any student is graded.
        secret = find_secret(grading_path)
        self.grader = Grader.load(grading_path, secret=secret, warm=False)  # settings, checks, release: no workers
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self._pool = Pool(self.grader.origin, self.jobs, grade_prepared, niceness=NICENESS)
        self._pending = {}  # (submission id, path) -> (prepared, ticket or None)
        atexit.register(self.close)

    @property
    def checks(self):
        return self.grader.checks

    def prefetch(self, sid, path):
        """Start grading `path` now, so that `result` finds it done or under way."""
        key = (sid, str(path))
        if key in self._pending:
            return
        prepared = prepare(Submission(sid, Path(path)), self.grader)  # no fingerprint: no cache
        ticket = None if prepared.problems else self._pool.submit(prepared)
        self._pending[key] = (prepared, ticket)

    def result(self, sid, path):
        """The Result for student `sid`'s file at `path` (graded now, unless prefetched)."""
        self.prefetch(sid, path)
        prepared, ticket = self._pending.pop((sid, str(path)))
        graded = None
        if ticket is not None:
            # Wait for as long as the queue ahead of this one may take (startup included), not for
            # ever; a grading process that dies fails its task at once.
            wait = (self.jobs + 2) * self.grader.settings.limits.submission_timeout + STARTUP_SECONDS
            try:
                graded = self._pool.result(ticket, wait)
            except TimeoutError:
                raise RuntimeError(f"grading {sid} took more than {wait:g} s: a grading process may be "
                                   "stuck; autograde this student again") from None
            except GradingFailed as failure:
                raise RuntimeError(f"grading {sid} failed: {failure}; autograde this student again") from None
        record, _outcomes, output, artifacts = scored(prepared, graded, self.grader)
        return Result(record, artifacts, output)

    def close(self):
        if self._pool is not None:
            self._pool.close(wait=False)  # the workers and fork servers die with their grading process
            self._pool = None
