"""Grader side of the fork server: fresh workers in milliseconds instead of 0.2 s.

A worker started on its own spends about 0.2 s of CPU starting Python and
importing NumPy, as much as the checks of a whole submission. The fork server
(worker/main.py, `serve_forks`) has done that once; on request it forks a new
worker, which confines itself exactly as a worker started on its own does. It
never runs student code, so every worker still starts from a clean process.
It also makes, once, the plan of the workers' allowlist root (what the worker
runs on, read from its own memory maps: worker/sandbox.py, `worker_plan`), so a
forked worker only mounts it: about 1.5 ms (bench/bench_sandbox.py).

Each worker is forked twice and so reparented to the grading process, which
is made a child subreaper: the grader waits for the worker and reads its exit
status (the student's exit code or the signal that killed it) as it would for
a process it started itself. Where any of this is unavailable (not Linux, the
server died), `spawn` returns 0 and the worker is started on its own.
"""
import ctypes
import json
import os
import selectors
import socket
import subprocess
import sys
import time
from pathlib import Path

WORKER_MAIN = Path(__file__).parent.parent / "worker" / "main.py"
PR_SET_CHILD_SUBREAPER = 36
SPAWN_TIMEOUT = 10.0  # seconds for the server to fork; far more than it ever takes


class ForkServer:
    """One fork server for this process's workers; `env` is the workers' whole environment."""

    def __init__(self, env):
        self._process = None
        self._control = None
        if not _become_subreaper():
            return
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", str(WORKER_MAIN), "--fork-server", str(theirs.fileno()), str(os.getpid())],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                cwd="/", pass_fds=(theirs.fileno(),), start_new_session=True, close_fds=True)
            self._control = ours
        except OSError:
            ours.close()
        finally:
            theirs.close()

    def spawn(self, config, fds):
        """The pid of a new worker given `config` and (request_r, reply_w, output) fds; 0 if none."""
        if self._control is None:
            return 0
        try:
            socket.send_fds(self._control, [json.dumps(config).encode()], list(fds))
            with selectors.DefaultSelector() as selector:
                selector.register(self._control, selectors.EVENT_READ)
                if not selector.select(SPAWN_TIMEOUT):
                    raise OSError("the fork server did not answer")
            data = self._control.recv(8)
            if len(data) != 8:
                raise OSError("the fork server closed its socket")
        except OSError:
            self.close()  # the rest of the run starts workers on their own
            return 0
        return int.from_bytes(data, "little")

    def close(self):
        if self._control is not None:
            self._control.close()  # the server exits when it reads end of file
            self._control = None
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


def _become_subreaper():
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


class Adopted:
    """The part of subprocess.Popen's interface the grader uses, for a worker it adopted."""

    def __init__(self, pid):
        self.pid = pid
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: its status is lost
                self.returncode = 1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.0005
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
            time.sleep(delay)
            delay = min(delay * 2, 0.02)
        return self.returncode
