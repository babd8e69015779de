"""What the allowlist root costs: per-submission time with it and without it, in one run.

`python bench/run_bench.py --sandbox` (or `python bench/bench_sandbox.py`). Two figures, each
measured with the allowlist root on and switched off (GRADLAB_ALLOWLIST_ROOT=0, the denylist
view; the switch exists only for this measurement), the two modes interleaved round by round so
that a noisy machine slows both alike:
- per submission: `python -m autograder grade` of a synthetic class (bench/run_bench.py's
  corpus), one job, every submission regraded; the mean of OUT/timings.json (each submission's
  own grading time, without the grading process's start-up, which is the same in both modes);
- per worker: a worker forked by the fork server and loaded with the kit, as grading gets one
  (the allowlist root is built there), until its first reply;
- the file system step alone: in a forked child with a mount namespace of its own, building
  the allowlist root against covering the denylist (what a worker does between fork and code).
Target: per-submission time with the allowlist root within 10% of the time without it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_bench import PY, REPO, build_class  # noqa: E402

SWITCH = "GRADLAB_ALLOWLIST_ROOT"
MODES = {"allowlist root": "1", "denylist (switched off)": "0"}
TARGET = 1.10  # allowlist / denylist, per submission


def grade_seconds(folder, out, allowlist):
    """(whole run, mean per submission) in seconds."""
    env = {**os.environ, SWITCH: allowlist, "TF_CPP_MIN_LOG_LEVEL": "3"}
    start = time.perf_counter()
    subprocess.run([PY, "-m", "autograder", "grade", str(folder), "--out", str(out), "--jobs", "1", "--force"],
                   check=True, capture_output=True, env=env, cwd=REPO)
    whole = time.perf_counter() - start
    return whole, statistics.fmean(json.loads((Path(out) / "timings.json").read_text()).values())


WORKER_SCRIPT = """
import json, os, sys, time
sys.path.insert(0, %(repo)r)
from autograder import config
from autograder.pipeline import release
from autograder.sandbox.fork_server import ForkServer
from autograder.sandbox.workers import WORKER_ENV, Worker
grading = config.load()
kit = release.kit_statements(grading)
forks = ForkServer(WORKER_ENV)
times = []
for _ in range(%(count)d):
    start = time.perf_counter()
    with Worker(grading.limits, forks=forks) as worker:
        worker.call("load", 20, kit=kit, student=[])
        times.append(time.perf_counter() - start)
        layers = worker.confinement
forks.close()
print(json.dumps({"times": times, "layers": layers}))
"""


def worker_seconds(count, allowlist):
    env = {**os.environ, SWITCH: allowlist}
    done = subprocess.run([PY, "-c", WORKER_SCRIPT % {"repo": str(REPO), "count": count}], check=True,
                          capture_output=True, text=True, env=env, cwd=REPO)
    return json.loads(done.stdout.strip().splitlines()[-1])


BUILD_SCRIPT = """
import json, os, sys, time
sys.path.insert(0, %(worker)r)
import numpy, numpy.linalg, numpy.random
import sandbox
sandbox.root_plan()  # made once, before the first fork, as the fork server does
libc = sandbox._libc()
config = {"scratch": "/tmp/gradlab-bench-scratch", "file_size_mb": 8, "uid": 65534, "gid": 65534,
          "hide": [%(repo)r], "private_scratch": True}
def once(build):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        libc.unshare(sandbox.CLONE_NEWNS)
        libc.mount(b"none", b"/", None, sandbox.MS_REC | sandbox.MS_PRIVATE, None)
        start = time.perf_counter()
        build(libc, config)
        os.write(write, str(time.perf_counter() - start).encode())
        os._exit(0)
    os.close(write)
    seconds = float(os.read(read, 64))
    os.close(read)
    os.waitpid(pid, 0)
    return seconds
times = {"allowlist root": [], "denylist (switched off)": []}
for _ in range(%(count)d):
    times["allowlist root"].append(once(sandbox._allowlist_root))
    times["denylist (switched off)"].append(once(sandbox._file_system))
print(json.dumps({"times": times, "entries": len(sandbox.root_plan())}))
"""


def build_seconds(count):
    """{mode: [seconds]} of the file system step alone (needs root)."""
    script = BUILD_SCRIPT % {"worker": str(REPO / "autograder" / "worker"), "repo": str(REPO), "count": count}
    done = subprocess.run([PY, "-I", "-c", script], check=True, capture_output=True, text=True, cwd="/")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(n=20, rounds=3, workers=40, out=None):
    """Measure and return the figures (and write them to `out`/sandbox.json when given)."""
    per_submission = {mode: [] for mode in MODES}
    per_worker = {mode: [] for mode in MODES}
    layers = {}
    with tempfile.TemporaryDirectory(prefix="gradlab-bench-sandbox-") as tmp:
        folder = Path(tmp) / "class"
        build_class(folder, n)
        for round_ in range(rounds):
            # Alternate which mode goes first: neither gets the warmer caches every time.
            order = list(MODES.items()) if round_ % 2 == 0 else list(MODES.items())[::-1]
            for mode, value in order:
                seconds, each = grade_seconds(folder, Path(tmp) / f"out-{value}-{round_}", value)
                per_submission[mode].append(each)
                measured = worker_seconds(workers, value)
                per_worker[mode] += measured["times"]
                layers[mode] = measured["layers"]
                print(f"round {round_ + 1}, {mode:24}: {seconds:6.1f} s for {n} submissions "
                      f"({each:.3f} s each); worker ready in "
                      f"{1000 * statistics.median(measured['times']):.1f} ms (median of {workers})", flush=True)
    allow, deny = MODES
    build = build_seconds(workers) if os.geteuid() == 0 else None
    figures = {
        "n": n, "rounds": rounds, "workers_per_round": workers,
        "per_submission_seconds": {m: round(statistics.fmean(v), 4) for m, v in per_submission.items()},
        "per_worker_ms": {m: round(1000 * statistics.median(v), 2) for m, v in per_worker.items()},
        "layers": layers,
        "file_system_step_ms": build and {m: round(1000 * statistics.median(v), 2) for m, v in build["times"].items()},
        "allowlist_entries": build and build["entries"],
    }
    figures["ratio_per_submission"] = round(figures["per_submission_seconds"][allow]
                                            / figures["per_submission_seconds"][deny], 3)
    figures["allowlist_cost_per_worker_ms"] = round(figures["per_worker_ms"][allow] - figures["per_worker_ms"][deny], 2)
    figures["target"] = f"per-submission ratio <= {TARGET}"
    figures["met"] = figures["ratio_per_submission"] <= TARGET
    print(f"per submission: {figures['per_submission_seconds'][allow]:.3f} s with the allowlist root, "
          f"{figures['per_submission_seconds'][deny]:.3f} s without: ratio {figures['ratio_per_submission']} "
          f"({'met' if figures['met'] else 'NOT MET'}: target {TARGET})")
    print(f"per worker: {figures['per_worker_ms'][allow]} ms with, {figures['per_worker_ms'][deny]} ms without "
          f"({figures['allowlist_cost_per_worker_ms']:+} ms)")
    if build:
        step = figures["file_system_step_ms"]
        print(f"file system step alone: {step[allow]} ms for the allowlist root ({build['entries']} entries), "
              f"{step[deny]} ms for the denylist view")
    if out:
        Path(out).mkdir(exist_ok=True)
        (Path(out) / "sandbox.json").write_text(json.dumps(figures, indent=2) + "\n")
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="submissions per grading run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per mode, interleaved")
    parser.add_argument("--workers", type=int, default=40, help="workers timed per round and mode")
    parser.add_argument("--out", type=Path, default=REPO / "bench")
    args = parser.parse_args(argv)
    run(args.n, args.rounds, args.workers, args.out)


if __name__ == "__main__":
    main()
