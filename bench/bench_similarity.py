"""What the similarity report adds to `make grade`, measured in one run.

    make bench BENCH_ARGS="--similarity"                 # 200 submissions, 2 jobs
    .venv/bin/python bench/bench_similarity.py --n 50     # a quick look

Grades a synthetic class of N submissions (the corpora of `make bench`, each
student's stubs made textually distinct by a comment of their own, so no
student's fingerprints come from another's cache, as in a real class) with
`make grade`, similarity on as by default. From that one run: the whole
run's wall time, and the similarity step's own time, which the step prints
(`similarity: ... in X s`). Then, on that run's output, the class report's
extra work (reading similarity.json, drawing "Pairs to review"), timed
against the same report without it. The target: at most 10% added to the
grading run.
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_bench import REPO, as_notebook, corpus_sources  # noqa: E402 - the same class as `make bench`

STUB_DEF = re.compile(r"^(\s*)def (backward_propagation|clip_gradients|batch_normalize|diagnose_gradient_health)"
                      r"\(.*\):\n", re.MULTILINE)
TARGET = 0.10
STEP_LINE = re.compile(r"^similarity: (\d+) pairs compared in ([\d.]+) s$", re.MULTILINE)


def build_class(folder, n):
    sources = corpus_sources()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        own = STUB_DEF.sub(lambda m, i=i: f"{m.group(0)}{m.group(1)}    # student {i}'s own work\n",
                           sources[i % len(sources)])
        (folder / f"student{i:03d}.ipynb").write_text(as_notebook(own, i))


def grade(folder, out, jobs):
    """(wall seconds, stderr) of `make grade` as a TA runs it."""
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    done = subprocess.run(["make", "-s", "-C", str(REPO), "grade", f"SUBMISSIONS={folder}", f"OUT={out}",
                           f"JOBS={jobs}", "FORCE=1"], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"make grade failed:\n{done.stderr[-3000:]}")
    return seconds, done.stderr


def report_seconds(out):
    """(seconds to write report.html with the similarity section, and without it), on `out`."""
    from autograder import config
    from autograder.outputs import class_report
    from autograder.tools import similarity

    records = [json.loads(p.read_text()) for p in sorted((out / "results").glob("*.json"))]
    safe_ids = [p.stem for p in sorted((out / "results").glob("*.json"))]
    grading = config.load()
    class_report.write(out, records, safe_ids, grading)  # once first: imports are paid by neither
    timed = {}
    for label in ("without", "with"):
        start = time.perf_counter()
        # with: read similarity.json and draw "Pairs to review", as a report of it would
        sections = [similarity.report_section(json.loads((out / "similarity.json").read_text()))] \
            if label == "with" else []
        class_report.write(out, records, safe_ids, grading, sections)
        timed[label] = time.perf_counter() - start
    return timed["with"], timed["without"]


def bench_similarity(work, n, jobs):
    folder, out = work / f"class{n}", work / f"out{n}"
    build_class(folder, n)
    seconds, stderr = grade(folder, out, jobs)
    step = STEP_LINE.search(stderr)
    if step is None:
        raise RuntimeError(f"make grade did not report the similarity step:\n{stderr[-2000:]}")
    pairs, step_seconds = int(step.group(1)), float(step.group(2))
    with_report, without_report = report_seconds(out)
    added = step_seconds + max(0.0, with_report - without_report)
    rest = seconds - added
    return {"n": n, "jobs": jobs, "make_grade_seconds": round(seconds, 2), "pairs": pairs,
            "similarity_step_seconds": round(step_seconds, 2),
            "report_section_seconds": round(max(0.0, with_report - without_report), 2),
            "similarity_json_mb": round((out / "similarity.json").stat().st_size / 2**20, 1),
            "added_share": round(added / rest, 4), "target": TARGET, "met": added / rest <= TARGET}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200, help="submissions in the class (default %(default)s)")
    parser.add_argument("--jobs", type=int, default=2, help="grading processes (default %(default)s)")
    parser.add_argument("--out", type=Path, default=REPO / "bench", help="where similarity_results.json goes")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gradlab-bench-similarity-") as tmp:
        row = bench_similarity(Path(tmp), args.n, args.jobs)
    args.out.mkdir(exist_ok=True)
    (args.out / "similarity_results.json").write_text(json.dumps(row, indent=2) + "\n")
    print(f"make grade N={row['n']} jobs={row['jobs']}: {row['make_grade_seconds']:.1f} s in all, of which "
          f"similarity {row['similarity_step_seconds']:.2f} s ({row['pairs']} pairs) + report section "
          f"{row['report_section_seconds']:.2f} s: +{row['added_share']:.1%} on grading alone "
          f"(target at most {TARGET:.0%}: {'met' if row['met'] else 'NOT MET'})")
    return row


if __name__ == "__main__":
    main()
