"""Per-submission grading time of this checkout against an earlier commit, in one run.

`python bench/run_bench.py --versions REV` (or `python bench/bench_versions.py --rev REV`).
A refactor must not slow grading: this checks out REV into a temporary worktree, builds one
synthetic class (bench/run_bench.py's corpus), and grades it with `python -m autograder grade
--force` from each checkout in turn, round by round, so a noisy machine slows both alike.
Each checkout runs with its own code on PYTHONPATH and this checkout's virtualenv. The figure
is the mean of OUT/timings.json (each submission's own grading time, without the grading
process's start-up). Writes OUT/versions.json.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_bench import PY, REPO, build_class  # noqa: E402


def grade_seconds(checkout, folder, out, jobs):
    """(whole run, mean per submission) in seconds, grading `folder` with `checkout`'s code."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [PY, "-m", "autograder", "grade", str(folder), "--out", str(out), "--jobs", str(jobs), "--force"]
    if "--no-similarity" in subprocess.run([PY, "-m", "autograder", "grade", "--help"], capture_output=True,
                                           text=True, env=env, cwd=checkout).stdout:
        command.append("--no-similarity")  # the same work in both: the similarity report is new
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=checkout)
    whole = time.perf_counter() - start
    timings = json.loads((out / "timings.json").read_text())
    return whole, statistics.mean(timings.values())


def run(rev, n=50, rounds=3, jobs=1, out=REPO / "bench" / "out"):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="gradlab-versions-"))
    old = work / "old"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(old), rev], check=True)
    try:
        folder = work / "class"
        build_class(folder, n)
        checkouts = {f"{rev} (before)": old, "this checkout": REPO}
        runs = {label: [] for label in checkouts}
        for index in range(rounds):
            for label, checkout in checkouts.items():
                whole, per = grade_seconds(checkout, folder, work / f"out-{index}-{len(runs[label])}", jobs)
                runs[label].append({"whole": round(whole, 2), "per_submission": round(per, 4)})
                print(f"round {index + 1}: {label}: {per:.3f} s per submission ({whole:.1f} s in all)", flush=True)
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], check=False)
        shutil.rmtree(work, ignore_errors=True)
    means = {label: statistics.mean(r["per_submission"] for r in rows) for label, rows in runs.items()}
    before, after = means[f"{rev} (before)"], means["this checkout"]
    result = {"rev": rev, "n": n, "rounds": rounds, "jobs": jobs, "runs": runs,
              "per_submission": {k: round(v, 4) for k, v in means.items()}, "ratio": round(after / before, 3),
              "measured": time.strftime("%Y-%m-%d %H:%M")}
    (out / "versions.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"per submission: {after:.3f} s now, {before:.3f} s at {rev}: ratio {after / before:.3f}")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", required=True, help="the earlier commit to compare with")
    parser.add_argument("--n", type=int, default=50, help="submissions in the class")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args(argv)
    run(args.rev, args.n, args.rounds, args.jobs, args.out)


if __name__ == "__main__":
    main()
