"""Time `make mutants` (the whole mutation analysis) on this machine: bench/mutants.json.

Run alone with `make bench BENCH_ARGS="--mutants"` or `python bench/bench_mutants.py`.
Target (issue 16): at least 300 distinct mutants graded in under 10 minutes.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 600
TARGET_MUTANTS = 300


def bench_mutants(out_folder, jobs=2):
    """Run `make mutants` once; write and return {"seconds", "mutants", "parts", "verdict"}."""
    with tempfile.TemporaryDirectory(prefix="gradlab-mutants-") as tmp:
        start = time.perf_counter()
        done = subprocess.run(["make", "-s", "-C", str(REPO), "mutants", f"MUTANTS_OUT={tmp}", f"JOBS={jobs}"],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        results = json.loads(Path(tmp, "results.json").read_text())
    parts = {p: {k: c[k] for k in ("mutants", "killed", "leaked", "survived", "equivalent", "kill_rate")}
             for p, c in results["parts"].items()}
    count = sum(c["mutants"] for c in parts.values())
    row = {"machine": {"cores": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 1)},
           "jobs": jobs, "seconds": round(seconds, 1), "mutants": count, "gate_exit_code": done.returncode,
           "parts": parts, "verdict": {f"at least {TARGET_MUTANTS} mutants in under {TARGET_SECONDS} s":
                                       count >= TARGET_MUTANTS and seconds < TARGET_SECONDS}}
    Path(out_folder).mkdir(exist_ok=True)
    (Path(out_folder) / "mutants.json").write_text(json.dumps(row, indent=2) + "\n")
    print(f"make mutants: {count} mutants in {seconds:.1f} s with {jobs} jobs (gate exit code {done.returncode}); "
          f"{'met' if row['verdict'][next(iter(row['verdict']))] else 'NOT MET'}: under {TARGET_SECONDS} s", flush=True)
    return row


if __name__ == "__main__":
    bench_mutants(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "bench")
