"""Step 3: is a surviving mutant equivalent to the reference? Decided by evidence.

The mutant and the reference each run in a sandboxed worker (the same
operations the checks use, so side effects come back too: gradient_norms,
parameters, the input dict after clipping, the cache and running statistics,
the calls made on the network). Both get the same seeded inputs, edge cases
first (one example, zero gradients, a constant feature, square weight
matrices, the last layer, test mode), then random ones. Everything returned
is compared with the grader's tolerances (checks/common.py RTOL, ATOL); an
exception must be of the same type. A mutant that agrees on every input is
*likely equivalent*; otherwise the first input on which it differs, the
smallest of the edge cases where possible, is the reproducing input.
"""
import numpy as np

from autograder.checks.common import ATOL, RTOL
from autograder.checks.part2_backprop import GRAD_ATOL_MIN, GRAD_ATOL_SCALE, GRAD_RTOL
from autograder.checks.part5_clipping import CLIP_RTOL
from autograder.checks.part6_batchnorm import make_case
from autograder.checks.part9_diagnosis import KINDS, make_network
from autograder.sandbox.student import Student
from autograder.sandbox.workers import StudentError, WorkerProblem

RANDOM_INPUTS = 40  # per part, after the edge cases

# The grader's tolerances per part: (rtol, atol, atol as a share of the largest entry of the array).
# Part 2 allows `dZ = AL - Y` (no 1e-8 guard), so its floor follows the gradients' scale.
TOLERANCES = {"part2": (GRAD_RTOL, GRAD_ATOL_MIN, GRAD_ATOL_SCALE), "part5": (CLIP_RTOL, ATOL, 0.0),
              "part6": (RTOL, ATOL, 0.0), "part9": (RTOL, ATOL, 0.0)}


# -- inputs, per part: (description, Student method, keyword arguments) ------------------------

def part2_inputs(rng, count):
    cases = [((3, 2, 1), "sigmoid", 1, "one example"), ((3, 3, 3, 1), "relu", 4, "square weight matrices"),
             ((2, 4, 1), "tanh", 5, "constant feature"), ((3, 4, 1), "relu", 3, "zero gradients"),
             ((2, 3, 3, 2), "tanh", 4, "two outputs")]
    activations = ("sigmoid", "tanh", "relu")
    for _ in range(count):
        L = int(rng.integers(1, 5))
        dims = tuple(int(n) for n in rng.integers(1, 6, size=L)) + (int(rng.integers(1, 3)),)
        cases.append((dims, activations[int(rng.integers(3))], int(rng.integers(1, 7)), "random"))
    for dims, activation, m, label in cases:
        parameters = {}
        for l in range(1, len(dims)):
            scale = 0.0 if label == "zero gradients" else 1 / np.sqrt(dims[l - 1])
            parameters[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * scale
            parameters[f"b{l}"] = rng.normal(0, 0.3, (dims[l], 1)) * (scale > 0)
        X = rng.standard_normal((dims[0], m))
        if label == "constant feature":
            X[0] = 1.5
        Y = (rng.random((dims[-1], m)) < 0.5).astype(np.float64)
        yield (f"{label}: layer_dims={list(dims)}, activation={activation!r}, X {X.shape}",
               "backprop", dict(layer_dims=list(dims), activation=activation, parameters=parameters, X=X, Y=Y))


def part5_inputs(rng, count):
    def gradients(dims, norm):
        g = {}
        for l in range(1, len(dims)):
            g[f"dW{l}"] = rng.standard_normal((dims[l], dims[l - 1]))
            g[f"db{l}"] = rng.standard_normal((dims[l], 1))
        total = np.sqrt(sum(np.sum(a ** 2) for a in g.values()))
        return {k: a * (norm / total) for k, a in g.items()}

    cases = [("zero gradients", {"dW1": np.zeros((2, 2)), "db1": np.zeros((2, 1))}, 1.0, "norm"),
             ("zero gradients", {"dW1": np.zeros((2, 2)), "db1": np.zeros((2, 1))}, 1.0, "value"),
             ("one array", {"dW1": np.array([[3.0, -4.0]])}, 1.0, "norm"),
             ("square arrays", gradients((3, 3, 3), 10.0), 5.0, "norm"),
             ("norm below max_norm", gradients((2, 3), 2.0), 5.0, "norm"),
             ("square arrays", gradients((3, 3, 3), 10.0), 0.5, "value"),
             ("unknown clip_type", gradients((2, 2), 3.0), 1.0, "l2"),
             ("unknown clip_type", gradients((2, 2), 3.0), 1.0, "NORM"),
             ("the defaults", gradients((3, 2, 1), 7.5), None, None),
             ("the defaults", gradients((3, 2, 1), 4.0), None, None),
             ("norm just above max_norm", gradients((2, 2), 1.001), 1.0, "norm")]
    for _ in range(count):
        dims = tuple(int(n) for n in rng.integers(1, 5, size=int(rng.integers(2, 4))))
        max_norm = float(rng.choice([0.5, 1.0, 5.0, float(np.round(rng.uniform(0.1, 10), 3))]))
        norm = max_norm * float(rng.choice([0.3, 0.9, 1.5, 20.0]))
        cases.append(("random", gradients(dims, norm), max_norm, str(rng.choice(["norm", "value"]))))
    for label, g, max_norm, clip_type in cases:
        shapes = ", ".join(f"{k} {a.shape}" for k, a in g.items())
        yield (f"{label}: gradients {{{shapes}}}, max_norm={max_norm}, clip_type={clip_type!r}", "clip",
               dict(gradients=g, max_norm=max_norm, clip_type=clip_type))


def part6_inputs(rng, count):
    cases = [((3, 2, 1), 1, 1, "train", "one example"), ((3, 4, 4, 1), 2, 5, "train", "square weights"),
             ((3, 3, 1), 1, 6, "train", "constant feature"), ((3, 3, 1), 2, 4, "train", "the last layer"),
             ((3, 3, 1), 1, 4, "test", "test mode"), ((3, 3, 1), 1, 4, "train", "batch norm off"),
             ((2, 3, 3, 1), 2, 4, "train", "cache of another layer")]
    for _ in range(count):
        dims = tuple(int(n) for n in rng.integers(1, 5, size=int(rng.integers(2, 5)))) + (1,)
        layer = int(rng.integers(1, len(dims)))
        cases.append((dims, layer, int(rng.integers(1, 7)), str(rng.choice(["train", "test"])), "random"))
    for dims, layer, m, mode, label in cases:
        momentum = float(rng.choice([0.9, 0.5, 0.99]))
        epsilon = float(rng.choice([1e-5, 1e-3, 0.1]))
        case = make_case(rng, dims, layer, m, momentum, epsilon, use_batch_norm=label != "batch norm off")
        Z = case.Z.copy()
        if label == "constant feature":
            Z[1] = 0.7
        cache = {}
        if label == "cache of another layer":
            cache = {"Z_norm1": np.ones((dims[1], m)), "mu1": np.zeros((dims[1], 1)), "A0": np.ones((dims[0], m))}
        yield (f"{label}: layer_dims={list(dims)}, layer_num={layer}, mode={mode!r}, Z {Z.shape}, "
               f"momentum={momentum}, epsilon={epsilon}", "batchnorm",
               dict(layer_dims=list(dims), activation="relu", use_batch_norm=case.use_batch_norm,
                    momentum=momentum, epsilon=epsilon, parameters=case.parameters,
                    running_mean=case.running_mean, running_var=case.running_var, Z=Z, layer_num=layer,
                    mode=mode, cache=cache))


def part9_inputs(rng, count):
    cases = [((3, 1), ["healthy"], None, "one layer"), ((3, 3, 3, 1), ["zero"] * 3, None, "zero gradients"),
             ((3, 3, 3, 1), ["zero", "healthy", "healthy"], None, "first layer zero"),
             ((2, 3, 3, 1), ["healthy", "vanishing", "zero"], None, "last layer zero"),
             ((4, 4, 4, 1), ["exploding", "healthy", "vanishing"], (0.001, 10.0), "square weights, thresholds")]
    boundaries = [((3, 2, 2, 2, 1), ["vanishing", "healthy", "healthy", "exploding"], thresholds, (1.0, 0.0, 1.0, 0.0),
                   "norms 0.1% from each threshold") for thresholds in (None, (0.05, 20.0))]
    for _ in range(count):
        L = int(rng.integers(1, 7))
        dims = [int(n) for n in rng.integers(1, 5, size=L)] + [1]
        kinds = [KINDS[k] for k in rng.integers(0, 3, size=L)]
        drawn = (float(rng.choice([0.001, 0.05])), float(rng.choice([10.0, 500.0])))
        thresholds = None if rng.random() < 0.5 else drawn
        cases.append((tuple(dims), kinds, thresholds, "random"))
    cases = [(dims, kinds, thresholds, rng.random(len(kinds)), label) for dims, kinds, thresholds, label in cases]
    for dims, kinds, thresholds, positions, label in boundaries[:1] + cases[:5] + boundaries[1:] + cases[5:]:
        net = make_network(rng, list(dims), kinds, positions, thresholds)
        yield (f"{label}: layer_dims={list(dims)}, dW classes {kinds}, thresholds={thresholds or 'default'}",
               "diagnose", dict(layer_dims=list(dims), activation="relu", parameters=net.parameters,
                                fresh=net.fresh, stale=net.stale, X=net.X, Y=net.Y, AL=net.AL,
                                thresholds=thresholds))


INPUTS = {"part2": part2_inputs, "part5": part5_inputs, "part6": part6_inputs, "part9": part9_inputs}


def inputs(part, seed, count=RANDOM_INPUTS):
    """The seeded inputs of `part`, edge cases first."""
    rng = np.random.default_rng([seed, int(part[4:])])
    return list(INPUTS[part](rng, count))


# -- running and comparing ---------------------------------------------------------------------

def outcome(worker, timeout, method, arguments):
    """What one call gave: ("ok", value), ("raised", exception type) or ("problem", kind)."""
    try:
        return "ok", getattr(Student(worker, timeout), method)(**arguments)
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
    """{"equivalent", "tried", "input", "expected", "got"} for a loaded mutant worker."""
    for (description, method, arguments), expected in zip(cases, reference_outcomes):
        got = outcome(mutant_worker, timeout, method, arguments)
        if got[0] != expected[0] or not same(got[1], expected[1], TOLERANCES[part]):
            return {"equivalent": False, "tried": len(cases), "input": description,
                    "call": f"{method}(**{summary(('ok', arguments), limit=1500)})",
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
