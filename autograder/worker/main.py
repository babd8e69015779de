"""Entry point of a worker process: `python -I main.py CONFIG_JSON`.

Order matters here: everything the worker needs is imported while it can
still read the Python installation, then limits are set, the network and
file system are cut off where the kernel allows, privileges are dropped (as
root: in a forked child, PID 1 of its own PID namespace, while the process the
grader started only supervises it; see sandbox.py), and only then is any
student code loaded. Requests arrive on one pipe and replies leave on another;
each reply carries the sandbox's new notes (what it refused or noticed). The
student's prints go to a capped file, never into the protocol.
"""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# Modules the stubs may reasonably use: imported now, because after the
# privilege drop the Python installation may no longer be readable.
import abc, collections, copy, dataclasses, decimal, fractions, functools, itertools  # noqa: E401,F401,E402
import math, numbers, operator, random, re, statistics, string, typing, warnings, enum  # noqa: E401,F401,E402
import numpy as np  # noqa: E402,F401
import numpy.linalg, numpy.random  # noqa: E401,F401,E402

import ops  # noqa: E402
import sandbox  # noqa: E402
import wire  # noqa: E402

import builtins  # noqa: E402

# Heavy or grader-side packages are unavailable to student code, by design: importing one fails
# fast with a clear message. The security-relevant ones also leave a note for the TA. (A courtesy:
# the kernel-level sandbox is what actually confines.)
BLOCKED = ("tensorflow", "keras", "tf_keras", "torch", "jax", "matplotlib", "sklearn", "scipy",
           "IPython", "ipykernel", "autograder", "hypothesis", "nbformat", "nbgrader", "pandas",
           "seaborn", "subprocess", "multiprocessing", "socket", "_socket", "ssl", "ctypes",
           "_ctypes", "_posixsubprocess", "pty")
BLOCKED_NOTES = {
    "subprocess": "process", "multiprocessing": "process", "_posixsubprocess": "process", "pty": "process",
    "socket": "network", "_socket": "network", "ssl": "network", "ctypes": "ctypes", "_ctypes": "ctypes",
}
NOTE_TEXT = {"process": "Tried to start a process (import {name}); refused by the sandbox.",
             "network": "Tried to use the network (import {name}); refused by the sandbox.",
             "ctypes": "Tried to call C code directly (import {name}); refused by the sandbox."}


class BlockedImports:
    """A meta path finder that refuses the BLOCKED packages."""

    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in BLOCKED:
            if top in BLOCKED_NOTES:
                kind = BLOCKED_NOTES[top]
                sandbox.note(kind, NOTE_TEXT[kind].format(name=top))
            raise ModuleNotFoundError(f"No module named {name!r} in the grader's sandbox "
                                      "(the stubs are graded with NumPy only)", name=name)
        return None


def _block_imports():
    for name in list(sys.modules):
        if name.partition(".")[0] in BLOCKED:
            del sys.modules[name]  # what the worker itself imported keeps working through its own names
    sys.meta_path.insert(0, BlockedImports())


# What a student hoping the comparison happens in the worker would replace (checked each call).
NUMPY_WATCHED = ("allclose", "isclose", "array_equal", "array_equiv", "all", "any", "abs", "absolute",
                 "sum", "sqrt", "square", "max", "min", "mean", "var", "std", "isfinite", "isnan", "ndarray",
                 "asarray", "array", "float64", "dot", "matmul", "clip", "where", "testing")


class Integrity:
    """What the student's code may have replaced, checked after every operation.

    The grader's own code in this process (ops, wire, this file) must stay as it was, and so
    must the kit's namespace once it is loaded (the release's classes and the kit code the
    grader supplies, such as a network standing in for the student's), or the replies could
    lie about what the student's code did: a change makes every later reply an error.
    Replacing NumPy or Python built-ins (np.allclose = lambda *a: True) changes no verdict,
    since answers are compared in the grader's process; it is only noted."""

    def __init__(self):
        grader = [("ops", vars(ops)), ("ops.Session", vars(ops.Session)), ("wire", vars(wire)),
                  ("main", globals())]
        self.grader = []  # (label, namespace, its keys, their values, its size): an added name is a change too
        self.watch(grader)
        watched_np = tuple(k for k in vars(np) if k in NUMPY_WATCHED)
        self.library = [_snapshot("np", vars(np), watched_np),
                        _snapshot("np.linalg", vars(np.linalg)), _snapshot("builtins", vars(builtins))]
        self.broken = None

    def watch(self, spaces):
        """Add [(label, namespace)] to what must stay as it is from now on."""
        self.grader += [_snapshot(prefix, space) for prefix, space in spaces]

    def check(self):
        if self.broken is None:
            self.broken = _changed(self.grader, sized=True)
            if self.broken:
                sandbox.note("tamper", f"Changed the grader's code inside the worker ({self.broken}); its "
                                       "answers were not used.")
        changed = _changed(self.library)
        if changed:
            sandbox.note("patch", f"Replaced part of NumPy or Python's built-ins ({changed}); answers are "
                                  "compared in the grader's own process, so this changes no grade.")
        return self.broken


def _snapshot(prefix, space, keys=None):
    keys = tuple(space) if keys is None else keys
    return prefix, space, keys, tuple(space[k] for k in keys), len(space)


_MISSING = object()
# Bound now, before any student code runs: a student replacing builtins.all must not blind the check.
_ALL, _MAP, _IS, _REPEAT, _LEN, _ZIP = all, map, operator.is_, itertools.repeat, len, zip


def _changed(snapshots, sized=False):
    """The label of the first changed entry (or of a namespace a name was added to, if `sized`),
    else None. Checked after every operation, so the comparison runs in C (map, operator.is_)."""
    for prefix, space, keys, values, size in snapshots:
        if _ALL(_MAP(_IS, _MAP(space.get, keys, _REPEAT(_MISSING)), values)):
            if sized and _LEN(space) != size:
                return f"{prefix} (a name added)"[:100]
            continue
        for key, value in _ZIP(keys, values):
            if space.get(key, _MISSING) is not value:
                return f"{prefix}.{key}"[:100]
    return None


class CappedText:
    """A text stream that keeps the first `limit` characters and drops the rest."""

    def __init__(self, fd, limit):
        self.fd, self.limit, self.left = fd, limit, limit

    def write(self, text):
        text = text if type(text) is str else "?"  # str() of a student object is not ours to call
        if len(text) > self.left:
            sandbox.note("output", f"Printed more than {self.limit} characters; the output was truncated.")
        if self.left > 0:
            chunk = text[: self.left]
            self.left -= len(chunk)
            try:
                os.write(self.fd, chunk.encode("utf-8", "replace"))
            except OSError:
                self.left = 0
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return False


def main(config):
    sandbox.bind_to_grader(config)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an over-long write fails instead of killing us
    # As root this returns in a forked child, PID 1 of its own namespace; see sandbox.py.
    confinement = sandbox.confine(sandbox.worker_policy(config))
    requests = os.fdopen(config["request_fd"], "rb", buffering=0)
    replies = config["reply_fd"]
    sys.stdout = sys.__stdout__ = CappedText(1, config["output_chars"])
    sys.stderr = sys.__stderr__ = CappedText(2, config["output_chars"])
    _block_imports()
    session = ops.Session()
    session.confinement = confinement
    integrity = Integrity()

    def read_exactly(n):
        data = b""
        while len(data) < n:
            chunk = requests.read(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    while True:
        try:
            request = wire.read_message(read_exactly)
        except EOFError:
            return
        reply = answer(session, request, config)
        if request.get("op") == "load":
            integrity.watch(session.kit_spaces())  # the kit exists from now on
        if integrity.check():
            reply = {"error": {"type": "SandboxError", "builtin_types": [], "traceback": "",
                               "message": "your code changed the grader's code inside the worker "
                                          f"({integrity.broken}), so its answers cannot be used"}}
        reply["seq"] = request.get("seq")
        reply["notes"] = sandbox.take_notes()
        _write_all(replies, _pack(reply, config))


def answer(session, request, config):
    """Run one operation; the student's exceptions become plain error replies."""
    try:
        operation = getattr(session, request["op"])
        value = operation(**wire.decode(request["args"]))
        if request["op"] == "load":
            for error in value.get("errors", []):
                _note_exception(error.get("builtin_types", []), config)
        encoded = wire.encode(value)
        opaque = _first_opaque(encoded)
        if opaque:
            sandbox.note("opaque", f"Returned a value that is not plain data ({opaque}); the grader only "
                                   "accepts numbers, strings, lists, tuples, dicts and NumPy arrays.")
        return {"ok": encoded}
    except ops.StubMissing as missing:
        return {"missing": str(missing)}
    except BaseException as error:  # noqa: B902 - SystemExit and KeyboardInterrupt cost one call only
        described = ops.describe(error)
        _note_exception(described["builtin_types"], config)
        return {"error": described}


def _first_opaque(encoded, depth=0):
    """The type name of the first value `wire.encode` could not send as plain data, if any."""
    if depth > wire.MAX_DEPTH + 2:
        return None
    if type(encoded) is list:
        items = encoded
    elif type(encoded) is dict:
        if "__opaque__" in encoded:
            return str(encoded["__opaque__"])[:100]
        items = encoded.get("__tuple__") or [x for pair in encoded.get("__dict__", []) for x in pair]
    else:
        return None
    for item in items:
        found = _first_opaque(item, depth + 1)
        if found:
            return found
    return None


def _note_exception(builtin_types, config):
    if "MemoryError" in builtin_types:
        sandbox.note("memory", f"Used more than the memory limit ({config['memory_mb']} MB): "
                               "Python raised MemoryError.")
    if "RecursionError" in builtin_types:
        sandbox.note("recursion", "Recursed too deeply (RecursionError): infinite recursion?")
    if "SystemExit" in builtin_types:
        sandbox.note("exit", "Called sys.exit() (SystemExit); the grader went on with the next check.")
    if "KeyboardInterrupt" in builtin_types:
        sandbox.note("interrupt", "Raised KeyboardInterrupt; the grader went on with the next check.")


def _pack(reply, config):
    """The reply as bytes; one that cannot be sent (too large, out of memory) becomes an error."""
    try:
        return wire.pack(reply)
    except BaseException as error:  # noqa: B902 - MemoryError while serialising a huge value
        _note_exception([c.__name__ for c in type(error).__mro__], config)
        return wire.pack({"error": {"type": "WireError", "builtin_types": [],
                                    "message": "the value returned could not be sent to the grader "
                                               f"({type(error).__name__})", "traceback": ""},
                          "seq": reply.get("seq"), "notes": sandbox.take_notes()})


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# -- the fork server ------------------------------------------------------------------------
#
# Starting Python and importing NumPy costs a worker about 0.2 s of CPU, as much as grading
# a submission's four parts. The fork server pays it once: a process that has imported
# everything above (and never runs student code) forks a fresh worker per request. Each
# worker then confines itself exactly as a worker started on its own does. It is forked
# twice so that it is reparented to the grading process (a child subreaper), which can wait
# for it and read its exit status as it would a process it started itself.

def serve_forks(control_fd, grader_pid):
    """Fork a worker for each request on `control_fd` until the grader closes it."""
    import socket  # here, not at the top: workers must not find it among main's globals

    sandbox.bind_to_grader({"grader_pid": grader_pid})
    sandbox.worker_plan()  # once, here: every worker forked from now on inherits it
    control = socket.socket(fileno=control_fd)
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 20, 3)
        except (OSError, ValueError):
            os._exit(0)
        if not message or len(fds) != 3:
            os._exit(0)
        try:
            pid = _fork_worker(json.loads(message), fds, control.fileno())
        except OSError:
            pid = 0  # no process could be forked: the grader starts this worker on its own
        for fd in fds:
            os.close(fd)
        try:
            control.sendall(pid.to_bytes(8, "little"))
        except OSError:
            os._exit(0)


def _fork_worker(config, fds, control_fd):
    """The pid of a new worker, once it has been reparented to the grader."""
    pid_r, pid_w = os.pipe()
    middle = os.fork()
    if middle == 0:  # exits at once, leaving the worker an orphan for the grader to adopt
        try:
            worker = os.fork()
            if worker == 0:
                os.close(pid_r)
                _become_worker(config, fds, keep_out=(control_fd, pid_w))
            os.write(pid_w, worker.to_bytes(8, "little"))
        finally:
            os._exit(0)
    os.close(pid_w)
    with os.fdopen(pid_r, "rb") as pipe:
        data = pipe.read(8)
    os.waitpid(middle, 0)
    return int.from_bytes(data, "little") if len(data) == 8 else 0


def _become_worker(config, fds, keep_out):
    """In the forked worker: what subprocess.Popen would have set up, then main(); never returns."""
    code = 1
    try:
        request_r, reply_w, output = fds
        for fd in keep_out:
            os.close(fd)
        os.setsid()  # its own process group, which the grader kills as a whole
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        keep = {0, 1, 2, request_r, reply_w}
        for fd in range(3, 1024):
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        os.chdir("/")
        os.environ["HOME"] = config["scratch"]
        _await_adoption(config["grader_pid"])
        config = dict(config, request_fd=request_r, reply_fd=reply_w)
        sys.argv = [sys.argv[0], json.dumps(config)]  # as a worker started on its own sees it
        main(config)
        code = 0
    except BaseException:  # noqa: B902 - as an uncaught exception would end a worker started on its own
        try:
            import traceback

            traceback.print_exc()
        except BaseException:  # noqa: B902
            pass
    finally:
        os._exit(code)


def _await_adoption(grader_pid):
    # The parent-death signal must be armed once the grader is our parent, not before.
    for _ in range(4000):
        if os.getppid() == grader_pid:
            return
        time.sleep(0.0005)
    os._exit(1)


if __name__ == "__main__":
    if sys.argv[1] == "--fork-server":
        serve_forks(int(sys.argv[2]), int(sys.argv[3]))
    else:
        main(json.loads(sys.argv[1]))
