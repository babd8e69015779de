"""`make autograde` against `make grade` and stock nbgrader, on the same class, in one run.

A temporary course (this repository's nbgrader_config.py, its solutions, its own exchange and
gradebook) gets N submitted notebooks of the synthetic class run_bench.py builds (correct
variants, partial work, mutants), written straight into submitted/ as `make collect` leaves
them. Measured, one after the other on the same machine:
  - `make autograde COURSE=... FORCE=1`: the kit's nbgrader path (GradeFromFile);
  - `make grade SUBMISSIONS=COURSE/submitted FORCE=1`: the same N files;
  - stock `nbgrader autograde` (nbgrader's own Execute, a kernel per notebook) of a sample
    of the same notebooks (run_bench.bench_nbgrader): it takes about 25 s per notebook, so a
    sample stands in for the class.
Targets (issue 12): per student, autograde at least 10x faster than stock and within 3x of
make grade. Run alone: `python bench/run_bench.py --autograde 100 --nbgrader 2`.
"""
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_bench  # noqa: E402 - the class and the stock nbgrader run are run_bench's

REPO = run_bench.REPO
TARGETS = {"faster_than_stock_at_least": 10, "slower_than_make_grade_at_most": 3}


def build_course(top, n):
    """A released course with n submissions in submitted/; returns (course root, env)."""
    root, exchange = top / "course", top / "exchange"
    root.mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "solutions", root / "solutions")
    env = {**os.environ, "GRADLAB_COURSE_ID": "gradlab-bench", "GRADLAB_EXCHANGE": str(exchange),
           "GRADLAB_GRADEBOOK": str(root / "gradebook.db"),
           "GRADLAB_RELEASE": str(root / "assignment" / "lab4_3" / "lab4_3.ipynb")}
    make("release", root, env)
    sources = run_bench.corpus_sources()
    for i in range(n):
        folder = root / "submitted" / f"student{i:03d}" / "lab4_3"
        folder.mkdir(parents=True)
        (folder / "lab4_3.ipynb").write_text(run_bench.as_notebook(sources[i % len(sources)], i))
    return root, env


def make(target, course, env, *extra):
    return run_bench.timed(["make", "-s", "--no-print-directory", "-C", str(REPO), target, f"COURSE={course}",
                            *extra], env=env)


def row(seconds, rss, pss, n):
    return {"n": n, "seconds": round(seconds, 2), "per_student": round(seconds / n, 3),
            "peak_rss_mb": round(rss / 2**20), "peak_pss_mb": round(pss / 2**20)}


def bench(work, n, sample):
    root, env = build_course(work / "autograde", n)
    autograde = row(*make("autograde", root, env, "FORCE=1"), n)
    print(f"make autograde N={n}: {autograde['seconds']:.1f} s, {autograde['per_student']:.3f} s/student, "
          f"peak PSS {autograde['peak_pss_mb']} MB", flush=True)
    grade = row(*run_bench.timed(["make", "-s", "-C", str(REPO), "grade", f"SUBMISSIONS={root / 'submitted'}",
                                  f"OUT={work / 'grades'}", "FORCE=1"], env=env), n)
    print(f"make grade     N={n}: {grade['seconds']:.1f} s, {grade['per_student']:.3f} s/student", flush=True)
    stock = run_bench.bench_nbgrader(work, sample)
    stock["per_student"] = stock.pop("per_submission")
    print(f"stock nbgrader autograde N={sample}: {stock['seconds']:.1f} s, {stock['per_student']:.2f} s/student",
          flush=True)
    results = {"autograde": autograde, "make_grade": grade, "stock_nbgrader": stock,
               "faster_than_stock": round(stock["per_student"] / autograde["per_student"], 1),
               "times_make_grade": round(autograde["per_student"] / grade["per_student"], 2),
               "targets": TARGETS}
    results["verdicts"] = {
        "at_least_10x_faster_than_stock": results["faster_than_stock"] >= TARGETS["faster_than_stock_at_least"],
        "within_3x_of_make_grade": results["times_make_grade"] <= TARGETS["slower_than_make_grade_at_most"]}
    return results


def main(n, sample, out):
    import tempfile

    with tempfile.TemporaryDirectory(prefix="gradlab-bench-autograde-") as tmp:
        results = bench(Path(tmp), n, sample)
    results["machine"] = {"cores": os.cpu_count(), "python": sys.version.split()[0]}
    out.mkdir(exist_ok=True)
    (out / "autograde.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"make autograde: {results['faster_than_stock']}x faster per student than stock nbgrader, "
          f"{results['times_make_grade']}x make grade's time per student.")
    for name, met in results["verdicts"].items():
        print(f"  {'met    ' if met else 'NOT MET'}  {name}")
    print(f"Figures: {out / 'autograde.json'}")
    return results
