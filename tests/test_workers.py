"""Student code runs only in sandboxed workers: what it does there costs one call, no more."""
import os
import time

import numpy as np
import psutil
import pytest

from autograder.config import REPO, Limits
from autograder.extract import extract
from autograder.workers import CallTimeout, StudentError, Worker, WorkerCrashed
from harness import REFERENCE

KIT = extract([{"index": 0, "source": REFERENCE.read_text()}])[0]
GRADS = {"dW1": np.full((2, 2), 3.0), "db1": np.ones((2, 1))}


def worker_with(body, **limits):
    """A worker whose clip_gradients is `body` (indented function body)."""
    source = "import os, sys\ndef clip_gradients(gradients, max_norm=5.0, clip_type='norm'):\n" + body
    worker = Worker(Limits(**limits), hide=[str(REPO)])
    statements, problems = extract([{"index": 0, "source": source}])
    assert not problems
    worker.call("load", 20, kit=KIT, student=statements)
    return worker


def clip(worker, timeout=5):
    return worker.call("clip", timeout, gradients=GRADS, max_norm=1.0, clip_type="norm")


def test_a_correct_call_returns_plain_arrays():
    with worker_with("    return {k: v / 2 for k, v in gradients.items()}, {}\n") as w:
        result = clip(w)["result"]
        assert type(result[0]["dW1"]) is np.ndarray and result[0]["dW1"].dtype == np.float64


def test_sys_exit_costs_one_call_and_the_worker_goes_on():
    with worker_with("    sys.exit(3)\n") as w:
        with pytest.raises(StudentError) as raised:
            clip(w)
        assert raised.value.type == "SystemExit"
        with pytest.raises(StudentError):
            clip(w)


def test_keyboard_interrupt_costs_one_call():
    with worker_with("    raise KeyboardInterrupt\n") as w:
        with pytest.raises(StudentError) as raised:
            clip(w)
        assert raised.value.type == "KeyboardInterrupt"


def test_os_exit_is_reported_as_a_crash():
    with worker_with("    os._exit(7)\n") as w:
        with pytest.raises(WorkerCrashed, match="exited with code 7"):
            clip(w)


def test_an_infinite_loop_times_out_and_leaves_no_process():
    with worker_with("    while True:\n        pass\n") as w:
        pid = w.process.pid
        started = time.monotonic()
        with pytest.raises(CallTimeout):
            clip(w, timeout=1)
        assert time.monotonic() - started < 5
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_printing_100_mb_is_capped_and_the_call_still_returns():
    body = "    print('x' * 100_000_000)\n    os.write(1, b'y' * 50_000_000)\n    return gradients, {}\n"
    with worker_with(body, output_chars=1000) as w:
        clip(w)
        assert len(w.output(10_000)) <= 10_000
        assert os.path.getsize(w.output_path) <= 8 * 2**20 + 1000


def test_a_memory_bomb_fails_inside_the_worker_only():
    with worker_with("    x = bytearray(8 * 2**30)\n    return gradients, {}\n", memory_mb=512) as w:
        with pytest.raises((StudentError, WorkerCrashed)):
            clip(w)


@pytest.mark.skipif(os.geteuid() != 0, reason="confinement beyond rlimits needs root")
def test_the_worker_cannot_read_the_course_files_write_outside_scratch_or_start_processes():
    body = ("    found = []\n"
            "    try:\n        found.append(len(os.listdir(%r)))\n    except OSError:\n        found.append(-1)\n"
            "    for attempt in (lambda: open('/tmp/gradlab-escape', 'w'), lambda: os.system('true'),\n"
            "                    lambda: os.fork()):\n"
            "        try:\n            attempt()\n            found.append('allowed')\n"
            "        except (OSError, PermissionError):\n            found.append('refused')\n"
            "    return found, {}\n") % str(REPO)
    with worker_with(body) as w:
        listed, *attempts = clip(w)["result"][0]
        assert listed in (0, -1)
        assert attempts == ["refused", "refused", "refused"]
        assert not os.path.exists("/tmp/gradlab-escape")


@pytest.mark.skipif(os.geteuid() != 0, reason="confinement beyond rlimits needs root")
def test_the_worker_runs_unprivileged_without_network():
    with worker_with("    return gradients, {}\n") as w:
        report = w.call("load", 20, kit=[], student=[])
        assert {"unprivileged user", "no network", "audit hook"} <= set(report["confinement"])
