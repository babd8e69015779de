"""What the allowlist root costs: building it, against starting a worker and grading a submission.

`python bench/run_bench.py --sandbox` (or `python bench/bench_sandbox.py`). Three figures:
- per submission: `python -m autograder grade` of a synthetic class (bench/run_bench.py's
  corpus), one job, every submission regraded, over a few rounds; the mean of OUT/timings.json
  (each submission's own grading time, without the grading process's start-up);
- per worker: a worker forked by the fork server and loaded with the kit, as grading gets one
  (the allowlist root is built there), until its first reply;
- the file system step alone (needs root): in a forked child, `confine` of the worker's policy
  reduced to its mount namespace (worker/sandbox.py: the same plan and the same code a worker
  runs between fork and student code), timed from the unshare to the pivoted, read-only root.
Target: the file system step at most 10% of a worker's start.
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

TARGET = 0.10  # file system step / worker start


def grade_seconds(folder, out):
    """(whole run, mean per submission) in seconds."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
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


def worker_seconds(count):
    done = subprocess.run([PY, "-c", WORKER_SCRIPT % {"repo": str(REPO), "count": count}], check=True,
                          capture_output=True, text=True, cwd=REPO)
    return json.loads(done.stdout.strip().splitlines()[-1])


BUILD_SCRIPT = """
import dataclasses, json, os, sys, time
sys.path.insert(0, %(worker)r)
import numpy, numpy.linalg, numpy.random
import sandbox
config = {"scratch": "/tmp/gradlab-bench-scratch", "file_size_mb": 8, "memory_mb": 1536, "cpu_seconds": 60,
          "max_processes": 32, "uid": 65534, "gid": 65534}
# The worker's policy (its plan made once, before the first fork, as the fork server does), reduced
# to the file system step: a mount namespace and the allowlist root in it.
policy = dataclasses.replace(sandbox.worker_policy(config), limits=None, namespaces=("mount",), seccomp=False,
                             user=None, audit=None)
def once():
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        start = time.perf_counter()
        applied = sandbox.confine(policy)
        seconds = time.perf_counter() - start
        os.write(write, json.dumps([seconds, "allowlist root" in applied]).encode())
        os._exit(0)
    os.close(write)
    seconds, built = json.loads(os.read(read, 256))
    os.close(read)
    os.waitpid(pid, 0)
    assert built, "the allowlist root was not built"
    return seconds
times = [once() for _ in range(%(count)d)]
print(json.dumps({"times": times, "entries": len(policy.file_system.read_only)}))
"""


def build_seconds(count):
    """[seconds] of the file system step alone, and the number of read-only entries (needs root)."""
    script = BUILD_SCRIPT % {"worker": str(REPO / "autograder" / "worker"), "count": count}
    done = subprocess.run([PY, "-I", "-c", script], check=True, capture_output=True, text=True, cwd="/")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(n=20, rounds=3, workers=40, out=None):
    """Measure and return the figures (and write them to `out`/sandbox.json when given)."""
    per_submission, per_worker, layers = [], [], []
    with tempfile.TemporaryDirectory(prefix="gradlab-bench-sandbox-") as tmp:
        folder = Path(tmp) / "class"
        build_class(folder, n)
        for round_ in range(rounds):
            seconds, each = grade_seconds(folder, Path(tmp) / f"out-{round_}")
            per_submission.append(each)
            measured = worker_seconds(workers)
            per_worker += measured["times"]
            layers = measured["layers"]
            print(f"round {round_ + 1}: {seconds:6.1f} s for {n} submissions ({each:.3f} s each); worker ready "
                  f"in {1000 * statistics.median(measured['times']):.1f} ms (median of {workers})", flush=True)
    build = build_seconds(workers) if os.geteuid() == 0 else None
    figures = {
        "n": n, "rounds": rounds, "workers_per_round": workers,
        "per_submission_seconds": round(statistics.fmean(per_submission), 4),
        "per_worker_ms": round(1000 * statistics.median(per_worker), 2),
        "layers": layers,
        "file_system_step_ms": build and round(1000 * statistics.median(build["times"]), 3),
        "allowlist_entries": build and build["entries"],
    }
    figures["target"] = f"file system step <= {TARGET:.0%} of a worker's start"
    if build:
        figures["share_of_worker_start"] = round(figures["file_system_step_ms"] / figures["per_worker_ms"], 4)
        figures["met"] = figures["share_of_worker_start"] <= TARGET
    print(f"per submission: {figures['per_submission_seconds']:.3f} s; per worker: {figures['per_worker_ms']} ms "
          f"until its first reply")
    if build:
        print(f"file system step alone: {figures['file_system_step_ms']} ms for the allowlist root "
              f"({build['entries']} entries), {figures['share_of_worker_start']:.1%} of a worker's start "
              f"({'met' if figures['met'] else 'NOT MET'}: target {TARGET:.0%})")
    if out:
        Path(out).mkdir(exist_ok=True)
        (Path(out) / "sandbox.json").write_text(json.dumps(figures, indent=2) + "\n")
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="submissions per grading run")
    parser.add_argument("--rounds", type=int, default=3, help="grading runs")
    parser.add_argument("--workers", type=int, default=40, help="workers timed per round")
    parser.add_argument("--out", type=Path, default=REPO / "bench")
    args = parser.parse_args(argv)
    run(args.n, args.rounds, args.workers, args.out)


if __name__ == "__main__":
    main()
