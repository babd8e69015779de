"""`make bench`: grading throughput of the kit against `nbgrader autograde`.

Builds a synthetic class from the test corpora (correct variants, partial
work, mutants), grades it with the kit for N = 25, 50, 100, 200 and 1 and 2
jobs, grades a few of the same notebooks with the real `nbgrader autograde`,
and writes bench/results.json and bench/time_vs_n.png. Every figure comes from
this one run, so ratios compare like with like on a noisy machine.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO / "tests" / "corpora"
RELEASE = REPO / "assignment" / "lab4_3" / "lab4_3.ipynb"
PY = sys.executable


def corpus_sources():
    """Submission texts: reference + each correct variant or mutant, and partial work."""
    reference = (CORPORA / "correct" / "reference.py").read_text()
    sources = [reference]
    for folder in ("correct", "mutants"):
        for path in sorted((CORPORA / folder).glob("*.py")):
            if path.name != "reference.py":
                sources.append(reference + "\n\n" + path.read_text())
    sources.append("import numpy as np\n" + reference.split("def clip_gradients")[0])  # partial: part 2 only
    return sources


def as_notebook(source, index):
    """The release notebook with the student's code in a cell at the end."""
    notebook = json.loads(RELEASE.read_text())
    notebook["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                              "source": f"# student {index}\n{source}"})
    return json.dumps(notebook)


def build_class(folder, n):
    sources = corpus_sources()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"student{i:03d}.ipynb").write_text(as_notebook(sources[i % len(sources)], i))


class PeakMemory:
    """Peak of the summed RSS of a process and all its descendants, sampled every 0.1 s."""

    def __init__(self, pid):
        self.root = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                procs = [self.root] + self.root.children(recursive=True)
                total = 0
                for proc in procs:
                    try:
                        total += proc.memory_info().rss
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total)
            except psutil.Error:
                pass
            self._stop.wait(0.1)

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.peak


def timed(command, env=None, cwd=None):
    """(seconds, peak bytes, completed process) for a command."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env, cwd=cwd)
    memory = PeakMemory(process.pid)
    out, err = process.communicate()
    seconds = time.perf_counter() - start
    peak = memory.stop()
    if process.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed:\n{err[-3000:]}")
    return seconds, peak, out


def bench_kit(work, n, jobs):
    folder = work / f"class{n}"
    if not folder.exists():
        build_class(folder, n)
    out = work / f"out{n}-{jobs}"
    shutil.rmtree(out, ignore_errors=True)
    seconds, peak, _ = timed([PY, "-m", "autograder", "grade", str(folder), "--out", str(out),
                              "--jobs", str(jobs), "--force"])
    return {"n": n, "jobs": jobs, "seconds": round(seconds, 2), "per_submission": round(seconds / n, 3),
            "peak_mb": round(peak / 2**20)}


def bench_nbgrader(work, count):
    """`nbgrader autograde` of `count` notebooks of the same synthetic class, one kernel each."""
    course = work / "course"
    shutil.rmtree(course, ignore_errors=True)
    shutil.copytree(REPO / "solutions", course / "source")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.source_directory = 'source'\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{course}/gradebook.db'\n"
        "c.ExecutePreprocessor.timeout = 600\n")
    # nbgrader takes its options after the subcommand and runs alembic from PATH.
    env = {**os.environ, "PATH": f"{Path(PY).parent}{os.pathsep}{os.environ.get('PATH', '')}"}

    def nbgrader(*args):
        return [PY, "-m", "nbgrader", *args, "--log-level=ERROR"]

    subprocess.run(nbgrader("generate_assignment", "lab4_3", "--force"), cwd=course, check=True,
                   capture_output=True, env=env)
    sources = corpus_sources()
    students = [f"student{i:03d}" for i in range(count)]
    for i, student in enumerate(students):
        target = course / "submitted" / student / "lab4_3"
        target.mkdir(parents=True)
        (target / "lab4_3.ipynb").write_text(as_notebook(sources[i % len(sources)], i))
        subprocess.run(nbgrader("db", "student", "add", student), cwd=course, check=True, capture_output=True,
                       env=env)
    seconds, peak, _ = timed(nbgrader("autograde", "lab4_3", "--force"), env=env, cwd=course)
    return {"n": count, "seconds": round(seconds, 2), "per_submission": round(seconds / count, 2),
            "peak_mb": round(peak / 2**20)}


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    for jobs, style in ((1, "o-"), (2, "s-")):
        rows = [r for r in results["kit"] if r["jobs"] == jobs]
        ax.plot([r["n"] for r in rows], [r["seconds"] for r in rows], style, label=f"make grade, {jobs} job(s)")
    per = results["nbgrader"]["per_submission"]
    ns = sorted({r["n"] for r in results["kit"]})
    ax.plot(ns, [per * n for n in ns], "x--", label="nbgrader autograde (extrapolated)")
    ax.set_xlabel("submissions")
    ax.set_ylabel("seconds")
    ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="25,50,100,200")
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--nbgrader", type=int, default=3, help="notebooks graded by nbgrader autograde")
    parser.add_argument("--out", type=Path, default=REPO / "bench")
    args = parser.parse_args(argv)
    env_note = {"cores": os.cpu_count(), "python": sys.version.split()[0]}
    with tempfile.TemporaryDirectory(prefix="gradlab-bench-") as tmp:
        work = Path(tmp)
        kit = []
        for jobs in (int(j) for j in args.jobs.split(",")):
            for n in (int(s) for s in args.sizes.split(",")):
                row = bench_kit(work, n, jobs)
                kit.append(row)
                print(f"make grade  N={n:<4} jobs={jobs}: {row['seconds']:7.1f} s  "
                      f"{row['per_submission']:.3f} s/submission  peak {row['peak_mb']} MB", flush=True)
        nb = bench_nbgrader(work, args.nbgrader)
        print(f"nbgrader autograde N={nb['n']}: {nb['seconds']:.1f} s  {nb['per_submission']:.1f} s/submission  "
              f"peak {nb['peak_mb']} MB", flush=True)
    best = min(r["per_submission"] for r in kit if r["n"] == max(r2["n"] for r2 in kit))
    results = {"machine": env_note, "kit": kit, "nbgrader": nb,
               "speedup_per_submission": round(nb["per_submission"] / best, 1)}
    args.out.mkdir(exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(results, args.out / "time_vs_n.png")
    print(f"make grade is {results['speedup_per_submission']}x faster per submission than nbgrader autograde "
          f"(largest N, best jobs). Figures: {args.out / 'results.json'}, plot: {args.out / 'time_vs_n.png'}")


if __name__ == "__main__":
    main()
