"""Step 2: grade every mutant with the real grader, in parallel, and classify it.

The batch grader's own machinery does the work: spawned grading processes that
load TensorFlow and the references once (run.start_grading_process) and grade
each mutant in sandboxed workers (run.grade_one -> grade.grade). The lean
part is what is left out: no feedback pages, results files or plots, since
only which checks failed matters here. A mutant that loses no point in its
own part is then compared with the reference in the same process
(equivalence.py), while its workers' fork server is warm.

Classes, in this order of precedence:
  crashed   - a check of its own part stopped on a timeout or a crash of the worker
  leaked    - it lost points in another part (a part-independence defect)
  killed    - it lost points in its own part
  equivalent - it lost no point and agreed with the reference on every input tried
  survived  - it lost no point, yet differs from the reference on some input
"""
import multiprocessing
import os

from autograder.pipeline import batch as run
from autograder.pipeline.extract import extract
from autograder.tools.mutants import equivalence

_STATE = {}


def _start(grading_path, seed, hide, reference_source, equivalence_seed, equivalence_inputs):
    run.start_grading_process(grading_path, seed, hide, plots=False)  # mutants get no feedback pages
    _STATE.update(reference=statements(reference_source), seed=equivalence_seed,
                  count=equivalence_inputs, outcomes={})


def statements(source):
    found, problems = extract([{"index": 0, "source": source}])
    if problems:
        raise ValueError(f"the source does not parse: {problems}")
    return found


def _grade(task):
    """(mutant id, record) for one mutant, in a grading process."""
    mutant_id, part, source = task
    prepared = run.Prepared(mutant_id, mutant_id, statements(source), [], [], "")
    _, graded = run.grade_one(prepared)
    record = classify(part, graded["outcomes"])
    if record["status"] == "survived":
        process = run.PROCESS
        try:
            evidence = decide(part, prepared.statements, _STATE["reference"], process["grading"], process["kit"],
                              process["supply"], _STATE["seed"], _STATE["count"], _STATE["outcomes"])
        except Exception as error:  # undecided is reported as a survivor, never as equivalent
            evidence = {"equivalent": False, "tried": 0, "input": f"(equivalence not decided: {error})", "call": "",
                        "expected": "", "got": ""}
        record["status"] = "equivalent" if evidence["equivalent"] else "survived"
        record["evidence"] = evidence
    return mutant_id, record


def classify(part, outcomes):
    """{"status", "killed_by", "leaked_to", "crashed"} from a mutant's check outcomes."""
    own = [o for o in outcomes if o["part"] == part and not o["passed"]]
    other = [f"{o['part']}.{o['name']}" for o in outcomes if o["part"] != part and not o["passed"]]
    stopped = [o["name"] for o in own if o["mistake"] in ("timeout", "crash")]
    status = "crashed" if stopped else "leaked" if other else "killed" if own else "survived"
    return {"status": status, "killed_by": [o["name"] for o in own if o["mistake"] != "skipped"],
            "leaked_to": other, "crashed": stopped}


def decide(part, mutant_statements, reference_statements, grading, kit, supply, seed, count, cache):
    """The equivalence evidence for one surviving mutant (equivalence.compare's record).

    cache: {part: the reference's outcomes}, filled on first use (once per grading process)."""
    cases = equivalence.inputs(part, seed, count)
    timeout = grading.limits.call_timeout
    if part not in cache:
        cache[part] = _run_all(reference_statements, cases, grading, kit, supply)
    worker = _loaded(mutant_statements, grading, kit, supply)
    try:
        return equivalence.compare(part, worker, cache[part], cases, timeout)
    finally:
        worker.remove()


def _loaded(source_statements, grading, kit, supply):
    worker = supply.take()
    worker.call("load", grading.limits.load_timeout, kit=kit, student=source_statements)
    return worker


def _run_all(source_statements, cases, grading, kit, supply):
    worker = _loaded(source_statements, grading, kit, supply)
    try:
        return [equivalence.outcome(worker, grading.limits.call_timeout, method, arguments)
                for _, method, arguments in cases]
    finally:
        worker.remove()


def grade_all(mutants, reference_source, grading, grading_path, jobs, seed, hide, on_result):
    """Grade `mutants` in `jobs` grading processes; on_result(mutant id, record) as each finishes."""
    tasks = [(m.id, m.part, m.source) for m in mutants]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    context = multiprocessing.get_context("spawn")
    initargs = (str(grading_path), seed, hide, reference_source, grading.seed,
                grading.mutants.equivalence_inputs)
    with context.Pool(jobs, initializer=_start, initargs=initargs) as pool:
        for mutant_id, record in pool.imap_unordered(_grade, tasks):
            on_result(mutant_id, record)
