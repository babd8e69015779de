"""Grader side of the worker processes: start, call with a timeout, kill.

A worker is `python -I autograder/worker/main.py`, which imports NumPy and the
standard library only. The grader sends requests and reads replies on two
pipes, with a deadline on every call; the worker's own stdout and stderr go
to a file in its scratch directory, of which only the start is ever read.
"""
import json
import os
import pwd
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .worker import wire

WORKER_MAIN = Path(__file__).parent / "worker" / "main.py"


class WorkerProblem(Exception):
    """The call did not return normally; the check it belongs to is lost."""

    kind = "problem"


class CallTimeout(WorkerProblem):
    kind = "timeout"


class WorkerCrashed(WorkerProblem):
    kind = "crash"


class StubMissing(Exception):
    """The submission does not define the stub this call needs."""


class StudentError(Exception):
    """The student's code raised an exception during the call."""

    def __init__(self, info):
        self.type = str(info.get("type", "Exception"))
        self.builtin_types = [str(t) for t in info.get("builtin_types", [])]
        self.message = str(info.get("message", ""))
        self.traceback = str(info.get("traceback", ""))
        super().__init__(f"{self.type}: {self.message}")

    def is_a(self, builtin_name):
        return builtin_name in self.builtin_types


def _unprivileged_ids():
    try:
        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return 65534, 65534


class Worker:
    """One sandboxed worker process; use as a context manager or call stop()."""

    def __init__(self, limits, hide=()):
        self.limits = limits
        self.scratch = tempfile.mkdtemp(prefix="gradlab-worker-")
        # Everything the worker imports is loaded before the hiding; only the scratch
        # directory is used after it, so no hidden folder may contain it.
        self.hide = [str(p) for p in hide if not self.scratch.startswith(str(p).rstrip("/") + "/")]
        self.output_path = os.path.join(self.scratch, "output.log")
        self.process = None
        self.dead = None  # why the worker stopped answering, once it has
        self._start()

    def _start(self):
        uid, gid = _unprivileged_ids()
        output = open(self.output_path, "wb")
        if os.geteuid() == 0:
            os.chown(self.scratch, uid, gid)
            os.chown(self.output_path, uid, gid)
        request_r, self._request_w = os.pipe()
        self._reply_r, reply_w = os.pipe()
        config = {
            "request_fd": request_r, "reply_fd": reply_w, "scratch": self.scratch,
            "uid": uid, "gid": gid, "hide": self.hide,
            "memory_mb": self.limits.memory_mb, "cpu_seconds": self.limits.cpu_seconds,
            "file_size_mb": self.limits.file_size_mb, "max_processes": self.limits.max_processes,
            "output_chars": self.limits.output_chars,
        }
        env = {"PATH": "/usr/bin:/bin", "HOME": self.scratch, "LANG": "C.UTF-8",
               "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-I", str(WORKER_MAIN), json.dumps(config)],
            stdin=subprocess.DEVNULL, stdout=output, stderr=output, env=env, cwd=self.scratch,
            pass_fds=(request_r, reply_w), start_new_session=True, close_fds=True)
        output.close()
        os.close(request_r)
        os.close(reply_w)

    # -- calls ---------------------------------------------------------------
    def call(self, op, timeout, **args):
        """Run one operation in the worker and return its decoded value."""
        if self.dead:
            raise WorkerCrashed(f"the worker had already stopped ({self.dead})")
        message = json.dumps({"op": op, "args": wire.encode(args)}, allow_nan=False).encode()
        try:
            os.write(self._request_w, wire.HEADER.pack(len(message)) + message)
        except OSError:
            self._died("it closed its input")
        reply = self._read_reply(time.monotonic() + timeout, timeout)
        if "ok" in reply:
            return wire.decode(reply["ok"])
        if "missing" in reply:
            raise StubMissing(str(reply["missing"]))
        if "error" in reply and isinstance(reply["error"], dict):
            raise StudentError(reply["error"])
        raise WorkerCrashed("the worker sent a reply the grader does not understand")

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
        except (wire.WireError, ValueError, UnicodeDecodeError) as error:
            self._died(f"it sent a malformed reply ({error})")
        if not isinstance(reply, dict):
            self._died("it sent a malformed reply")
        return reply

    def _timed_out(self, timeout):
        self.stop()
        self.dead = f"a call took longer than {timeout:g} s"
        raise CallTimeout(f"your code did not finish within {timeout:g} seconds "
                          "(an infinite loop, or far too much work for a small input)")

    def _died(self, why):
        self.stop()
        self.dead = why
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
            return f"killed by signal {name}" + (" (CPU time limit)" if name == "SIGXCPU" else "")
        return f"it exited with code {code} (sys.exit or os._exit in your code?)"

    # -- output and shutdown -------------------------------------------------
    def output(self, limit):
        """The first `limit` characters the student's code printed."""
        try:
            with open(self.output_path, "rb") as handle:
                return handle.read(limit).decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        """Kill the worker's whole process group and close the pipes."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for fd in (self._request_w, self._reply_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.process = None

    def remove(self):
        self.stop()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
