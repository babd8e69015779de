"""Entry point of a worker process: `python -I main.py CONFIG_JSON`.

Order matters here: everything the worker needs is imported while it can
still read the Python installation, then limits are set, the network and
file system are cut off where the kernel allows, privileges are dropped, and
only then is any student code loaded. Requests arrive on one pipe and replies
leave on another; the student's prints go to a capped file, never into the
protocol.
"""
import json
import os
import signal
import sys

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

# Heavy or grader-side packages are unavailable to student code, by design.
BLOCKED = ("tensorflow", "keras", "tf_keras", "torch", "jax", "matplotlib", "sklearn", "scipy",
           "IPython", "ipykernel", "autograder", "hypothesis", "nbformat", "nbgrader", "pandas",
           "seaborn", "subprocess", "multiprocessing", "socket", "ctypes")


class CappedText:
    """A text stream that keeps the first `limit` characters and drops the rest."""

    def __init__(self, fd, limit):
        self.fd, self.left = fd, limit

    def write(self, text):
        text = str(text)
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


def main():
    config = json.loads(sys.argv[1])
    requests = os.fdopen(config["request_fd"], "rb", buffering=0)
    replies = os.fdopen(config["reply_fd"], "wb", buffering=0)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an over-long write fails instead of killing us
    sys.stdout = sys.__stdout__ = CappedText(1, config["output_chars"])
    sys.stderr = sys.__stderr__ = CappedText(2, config["output_chars"])
    sandbox.confine(config)
    for name in BLOCKED:
        sys.modules[name] = None
    session = ops.Session()
    session.confinement = sandbox.APPLIED

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
        wire.send(replies, answer(session, request))


def answer(session, request):
    """Run one operation; the student's exceptions become plain error replies."""
    try:
        operation = getattr(session, request["op"])
        value = operation(**wire.decode(request["args"]))
        return {"ok": wire.encode(value)}
    except ops.StubMissing as missing:
        return {"missing": str(missing)}
    except BaseException as error:  # noqa: B902 - SystemExit and KeyboardInterrupt cost one call only
        return {"error": ops.describe(error)}


if __name__ == "__main__":
    main()
