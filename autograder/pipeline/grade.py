"""Step 4 of the pipeline: run a submission's checks against its worker.

Runs in a grading process (a Grader: autograder/pipeline/grader.py, which holds the
checks, the kit, the workers and the references' caches); the student's code runs
only in the worker. Each check gets a live worker with the submission loaded: after
a crash or a timeout the worker is restarted for the next check. A timeout costs its
own check only: the part's other checks still run (independent behaviours keep their
points) until the part has used its time budget (its share of `submission_timeout`),
so a stub that loops forever cannot cost minutes per check; a second crash stops the
rest of the part. Which status and which words a check gets when it does not run is
decided in one place, `Run.not_running`.

Inputs: each check draws from the Run's seed (the Grader's `inputs`: with the course's
secret, drawn for this submission's code). When a public check fails on those inputs, it
runs once more on the published ones, the student's self-check's: passing there and
failing here is flagged for the TA ("passes the published inputs only"), at no cost in points.

What the sandbox refused or noticed (a process started, a write outside the
scratch folder, a timeout, a crash, output over the limit, memory) becomes an
entry {"kind": "sandbox", "code": ..., "message": ...} in `Graded.errors`, once per
kind of event, so the student and the TA can see what happened.
"""
import dataclasses
import time

from autograder import mistakes as M
from autograder.checks import CheckFailed
from autograder.checks.common import Context
from autograder.references.recorded import NotRecorded
from autograder.outcomes import FLAG_PUBLISHED_ONLY, PARTIAL_SANDBOX, Graded, Outcome, Status
from autograder.sandbox.fork_server import ForkServer
from autograder.sandbox.student import Student
from autograder.sandbox.workers import (WORKER_ENV, StubMissing, StudentError, Worker, WorkerProblem,
                                        partial_sandbox_note)


class WorkerSupply:
    """Hands out fresh workers.

    warm (a grading process): workers are forked by a fork server, and one spare is always
    starting up so the next submission's is ready. Not warm (one part checked from a student's
    notebook, one or two workers in all): each worker starts on its own when it is needed."""

    def __init__(self, limits, warm=True):
        self.limits, self.warm = limits, warm
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


class Run:
    """One submission's run: its worker, its deadlines and budgets, its notes and its outcomes.

    grader: the Grader (settings, kit, supply, memo, examples, parts, plots); statements: the
    submission's definitions; missing_text(stub) -> str, if given, tells the student what to do
    when a stub is not defined (the notebook knows better than a file: the cell may exist but
    not have run in this kernel)."""

    def __init__(self, grader, statements, missing_text=None):
        self.grader, self.statements, self.missing_text = grader, statements, missing_text
        self.limits = grader.settings.limits
        self.started = time.monotonic()
        self.deadline = self.started + self.limits.submission_timeout
        self.part_budget = self.limits.submission_timeout
        self.part_deadlines = {}  # part -> when its time budget ends (from its first check)
        self.timeouts = {}        # part -> names of its checks that timed out
        self.crashes = {}         # part -> crashes of the worker so far
        self.stopped = {}         # part -> why its remaining checks do not run
        self.outcomes, self.errors, self.printed = [], [], []
        self.notes = {}           # sandbox note -> its code, in the order they happened, each once
        self.worker, self.stubs = None, {}
        self.seed = grader.inputs.seed(statements)
        # Examples drawn for one submission's own inputs are no use to the next: a Run keeps its own.
        self.examples = grader.examples if not grader.inputs.graded else {}
        self.flags = []           # [{"kind", "check", "message"}] for the TA: see published_only

    def grade(self, checks):
        """Graded: every check of `checks` on this submission, then the parts' plot probes."""
        parts = list(dict.fromkeys(c.part for c in checks))
        self.part_budget = self.limits.submission_timeout / max(1, len(parts))
        self.worker, self.stubs = self._loaded(self.errors)
        artifacts = {}
        try:
            for check in checks:
                self.outcomes.append(self.run(check))
            if self.grader.plots and self.stubs and time.monotonic() < self.deadline:
                artifacts = self.plots(parts)
        finally:
            self._retire(self.worker)
        errors = self.errors + [{"kind": "sandbox", "code": code, "message": note} for note, code in self.notes.items()]
        output = "".join(self.printed)[: self.limits.output_chars]
        return Graded(self.outcomes, errors, output, artifacts, time.monotonic() - self.started, self.flags,
                      self.grader.inputs.describe(self.statements))

    def run(self, check):
        """The outcome of one check: skipped or not run by the rules below, else run on a live worker."""
        t0 = time.monotonic()
        self.part_deadlines.setdefault(check.part, t0 + self.part_budget)
        skipped = self.not_running(check)
        if skipped:
            return Outcome(check.part, check.name, *skipped)
        if self.worker.dead:
            self._retire(self.worker)
            self.worker, self.stubs = self._loaded(self.errors)
        outcome = run_check(check, Student(self.worker, self.limits.call_timeout), self._context(check))
        if outcome.status is Status.FAILED and self.grader.inputs.graded and not check.hidden:
            self.published_only(check)
        outcome.seconds = time.monotonic() - t0
        if outcome.status is Status.TIMED_OUT:
            self.timeouts.setdefault(check.part, []).append(check.name)
        if self.worker.dead:  # it was live when the check began: this check is what it died of
            self._note_problem(check.part)
        if outcome.status is Status.GRADER_ERROR:
            self.errors.append({"kind": "grader", "message": f"{check.part}.{check.name}: {outcome.detail}"})
        return outcome

    def _context(self, check, seed=None, examples=None):
        settings = self.grader.settings
        return Context(self.seed if seed is None else seed, check.part, check.name, settings.max_examples,
                       self.grader.memo, self.examples if examples is None else examples)

    def published_only(self, check):
        """Flag `check` when it passes on the published inputs, those the self-check uses, though
        it failed on the submission's own: the mark of answers looked up rather than computed."""
        if self.worker.dead or time.monotonic() > self.deadline:
            return
        again = run_check(check, Student(self.worker, self.limits.call_timeout),
                          self._context(check, self.grader.inputs.salt, self.grader.examples))
        if again.passed:
            self.flags.append({"kind": FLAG_PUBLISHED_ONLY, "check": f"{check.part}.{check.name}",
                               "message": f"{check.part}.{check.name} passes the published inputs only "
                                          f"(the self-check's) and fails on graded ones: possibly hard-coded."})

    # -- the skip rules ------------------------------------------------------------------------
    def not_running(self, check):
        """(status, feedback) when `check` does not run, else None; the first rule that applies wins."""
        stub = self.grader.stub(check.part)
        now = time.monotonic()
        if check.part in self.stopped:
            return Status.NOT_RUN, f"Skipped: {self.stopped[check.part]}"
        if now > self.deadline:
            return Status.NOT_RUN, "Skipped: the submission used up its total time for checks."
        if self.stubs and not self.stubs.get(stub, False):
            if self.missing_text:
                return Status.SKIPPED, self.missing_text(stub)
            return Status.SKIPPED, f"`{stub}` is not defined in your notebook, so this check could not run."
        if not self.stubs:
            return Status.SKIPPED, "Your definitions could not be loaded, so this check could not run."
        if check.part in self.timeouts and now > self.part_deadlines[check.part]:
            return Status.NOT_RUN, (f"Skipped: this part used up its time budget after calls timed out "
                                    f"({', '.join(self.timeouts[check.part])}).")
        return None

    def _note_problem(self, part):
        """Name a timeout or a crash for the TA; a second crash in a part stops the rest of it."""
        if self.worker.dead_kind == "timeout":
            self._add(f"Timed out in {part} (`{self.grader.stub(part)}` did not finish within "
                      f"{self.limits.call_timeout:g} s: an infinite loop?).", "timed_out")
            return
        self._add(f"The Python process running your code crashed in {part} ({self.worker.dead}).", "crashed")
        self.crashes[part] = self.crashes.get(part, 0) + 1
        if self.crashes[part] >= 2:
            self.stopped.setdefault(part, "your code crashed the Python process running it twice in this part.")

    # -- plots -----------------------------------------------------------------------------------
    def plots(self, parts):
        """{"probe.<part>": chart} of the parts whose stub is defined and ran without timeouts or
        being stopped, on the live worker (or a fresh one if it died); failures cost nothing."""
        chosen = [p for p in self.grader.parts if p.probe and p.id in parts and self.stubs.get(p.stub)
                  and p.id not in self.stopped and p.id not in self.timeouts]
        if not chosen:
            return {}
        own = None
        worker = self.worker
        if worker.dead:
            own = worker = self._loaded([])[0]
        try:
            return charts(chosen, Student(worker, self.limits.call_timeout), self.grader.memo)
        except Exception:  # plots are a courtesy: a failing probe costs nothing
            return {}
        finally:
            if own is not None:
                own.remove()
                for note in own.notes:
                    self._add(note, self._code(own, note))

    # -- workers -------------------------------------------------------------------------------
    def _loaded(self, errors):
        """(a fresh worker with the kit and the submission loaded, {stub: defined}); what went
        wrong while loading goes to `errors` and the notes."""
        worker = self.grader.supply.take()
        try:
            report = worker.call("load", self.limits.load_timeout, kit=self.grader.kit, student=self.statements)
        except WorkerProblem as problem:
            if problem.kind == "timeout":
                self._add(f"Timed out while loading your definitions (the code outside functions ran for "
                          f"more than {self.limits.load_timeout:g} s: an infinite loop?).", "load_timed_out")
            else:
                self._add(f"The Python process running your code crashed while loading your definitions "
                          f"({worker.dead}).", "load_crashed")
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

    def _retire(self, worker):
        """Keep what a finished worker printed and noticed, then end it and everything it started."""
        self.printed.append(worker.output(self.limits.output_chars))
        if worker.output_truncated(self.limits.output_chars):
            self._add(f"Printed more than {self.limits.output_chars} characters; the output was truncated.",
                      "output_truncated")
        worker.remove()  # after this, worker.notes also holds processes left running
        for note in worker.notes:
            self._add(note, self._code(worker, note))

    @staticmethod
    def _code(worker, note):
        """The code of a note the worker collected: the partial sandbox's, or "worker"."""
        return PARTIAL_SANDBOX if note == partial_sandbox_note(worker.confinement) else "worker"

    def _add(self, text, code):
        self.notes.setdefault(text, code)


def charts(parts, student, memo):
    """{"probe.<part>": its chart record as a dict} of each of `parts` whose probe draws one."""
    found = {}
    for part in parts:
        try:
            chart = part.probe(student, memo)
        except (StudentError, StubMissing, WorkerProblem):
            continue  # that stub raised or hung: its part has no plot, the other parts keep their own
        if chart is not None:
            # Plain JSON, stored in OUT/state/: the chart's fields as they are (asdict would deep-copy
            # every number of them for nothing: the probe made them for this submission).
            found[f"probe.{part.id}"] = {f.name: getattr(chart, f.name) for f in dataclasses.fields(chart)}
    return found


def run_check(check, student, ctx):
    """The outcome of running one check on a live worker."""
    try:
        check.function(student, ctx)
        return Outcome(check.part, check.name, Status.PASSED, "Passed.")
    except CheckFailed as failure:
        return Outcome(check.part, check.name, Status.FAILED, failure.feedback, failure.mistake or "")
    except StubMissing as missing:
        return Outcome(check.part, check.name, Status.SKIPPED, f"{missing}, so this check could not run.")
    except StudentError as error:
        return Outcome(check.part, check.name, Status.FAILED, student_error_feedback(error), M.RAISED)
    except WorkerProblem as problem:
        status = Status.TIMED_OUT if problem.kind == "timeout" else Status.CRASHED
        return Outcome(check.part, check.name, status, f"This check was stopped: {problem}.")
    except NotRecorded:  # only the student kit's references raise it: its self-check, never a grade
        return Outcome(check.part, check.name, Status.SKIPPED, NOT_JUDGED)
    except Exception as bug:  # a fault of the grader, not of the student: reported as such
        return Outcome(check.part, check.name, Status.GRADER_ERROR,
                       "The grader itself failed on this check (not your fault); your TA will see it.",
                       detail=f"{type(bug).__name__}: {bug}")


NOT_JUDGED = ("The self-check could not judge this answer: your code led it to inputs beyond the published "
              "ones the student kit holds answers for. Grading checks it in full; the feedback above it and "
              "the other checks of this part say what to look at.")


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
