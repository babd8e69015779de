"""Step 2: grade every mutant with the real grader, in parallel, and classify it.

The batch grader's own machinery does the work: spawned grading processes
(pipeline/pool.py), each with its own Grader that loads TensorFlow and the
references once, grade each mutant in sandboxed workers (Grader.grade). The lean
part is what is left out: no feedback pages, results files or plots, since only
which checks failed matters here. A mutant that loses no point in its own part is
then compared with the reference in the same process (equivalence.py), while its
Grader's fork server is warm.

Classes, in this order of precedence:
  crashed   - a check of its own part stopped on a timeout or a crash of the worker
  leaked    - it lost points in another part (a part-independence defect)
  killed    - it lost points in its own part
  equivalent - it lost no point and agreed with the reference on every input tried
  survived  - it lost no point, yet differs from the reference on some input
"""
import hashlib
import os

from autograder.outcomes import Status
from autograder.pipeline.extract import extract
from autograder.pipeline.grader import Origin
from autograder.pipeline.pool import Pool
from autograder.tools.mutants import equivalence


def statements(source):
    found, problems = extract([{"index": 0, "source": source}])
    if problems:
        raise ValueError(f"the source does not parse: {problems}")
    return found


def grade_mutant(grader, task):
    """(mutant id, record) for one mutant, in a grading process (a Pool's task)."""
    mutant_id, part, source, reference_source, seed, count = task
    mutant = statements(source)
    record = classify(part, grader.grade(mutant).outcomes)
    if record["status"] == "survived":
        try:
            evidence = decide(grader, part, mutant, statements(reference_source), seed, count)
        except Exception as error:  # undecided is reported as a survivor, never as equivalent
            evidence = {"equivalent": False, "tried": 0, "input": f"(equivalence not decided: {error})", "call": "",
                        "expected": "", "got": ""}
        record["status"] = "equivalent" if evidence["equivalent"] else "survived"
        record["evidence"] = evidence
    return mutant_id, record


def classify(part, outcomes):
    """{"status", "killed_by", "leaked_to", "crashed"} from a mutant's check outcomes (by their status)."""
    own = [o for o in outcomes if o.part == part and not o.passed]
    other = [f"{o.part}.{o.name}" for o in outcomes if o.part != part and not o.passed]
    stopped = [o.name for o in own if o.status in (Status.TIMED_OUT, Status.CRASHED)]
    status = "crashed" if stopped else "leaked" if other else "killed" if own else "survived"
    return {"status": status, "killed_by": [o.name for o in own if o.status not in (Status.SKIPPED, Status.NOT_RUN)],
            "leaked_to": other, "crashed": stopped}


def decide(grader, part, mutant_statements, reference_statements, seed, count):
    """The equivalence evidence for one surviving mutant of `part` (equivalence.compare's record).

    The reference's outcomes on the part's cases are computed once per grading process."""
    loaded = next(p for p in grader.parts if p.id == part)
    if loaded.equivalence is None:
        return {"equivalent": False, "tried": 0, "input": f"({part} declares no equivalence cases)", "call": "",
                "expected": "", "got": ""}
    cases = equivalence.inputs(loaded, seed, count)
    timeout = grader.settings.limits.call_timeout
    digest = hashlib.sha256(repr([s["source"] for s in reference_statements]).encode()).hexdigest()
    expected = grader.memo.built(("mutants: the reference's outcomes", part, seed, count, digest), _run_all,
                                 grader, loaded, reference_statements, cases)
    worker = _loaded(grader, mutant_statements)
    try:
        return equivalence.compare(loaded, worker, expected, cases, timeout)
    finally:
        worker.remove()


def _loaded(grader, source_statements):
    worker = grader.supply.take()
    worker.call("load", grader.settings.limits.load_timeout, kit=grader.kit, student=source_statements)
    return worker


def _run_all(grader, part, source_statements, cases):
    worker = _loaded(grader, source_statements)
    try:
        return [equivalence.outcome(worker, grader.settings.limits.call_timeout, part.equivalence.observe, case)
                for _, case in cases]
    finally:
        worker.remove()


def grade_all(mutants, reference_source, grader, jobs, on_result):
    """Grade `mutants` in `jobs` grading processes built like `grader` (without plots);
    on_result(mutant id, record) as each finishes."""
    settings = grader.settings
    tasks = [(m.id, m.part, m.source, reference_source, settings.seed, settings.mutants.equivalence_inputs)
             for m in mutants]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    # No feedback pages for mutants; the published inputs, as the mutation tool always grades with.
    origin = Origin(grader.origin.path, grader.origin.seed, plots=False)
    pool = Pool(origin, jobs, grade_mutant)
    try:
        for task in tasks:
            pool.submit(task)
        for _, (mutant_id, record) in pool.finished():
            on_result(mutant_id, record)
    finally:
        pool.close()
