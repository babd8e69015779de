"""Step 3: is a surviving mutant equivalent to the reference? Decided by evidence.

The mutant and the reference each run in a sandboxed worker, observed the way the
mutant's part declares (its checks module's EQUIVALENCE: the same generic calls the
checks use, so side effects come back too: gradient_norms, parameters, the input dict
after clipping, the cache and running statistics, the calls made on the network). Both
get the same seeded inputs, the part's edge cases first (one example, zero gradients, a
constant feature, square weight matrices, the last layer, test mode, ...), then random
ones. Everything returned is compared with the part's tolerances; an exception must be
of the same type. A mutant that agrees on every input is *likely equivalent*; otherwise
the first input on which it differs, the smallest of the edge cases where possible, is
the reproducing input. Nothing here knows a part.
"""
import numpy as np

from autograder.checks.common import ATOL, RTOL
from autograder.sandbox.student import Student
from autograder.sandbox.workers import StudentError, WorkerProblem

RANDOM_INPUTS = 40  # per part, after the edge cases


def inputs(part, seed, count=RANDOM_INPUTS):
    """The seeded inputs of `part` (a checks.LoadedPart), edge cases first: [(description, case)]."""
    rng = np.random.default_rng([seed, part.row.lab_part])
    return list(part.equivalence.cases(rng, count))


# -- running and comparing ---------------------------------------------------------------------

def outcome(worker, timeout, observe, case):
    """What one observation gave: ("ok", value), ("raised", exception type) or ("problem", kind)."""
    try:
        return "ok", observe(Student(worker, timeout), case)
    except StudentError as error:
        return "raised", error.type
    except WorkerProblem as problem:
        return "problem", problem.kind


def same(a, b, tolerance=(RTOL, ATOL, 0.0)):
    """Equal as plain data, numbers and arrays to the tolerance (float64 and int are told apart)."""
    rtol, atol, scale = tolerance
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if type(a) is not np.ndarray or type(b) is not np.ndarray or a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.kind not in "biufc":
            return bool(np.array_equal(a, b))
        finite = b[np.isfinite(b)] if b.dtype.kind in "fc" else b
        floor = max(atol, scale * float(np.max(np.abs(finite)))) if finite.size else atol
        return bool(np.allclose(a, b, rtol=rtol, atol=floor, equal_nan=True))
    number = (int, float, np.integer, np.floating)
    if isinstance(a, number) and isinstance(b, number) and not isinstance(a, bool) and not isinstance(b, bool):
        if isinstance(a, (np.floating, float)) != isinstance(b, (np.floating, float)):
            return False
        return float(a) == float(b) or bool(np.isclose(float(a), float(b), rtol=rtol, atol=atol, equal_nan=True))
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return set(a) == set(b) and all(same(a[k], b[k], tolerance) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y, tolerance) for x, y in zip(a, b))
    return a == b


def compare(part, mutant_worker, reference_outcomes, cases, timeout):
    """{"equivalent", "tried", "input", "call", "expected", "got"} for a loaded mutant worker."""
    observe, tolerance = part.equivalence.observe, part.equivalence.tolerance
    for (description, case), expected in zip(cases, reference_outcomes):
        got = outcome(mutant_worker, timeout, observe, case)
        if got[0] != expected[0] or not same(got[1], expected[1], tolerance):
            return {"equivalent": False, "tried": len(cases), "input": description,
                    "call": f"{observe.__name__}({summary(('ok', case), limit=1500)})",
                    "expected": summary(expected), "got": summary(got)}
        if mutant_worker.dead:
            break
    return {"equivalent": True, "tried": len(cases), "input": "", "call": "", "expected": "", "got": ""}


def summary(result, limit=600):
    """A short text of an outcome for the report."""
    kind, value = result
    if kind != "ok":
        return f"{kind}: {value}"
    with np.printoptions(precision=5, threshold=20, linewidth=200):
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + " ..."
