"""Grader side of the worker processes: start, call with a timeout, kill.

A worker runs autograder/worker/main.py, which imports NumPy and the standard
library only and confines itself (worker/sandbox.py says how, and what the
fallback without root is). It is forked by a fork server (fork_server.py) when
the caller has one, else started as `python -I autograder/worker/main.py`; it
confines itself the same way either way. The grader sends requests and reads
replies on two pipes, with a deadline on every call. Replies are decoded by
wire.decode, which builds plain values only; a reply that is not well-formed
plain data is a crash of the worker, never a fault of the grader. The
worker's stdout and stderr go to an unnamed temporary file the grader holds,
of which only the start is ever read.

Each worker collects `notes`: short sentences for the TA about what the
sandbox refused or noticed (sent by the worker with its replies, or seen
here: a process left running, output over the limit).
"""
import json
import os
import pwd
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from autograder.sandbox.fork_server import WORKER_MAIN, Adopted
from autograder.worker import wire

# The worker keeps at most as many notes (worker/sandbox.py's MAX_NOTES): it runs as a script in
# another process and imports nothing of the package, so each side has its own, kept equal.
MAX_NOTES = 20
NOTE_CHARS = 300


# The start of the note every submission gets when its worker ran without the allowlist root;
# the class report looks for it.
PARTIAL_SANDBOX = "The sandbox was partial"


def partial_sandbox_note(confinement):
    """The note for a worker that did not get the allowlist root, or None when it did."""
    if "allowlist root" in confinement:
        return None
    why = "the grader did not run as root" if os.geteuid() != 0 else "the kernel refused a namespace or a mount"
    return (f"{PARTIAL_SANDBOX} ({why}): the code ran without the allowlist file system, so it could "
            "read files outside its scratch folder. A grader setup matter, not the submission's.")


# A worker's whole environment: nothing of the grader's leaks in, and NumPy stays on one thread.
WORKER_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
              "PYTHONDONTWRITEBYTECODE": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1"}


class WorkerProblem(Exception):
    """The call did not return normally; the check it belongs to is lost."""

    kind = "problem"


class CallTimeout(WorkerProblem):
    kind = "timeout"


class WorkerCrashed(WorkerProblem):
    kind = "crash"


class StubMissing(Exception):
    """The submission does not define the stub this call needs.

    Raised here when the worker's own StubMissing (worker/ops.py, the other process's side of
    the same event) comes back as a "missing" reply."""


class StudentError(Exception):
    """The student's code raised an exception during the call."""

    def __init__(self, info):
        self.type = str(info.get("type", "Exception"))[:100]
        self.builtin_types = [str(t)[:100] for t in info.get("builtin_types", [])
                              if type(t) is str][:50]
        self.message = str(info.get("message", ""))[:2000]
        self.traceback = str(info.get("traceback", ""))[-4000:]
        super().__init__(f"{self.type}: {self.message}")

    def is_a(self, builtin_name):
        return builtin_name in self.builtin_types


def unprivileged_ids():
    """(uid, gid) of `nobody`, whom student code runs as under root."""
    try:
        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return 65534, 65534


class Worker:
    """One sandboxed worker process; use as a context manager or call stop()."""

    def __init__(self, limits, forks=None):
        self.limits = limits
        self.forks = forks       # a ForkServer to start from, or None to start Python afresh
        if os.geteuid() == 0:
            # Only a name: the worker mounts a private tmpfs there inside its own mount namespace
            # (or makes the folder itself, if it gets no namespace), so nothing is left on disk.
            self.scratch = os.path.join(tempfile.gettempdir(), f"gradlab-worker-{secrets.token_hex(8)}")
        else:
            self.scratch = tempfile.mkdtemp(prefix="gradlab-worker-")  # 0700: this user's only
        self.process = None
        self.dead = None         # why the worker stopped answering, once it has
        self.dead_kind = None    # "timeout" or "crash", once it has
        self.notes = []          # sentences for the TA, in the order they happened
        self.confinement = []    # the sandbox layers the worker reported at load
        self._output = None
        self._seq = 0            # numbers requests; a reply must carry its request's number
        self._start()

    def _start(self):
        uid, gid = unprivileged_ids()
        # Unnamed: nothing on disk for another worker to find, gone when the grader closes it.
        self._output = tempfile.TemporaryFile(prefix="gradlab-output-")
        request_r, self._request_w = os.pipe()
        self._reply_r, reply_w = os.pipe()
        # What the worker's policy is made of (worker/sandbox.py worker_policy): the rest of it (the
        # allowlist of what it may see) the worker reads from itself.
        config = {
            "request_fd": request_r, "reply_fd": reply_w, "scratch": self.scratch, "grader_pid": os.getpid(),
            "uid": uid, "gid": gid,
            "memory_mb": self.limits.memory_mb, "cpu_seconds": self.limits.cpu_seconds,
            "file_size_mb": self.limits.file_size_mb, "max_processes": self.limits.max_processes,
            "output_chars": self.limits.output_chars,
        }
        pid = self.forks.spawn(config, (request_r, reply_w, self._output.fileno())) if self.forks else 0
        if pid:
            self.process = Adopted(pid)
        else:
            self.process = subprocess.Popen(
                [sys.executable, "-I", str(WORKER_MAIN), json.dumps(config)],
                stdin=subprocess.DEVNULL, stdout=self._output, stderr=self._output,
                env=dict(WORKER_ENV, HOME=self.scratch), cwd="/", pass_fds=(request_r, reply_w),
                start_new_session=True, close_fds=True)
        os.close(request_r)
        os.close(reply_w)
        os.set_blocking(self._request_w, False)

    # -- calls ---------------------------------------------------------------
    def call(self, op, timeout, **args):
        """Run one operation in the worker and return its decoded value."""
        if self.dead:
            raise WorkerCrashed(f"the worker had already stopped ({self.dead})")
        self._seq += 1
        message = json.dumps({"op": op, "args": wire.encode(args), "seq": self._seq}, allow_nan=False).encode()
        deadline = time.monotonic() + timeout
        self._send(wire.HEADER.pack(len(message)) + message, deadline, timeout)
        while True:
            reply = self._read_reply(deadline, timeout)
            self._take_notes(reply.get("notes"))
            if reply.get("seq") == self._seq:
                break
            # Out of step: the student's code wrote to the reply pipe itself. The forged message is
            # dropped and the real reply awaited, so the forgery costs no later check.
            self.note("Wrote to the grader's reply channel (a forged reply); the grader noticed.")
        try:
            if "ok" in reply:
                value = wire.decode(reply["ok"])
                if op == "load" and type(value) is dict and type(value.get("confinement")) is list:
                    self.confinement = [str(c) for c in value["confinement"]]
                    partial = partial_sandbox_note(self.confinement)
                    if partial:
                        self.note(partial)
                return value
            if "missing" in reply:
                raise StubMissing(str(reply["missing"])[:500])
        except wire.WireError as error:
            self._died(f"it sent a reply that is not plain data ({error})")
        if "error" in reply and isinstance(reply["error"], dict):
            raise StudentError(reply["error"])
        self._died("it sent a reply the grader does not understand")

    def _send(self, data, deadline, timeout):
        # Non-blocking, with the call's deadline: a worker that stopped reading cannot hang the grader.
        view = memoryview(data)
        try:
            view = view[os.write(self._request_w, view):]  # the usual case: the pipe takes it all
        except BlockingIOError:
            pass
        except OSError:
            self._died(self._exit_description())
        if not view:
            return
        with selectors.DefaultSelector() as selector:
            selector.register(self._request_w, selectors.EVENT_WRITE)
            while view:
                if not selector.select(max(0.0, deadline - time.monotonic())):
                    self._timed_out(timeout)
                try:
                    view = view[os.write(self._request_w, view):]
                except BlockingIOError:
                    continue
                except OSError:
                    self._died(self._exit_description())

    def _read_reply(self, deadline, timeout):
        def read_exactly(n):
            data = b""
            with selectors.DefaultSelector() as selector:
                selector.register(self._reply_r, selectors.EVENT_READ)
                while len(data) < n:
                    if not selector.select(max(0.0, deadline - time.monotonic())):
                        self._timed_out(timeout)
                    chunk = os.read(self._reply_r, min(n - len(data), 1 << 20))
                    if not chunk:
                        self._died(self._exit_description())
                    data += chunk
            return data

        try:
            reply = wire.read_message(read_exactly)
        except wire.WireError as error:
            self._died(f"it sent a malformed reply ({error})")
        if type(reply) is not dict:
            self._died("it sent a malformed reply")
        return reply

    def _take_notes(self, notes):
        # The worker's notes are the student's process talking: plain short strings, a few at most.
        if type(notes) is not list:
            return
        for text in notes[:MAX_NOTES]:
            if type(text) is str:
                self.note(text[:NOTE_CHARS])

    def note(self, text):
        if text not in self.notes and len(self.notes) < MAX_NOTES:
            self.notes.append(text)

    def _timed_out(self, timeout):
        self.stop()
        self.dead, self.dead_kind = f"a call took longer than {timeout:g} s", CallTimeout.kind
        raise CallTimeout(f"your code did not finish within {timeout:g} seconds "
                          "(an infinite loop, or far too much work for a small input)")

    def _died(self, why):
        self.stop()
        self.dead, self.dead_kind = why, WorkerCrashed.kind
        raise WorkerCrashed(f"the Python process running your code stopped: {why}")

    def _exit_description(self):
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "it closed its reply pipe"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            hints = {"SIGXCPU": " (CPU time limit)", "SIGKILL": " (out of CPU time or memory?)",
                     "SIGSEGV": " (a segmentation fault)"}
            return f"killed by signal {name}{hints.get(name, '')}"
        return f"it exited with code {code} (sys.exit or os._exit in your code?)"

    # -- output and shutdown -------------------------------------------------
    def output(self, limit):
        """The first `limit` characters the student's code printed."""
        try:
            return os.pread(self._output.fileno(), 4 * limit + 4, 0).decode("utf-8", "replace")[:limit]
        except (OSError, ValueError, AttributeError):
            return ""

    def output_truncated(self, limit):
        """True when the student's code printed more than `limit` characters."""
        try:
            size = os.fstat(self._output.fileno()).st_size
        except (OSError, ValueError, AttributeError):
            return False
        if size <= limit:
            return False
        return len(os.pread(self._output.fileno(), 4 * limit + 4, 0).decode("utf-8", "replace")) > limit

    def stop(self):
        """End the worker and everything it started, and close the pipes."""
        if self.process is None:
            return
        strays = self._strays()
        if self.process.poll() is None and ("process namespace" in self.confinement
                                            or (not self.confinement and os.geteuid() == 0)):
            # The supervisor kills its child, PID 1 of the namespace: the kernel then kills and
            # reaps everything else in it, and the supervisor reaps the child (no zombies).
            _signal(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        _signal(-self.process.pid, signal.SIGKILL)  # the process group (the fallback's main tool)
        for pid in strays:  # the ones that left the group with setsid
            _signal(pid, signal.SIGKILL)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if strays:
            self.note(f"Left {len(strays)} process{'es' if len(strays) > 1 else ''} running in the "
                      "background; killed when grading ended.")
        for fd in (self._request_w, self._reply_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.process = None

    def _strays(self):
        """Processes the student's code started that are still running (their pids)."""
        try:
            import psutil
        except ImportError:
            return []
        try:
            descendants = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.Error:
            return []
        # Under the supervisor, its one child runs the student's code; anything else is a stray.
        # (Before the load reply says whether there is a supervisor, running as root means there is.)
        worker_pids = {self.process.pid}
        if "process namespace" in self.confinement or (not self.confinement and os.geteuid() == 0):
            worker_pids |= {p.pid for p in descendants if _ppid(p) == self.process.pid}
        return [p.pid for p in descendants if p.pid not in worker_pids]

    def remove(self):
        self.stop()
        if self._output is not None:
            self._output.close()
            self._output = None
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _signal(pid, number):
    try:
        if pid < 0:
            os.killpg(-pid, number)
        else:
            os.kill(pid, number)
    except (ProcessLookupError, PermissionError):
        pass


def _ppid(process):
    try:
        return process.ppid()
    except Exception:  # psutil.Error: the process is gone
        return None
