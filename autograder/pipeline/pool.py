"""Grading processes: `jobs` spawned processes, each grading with a Grader of its own.

The batch (`make grade`), nbgrader's grading service and the mutation tool grade through
a Pool. Each process loads its Grader (TensorFlow, the references, a fork server of
sandboxed workers) once, as a local of its serving loop, and runs `task(grader, payload)`
for every payload it takes from the queue. The processes are spawned: a fresh interpreter, no copy of
the caller's state (nbgrader's included). A process that dies (killed for its memory,
say) fails the task it was on, and once none is left every task still waiting fails
too, instead of leaving the caller waiting for ever.
"""
import multiprocessing
import os
import queue
import time

from autograder.pipeline.grader import Grader

POLL_SECONDS = 0.5  # how often a waiting caller looks for processes that died


class GradingFailed(RuntimeError):
    """A task raised in its grading process, or the process died before it answered."""


def _serve(origin, task, niceness, tasks, taken, results):
    """A grading process: load a Grader, then answer tasks until the sentinel None arrives.

    Which task it took goes on its own pipe, written before the task starts (a pipe's send is
    done when it returns), so that its caller knows which task to fail should it die."""
    if niceness:
        os.nice(niceness)
    with Grader.of(origin, warm=True) as grader:
        while True:
            item = tasks.get()
            if item is None:
                return
            ticket, payload = item
            taken.send(ticket)
            try:
                value = task(grader, payload)
            except Exception as error:  # the caller decides what a failed task means
                results.put(("failed", ticket, f"{type(error).__name__}: {error}"))
            else:
                results.put(("done", ticket, value))


class Pool:
    """`jobs` grading processes built from `origin` (a grader.Origin) that run `task`.

    task(grader, payload) must be a module-level function: spawned processes import it.
    niceness: how much the processes yield the CPU to others (nbgrader's own process, whose
    bookkeeping is the run's critical path)."""

    def __init__(self, origin, jobs, task, niceness=0):
        context = multiprocessing.get_context("spawn")
        self.jobs = jobs
        self._tasks, self._results = context.Queue(), context.Queue()
        self._processes, self._taken = [], []
        for _ in range(jobs):
            reader, writer = context.Pipe(duplex=False)
            process = context.Process(target=_serve, daemon=True,
                                      args=(origin, task, niceness, self._tasks, writer, self._results))
            process.start()
            writer.close()  # the process holds its own end
            self._processes.append(process)
            self._taken.append(reader)
        self._count = 0
        self._open = set()   # tickets submitted and not yet handed back
        self._answers = {}   # ticket -> (ok, value or why it failed)
        self._held = {}      # process index -> the ticket it took last

    def submit(self, payload):
        """Queue `payload`; returns its ticket."""
        self._count += 1
        self._open.add(self._count)
        self._tasks.put((self._count, payload))
        return self._count

    def finished(self):
        """(ticket, value) of every submitted task, as each finishes; GradingFailed for a failed one."""
        while self._open:
            ready = [t for t in self._answers if t in self._open]
            if not ready:
                self._collect(POLL_SECONDS)
                continue
            for ticket in ready:
                yield ticket, self._hand_back(ticket)

    def result(self, ticket, timeout):
        """The value of task `ticket`, waiting at most `timeout` seconds (TimeoutError after)."""
        deadline = time.monotonic() + timeout
        while ticket not in self._answers:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer within {timeout:g} s")
            self._collect(min(POLL_SECONDS, left))
        return self._hand_back(ticket)

    def close(self, wait=True):
        """Stop the processes: after their current task (wait), or at once."""
        if wait:
            for _ in self._processes:
                self._tasks.put(None)
            for process in self._processes:
                process.join(timeout=30)
        for process in self._processes:
            if process.is_alive():
                process.terminate()  # its workers and fork server die with it (parent-death signal)
            process.join(timeout=5)
        for channel in (self._tasks, self._results):
            channel.cancel_join_thread()
            channel.close()
        for reader in self._taken:
            reader.close()
        self._processes, self._taken = [], []

    def _hand_back(self, ticket):
        self._open.discard(ticket)
        ok, value = self._answers.pop(ticket)
        if not ok:
            raise GradingFailed(value)
        return value

    def _collect(self, timeout):
        """Take one answer from the processes, or, when none comes, see which have died."""
        self._note_taken()
        try:
            kind, ticket, value = self._results.get(timeout=timeout)
        except queue.Empty:
            self._bury()
            return
        self._answers[ticket] = (kind == "done", value)

    def _note_taken(self):
        for index, reader in enumerate(self._taken):
            while reader.poll():
                try:
                    self._held[index] = reader.recv()
                except (EOFError, OSError):  # the process is gone; _bury sees to its task
                    break

    def _bury(self):
        """Fail the task of each process that died, and every waiting task once none is alive."""
        self._note_taken()  # what a process sent before it died is still in its pipe
        alive = 0
        for index, process in enumerate(self._processes):
            if process.exitcode is None:
                alive += 1
                continue
            ticket = self._held.pop(index, None)
            if ticket in self._open and ticket not in self._answers:
                self._answers[ticket] = (False, f"its grading process died (exit code {process.exitcode}; "
                                                "out of memory?)")
        if not alive:
            for ticket in self._open - set(self._answers):
                self._answers[ticket] = (False, "every grading process has died (out of memory, or a grader "
                                                "that cannot start: see the messages above)")
