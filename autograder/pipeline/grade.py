"""Step 4 of the pipeline: run a submission's checks against its worker.

Runs in a grading process (which has TensorFlow and the references loaded);
the student's code runs only in the worker. Each check gets a live worker
with the submission loaded: after a crash or a timeout the worker is restarted
for the next check. A timeout costs its own check only: the part's other checks
still run (independent behaviours keep their points) until the part has used its
time budget (its share of `submission_timeout`), so a stub that loops forever
cannot cost minutes per check; a second crash skips the rest of the part.

What the sandbox refused or noticed (a process started, a write outside the
scratch folder, a timeout, a crash, output over the limit, memory) becomes an
entry {"kind": "sandbox", "message": ...} in `Graded.errors`, once per kind of
event, so the student and the TA can see what happened.
"""
import time
from dataclasses import dataclass, field

from typing import Callable, Optional

from autograder import mistakes as M
from autograder.checks import PART_STUBS, Check, CheckFailed
from autograder.config import Grading
from autograder.checks.common import Context
from autograder.sandbox.student import Student
from autograder.sandbox.fork_server import ForkServer
from autograder.sandbox.workers import WORKER_ENV, StubMissing, StudentError, Worker, WorkerProblem


@dataclass
class Outcome:
    part: str
    name: str
    passed: bool
    feedback: str
    mistake: str = ""   # short id of the mistake, for the class report
    seconds: float = 0.0
    detail: str = ""    # for the TA only: what went wrong inside the grader


@dataclass
class Graded:
    outcomes: list[Outcome]
    errors: list[dict]                   # [{"kind", "message"}]
    output: str = ""                     # the start of what the student's code printed
    artifacts: dict = field(default_factory=dict)  # data for plots, by check
    seconds: float = 0.0


class WorkerSupply:
    """Hands out fresh workers.

    warm (a batch): workers are forked by a fork server, and one spare is always starting up
    so the next submission's is ready. Not warm (one part checked from a student's notebook,
    one or two workers in all): each worker starts on its own when it is needed."""

    def __init__(self, limits, hide, warm=True):
        self.limits, self.hide, self.warm = limits, hide, warm
        self._forks = ForkServer(WORKER_ENV) if warm else None
        self._spare = None

    def take(self):
        worker = self._spare or self._new()
        self._spare = self._new() if self.warm else None
        return worker

    def _new(self):
        return Worker(self.limits, forks=self._forks)

    def close(self):
        if self._spare:
            self._spare.remove()
            self._spare = None
        if self._forks:
            self._forks.close()


def grade(statements: list[dict], checks: list[Check], grading: Grading, kit: list[dict], supply: WorkerSupply,
          parts: Optional[list[str]] = None, probe: Optional[Callable] = None,
          missing_text: Optional[Callable[[str], str]] = None) -> Graded:
    """Run every check (of `parts`, default all) on one submission's statements.

    probe(student, stubs, parts) -> dict, if given, runs last and collects data for
    the feedback page's plots (it affects no score). missing_text(stub) -> str, if given,
    tells the student what to do when a stub is not defined (the notebook knows better
    than a file: the cell may exist but not have run in this kernel)."""
    started = time.monotonic()
    deadline = started + grading.limits.submission_timeout
    limits = grading.limits
    graded_parts = {c.part for c in checks if not parts or c.part in parts}
    part_budget = limits.submission_timeout / max(1, len(graded_parts))
    part_deadlines = {}  # part -> when its time budget ends (from its first check)
    timeouts = {}        # part -> names of its checks that timed out
    errors, outcomes, artifacts = [], [], {}
    notes = []          # sandbox notes, in the order they happened, each once
    printed = []
    worker, stubs = _fresh_worker(supply, kit, statements, limits, errors, notes)
    stopped_parts = {}  # part -> why its remaining checks are skipped
    crashes = {}        # part -> crashes of the worker so far
    try:
        for check in checks:
            if parts and check.part not in parts:
                continue
            t0 = time.monotonic()
            part_deadlines.setdefault(check.part, t0 + part_budget)
            reason = (_skip_reason(check, stubs, stopped_parts, deadline, missing_text)
                      or _over_budget(check.part, timeouts, part_deadlines))
            if reason:
                outcomes.append(Outcome(check.part, check.name, False, reason, M.SKIPPED))
                continue
            if worker.dead:
                _retire(worker, limits, printed, notes)
                worker, stubs = _fresh_worker(supply, kit, statements, limits, errors, notes)
            ctx = Context(grading.seed, check.part, check.name, grading.max_examples)
            outcome = _run(check, Student(worker, limits.call_timeout), ctx)
            outcome.seconds = time.monotonic() - t0
            outcomes.append(outcome)
            if outcome.mistake == "timeout":
                timeouts.setdefault(check.part, []).append(check.name)
            if worker.dead:  # it was live when the check began: this check is what it died of
                _note_problem(check.part, worker, limits, notes, crashes, stopped_parts)
            if outcome.mistake == M.GRADER_ERROR:
                errors.append({"kind": "grader", "message": f"{check.part}.{check.name}: {outcome.detail}"})
            if ctx.artifacts:
                artifacts[f"{check.part}.{check.name}"] = ctx.artifacts
        # A submission whose definitions could not be loaded has nothing to plot.
        # A stub that timed out would only time out again: its part gets no plot.
        plottable = {stub: ok and not any(PART_STUBS[p] == stub for p in (*stopped_parts, *timeouts))
                     for stub, ok in stubs.items()}
        if probe and stubs and time.monotonic() < deadline:
            artifacts.update(_probe(probe, supply, worker, kit, statements, limits, plottable, parts, notes))
    finally:
        _retire(worker, limits, printed, notes)
    errors.extend({"kind": "sandbox", "message": note} for note in notes)
    output = "".join(printed)[: limits.output_chars]
    return Graded(outcomes, errors, output, artifacts, time.monotonic() - started)


def _retire(worker, limits, printed, notes):
    """Keep what a finished worker printed and noticed, then end it and everything it started."""
    printed.append(worker.output(limits.output_chars))
    if worker.output_truncated(limits.output_chars):
        _add(notes, f"Printed more than {limits.output_chars} characters; the output was truncated.")
    worker.remove()  # after this, worker.notes also holds processes left running
    for note in worker.notes:
        _add(notes, note)


def _add(notes, text):
    if text not in notes:
        notes.append(text)


def _note_problem(part, worker, limits, notes, crashes, stopped_parts):
    """Name a timeout or a crash for the TA; a second crash in a part skips the rest of it."""
    if worker.dead_kind == "timeout":
        _add(notes, f"Timed out in {part} (`{PART_STUBS[part]}` did not finish within "
                    f"{limits.call_timeout:g} s: an infinite loop?).")
        return
    _add(notes, f"The Python process running your code crashed in {part} ({worker.dead}).")
    crashes[part] = crashes.get(part, 0) + 1
    if crashes[part] >= 2:
        stopped_parts.setdefault(part, "your code crashed the Python process running it twice in this part.")


def _probe(probe, supply, worker, kit, statements, limits, stubs, parts, notes):
    """Collect plot data on the live worker (or a fresh one if it died); failures cost nothing."""
    own = None
    if worker.dead:
        own = worker = _fresh_worker(supply, kit, statements, limits, [], notes)[0]
    try:
        return probe(Student(worker, limits.call_timeout), stubs, parts) or {}
    except Exception:  # plots are a courtesy: a failing probe costs nothing
        return {}
    finally:
        if own is not None:
            own.remove()
            for note in own.notes:
                _add(notes, note)


def _fresh_worker(supply, kit, statements, limits, errors, notes):
    worker = supply.take()
    try:
        report = worker.call("load", limits.load_timeout, kit=kit, student=statements)
    except WorkerProblem as problem:
        if problem.kind == "timeout":
            _add(notes, f"Timed out while loading your definitions (the code outside functions ran for "
                        f"more than {limits.load_timeout:g} s: an infinite loop?).")
        else:
            _add(notes, f"The Python process running your code crashed while loading your definitions "
                        f"({worker.dead}).")
        if not any(e["message"].startswith("Loading") for e in errors):
            errors.append({"kind": "student", "message": f"Loading your definitions failed: {problem}"})
        return worker, {}
    if type(report) is not dict:
        report = {}
    for error in report.get("errors", []) if type(report.get("errors")) is list else []:
        if type(error) is not dict:
            continue
        message = (f"Cell {error.get('cell')}, line {error.get('line')}: {error.get('type')}: "
                   f"{str(error.get('message', ''))[:2000]}")
        if message not in (e["message"] for e in errors):
            errors.append({"kind": "student", "message": message})
    stubs = report.get("stubs")
    return worker, ({str(k): v is True for k, v in stubs.items()} if type(stubs) is dict else {})


def _skip_reason(check, stubs, stopped_parts, deadline, missing_text=None):
    stub = PART_STUBS[check.part]
    if check.part in stopped_parts:
        return f"Skipped: {stopped_parts[check.part]}"
    if time.monotonic() > deadline:
        return "Skipped: the submission used up its total time for checks."
    if stubs and not stubs.get(stub, False):
        if missing_text:
            return missing_text(stub)
        return f"`{stub}` is not defined in your notebook, so this check could not run."
    if not stubs:
        return "Your definitions could not be loaded, so this check could not run."
    return ""


def _over_budget(part, timeouts, part_deadlines):
    """Why a check is skipped after timeouts used up its part's time budget, else ""."""
    if part in timeouts and time.monotonic() > part_deadlines[part]:
        return (f"Skipped: this part used up its time budget after calls timed out "
                f"({', '.join(timeouts[part])}).")
    return ""


def _run(check, student, ctx):
    try:
        check.function(student, ctx)
        return Outcome(check.part, check.name, True, "Passed.")
    except CheckFailed as failure:
        return Outcome(check.part, check.name, False, failure.feedback, failure.mistake or "")
    except StubMissing as missing:
        return Outcome(check.part, check.name, False, f"{missing}, so this check could not run.", M.MISSING)
    except StudentError as error:
        return Outcome(check.part, check.name, False, student_error_feedback(error), M.RAISED)
    except WorkerProblem as problem:
        return Outcome(check.part, check.name, False, f"This check was stopped: {problem}.", problem.kind)
    except Exception as bug:  # a fault of the grader, not of the student: reported as such
        return Outcome(check.part, check.name, False,
                       "The grader itself failed on this check (not your fault); your TA will see it.",
                       M.GRADER_ERROR, detail=f"{type(bug).__name__}: {bug}")


def student_error_feedback(error):
    if error.is_a("NotImplementedError"):
        return ("Your function still raises NotImplementedError: replace "
                "`raise NotImplementedError()` with your implementation.")
    hint = ""
    if error.type == "NameError" and any(n in error.message for n in ("'tf'", "'keras'", "'tensorflow'")):
        hint = "\nThe stubs are graded with NumPy only: TensorFlow is not available inside them."
    return f"Your code raised {error.type}: {error.message}{hint}\n{_last_lines(error.traceback)}"


def _last_lines(trace, count=6):
    lines = [line for line in trace.strip().splitlines() if line.strip()]
    return "\n".join(lines[-count:])
