"""`python -m autograder mutants --out DIR`: generate -> grade -> equivalence -> report -> gate.

Writes DIR/results.json and DIR/report.html (the same for the same seed,
reference and grader) and DIR/timings.json (seconds, kept apart so the
results stay identical run to run). Returns the gate's verdict: the parts
below grading.toml's [mutants.min_kill_rate], with their survivors.
"""
import json
import sys
import time
from pathlib import Path

import numpy as np

from autograder import __version__
from autograder.outputs.report import write_atomic
from autograder.parts import PARTS
from autograder.pipeline import release
from autograder.pipeline.load import Submission
from autograder.pipeline.prepare import prepare
from autograder.tools.mutants import generate, grading as grading_step, report


def reference_source(grader, reference=None):
    """The source text to mutate: the file `reference` (a .py or a notebook), or the source
    notebook's definitions, prepared as any submission is (load, restore, extract)."""
    path = Path(reference) if reference else release.solution_path(grader.settings)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: the kit's solution is needed to mutate it (or pass --reference)")
    prepared = prepare(Submission("reference", path), grader)
    if prepared.problems:
        raise ValueError(f"{path}: {' '.join(prepared.problems)}")
    return "\n\n".join(statement["source"] for statement in prepared.statements)


def sample(mutants, per_part, seed):
    """At most `per_part` mutants of each part, drawn with the seed, in their generated order."""
    if not per_part:
        return mutants
    chosen = []
    for row in PARTS:
        own = [m for m in mutants if m.part == row.id]
        if len(own) > per_part:
            rng = np.random.default_rng([seed, row.lab_part])
            keep = set(rng.choice(len(own), per_part, replace=False).tolist())
            own = [m for i, m in enumerate(own) if i in keep]
        chosen.extend(own)
    return chosen


def run(out, grader, jobs=None, reference=None, parts=None, per_part=None, stream=sys.stderr):
    """Everything `make mutants` does with `grader` (its settings and parts; the grading processes
    load the same one); returns (results dict, failures of the gate, seconds)."""
    out = Path(out)
    started = time.monotonic()
    grading = grader.settings
    source = reference_source(grader, reference)
    mutants = sample(generate.generate(source, parts), per_part, grading.seed)
    if not mutants:
        raise ValueError("no mutants to grade (check --parts)")
    records = {}
    with _progress(stream, len(mutants)) as advance:
        def done(mutant_id, record):
            records[mutant_id] = record
            advance(mutant_id, record["status"])

        grading_step.grade_all(mutants, source, grader, jobs, done)
    survivors = {part.id: part.survivors for part in grader.parts}
    results = report.results(mutants, records, grading, generate.fingerprint(mutants), __version__, survivors)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "results.json", json.dumps(results, indent=1))
    write_atomic(out / "report.html", report.html(results))
    seconds = round(time.monotonic() - started, 1)
    write_atomic(out / "timings.json", json.dumps({"seconds": seconds, "mutants": len(mutants),
                                                   "jobs": jobs}, indent=1))
    return results, gate(results), seconds


def gate(results):
    """[(part, kill rate, minimum, survivor ids)] for every part below its minimum or with a leak."""
    failures = []
    for part, counts in results["parts"].items():
        minimum = counts["min_kill_rate"]
        below = minimum is not None and counts["kill_rate"] < minimum
        if below or counts["leaked"]:
            names = [m["id"] for m in results["mutants"] if m["part"] == part and m["status"] in ("survived", "leaked")]
            failures.append((part, counts["kill_rate"], minimum, names))
    return failures


class _progress:
    """A rich progress bar on a terminal, a line per tenth otherwise."""

    def __init__(self, stream, total):
        self.stream, self.total, self.done = stream, total, 0
        self.counts = {}
        self.bar = None

    def __enter__(self):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        console = Console(file=self.stream)
        if console.is_terminal:
            self.bar = Progress(TextColumn("mutants"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                                TextColumn("{task.fields[counts]}"), console=console)
            self.bar.start()
            self.task = self.bar.add_task("grading", total=self.total, counts="")
        return self.advance

    def advance(self, mutant_id, status):
        self.done += 1
        self.counts[status] = self.counts.get(status, 0) + 1
        counts = " ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
        if self.bar is not None:
            self.bar.update(self.task, advance=1, counts=counts)
        elif self.done == self.total or self.done % max(1, self.total // 10) == 0:
            print(f"mutants graded {self.done}/{self.total}: {counts}", file=self.stream, flush=True)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False
