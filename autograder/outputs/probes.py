"""Data for the feedback page's plots, collected after the checks.

Runs in a grading process, after every check of a submission, on the same
kind of worker. Nothing here affects a score: each probe calls one stub on a
fixed, lab-like input and stores the student's numbers next to the grader's
own (docs/design.md, principle 1: expected values are computed here, never taken
from the submission). grade.py swallows any failure of a probe.

Artifacts are plain JSON (lists of floats or None), because they are stored
in OUT/state/<id>.json and drawn later by plots.py.
"""
import math

import numpy as np

from autograder.references import memo, tensorflow
from autograder.sandbox.workers import StubMissing, StudentError, WorkerProblem
from autograder.parts import BY_ID

# Part 2: a deep sigmoid network like the lab's vanishing-gradient demo.
BACKPROP_DIMS = (20, 16, 12, 8, 4, 1)
BACKPROP_ACTIVATION = "sigmoid"
BACKPROP_EXAMPLES = 32
BACKPROP_SEED = 43

# Part 6: one batch-normalised layer with 3 features of different scales.
BN_DIMS = (4, 3, 1)
BN_EXAMPLES = 64
BN_MOMENTUM = 0.9
BN_EPSILON = 1e-5
BN_SEED = 46
BN_GAMMA = ((1.5,), (0.5,), (2.0,))
BN_BETA = ((0.2,), (-1.0,), (0.5,))


def collect(student, stubs, parts):
    """{artifact key: data} for the parts whose stub the submission defines."""
    artifacts = {}
    for part, stub, probe in PROBES:
        if stubs.get(stub) and (not parts or part in parts):
            try:
                artifacts.update(probe(student))
            except (StudentError, StubMissing, WorkerProblem):
                continue  # that stub raised or hung: its part has no plot, the other part keeps its own
    return artifacts


# -- Part 2: per-layer gradient norms ------------------------------------------------

def backprop_inputs():
    """parameters, X (20, 32), Y (1, 32): Xavier-scaled weights, small random biases."""
    rng = np.random.default_rng(BACKPROP_SEED)
    parameters = {}
    for l in range(1, len(BACKPROP_DIMS)):
        n_prev, n = BACKPROP_DIMS[l - 1], BACKPROP_DIMS[l]
        parameters[f"W{l}"] = rng.standard_normal((n, n_prev)) * np.sqrt(1.0 / n_prev)
        parameters[f"b{l}"] = rng.standard_normal((n, 1)) * 0.1
    X = rng.standard_normal((BACKPROP_DIMS[0], BACKPROP_EXAMPLES))
    Y = (rng.random((1, BACKPROP_EXAMPLES)) < 0.5).astype(np.float64)
    return parameters, X, Y


@memo
def reference_dw_norms(parameters, X, Y):
    """Frobenius norms of dW1..dWL for the lab's cost, mirroring reference.py line for line."""
    L = len(parameters) // 2
    m = X.shape[1]
    cache = {"A0": X}
    A = X
    for l in range(1, L + 1):
        Z = parameters[f"W{l}"] @ A + parameters[f"b{l}"]
        A = _sigmoid(Z)  # sigmoid everywhere: hidden activation and output layer
        cache[f"Z{l}"], cache[f"A{l}"] = Z, A
    AL = cache[f"A{L}"]
    dA = -(Y / (AL + 1e-8) - (1 - Y) / (1 - AL + 1e-8))
    norms = [0.0] * L
    for l in reversed(range(1, L + 1)):
        S = cache[f"A{l}"]
        dZ = dA * S * (1 - S)
        dW = dZ @ cache[f"A{l - 1}"].T / m
        dA = parameters[f"W{l}"].T @ dZ
        norms[l - 1] = float(np.linalg.norm(dW))
    return norms


def backprop_probe(student):
    parameters, X, Y = backprop_inputs()
    expected = reference_dw_norms(parameters, X, Y)
    result = student.backprop(BACKPROP_DIMS, BACKPROP_ACTIVATION, parameters, X, Y)
    gradients = result.get("gradients") if type(result) is dict else None
    if type(gradients) is not dict:
        return {}
    got = [_norm(gradients.get(f"dW{l}"), parameters[f"W{l}"].shape) for l in range(1, len(expected) + 1)]
    if all(value is None for value in got):
        return {}
    return {"probe.part2": {"layers": list(range(1, len(expected) + 1)), "student": got,
                            "expected": list(expected)}}


def _norm(array, shape):
    """The Frobenius norm of a float array of the right shape, else None (not plotted)."""
    if type(array) is not np.ndarray or array.shape != shape or array.dtype.kind != "f":
        return None
    value = float(np.linalg.norm(array.astype(np.float64)))
    return value if math.isfinite(value) else None


def _sigmoid(Z):
    return 1 / (1 + np.exp(-np.clip(Z, -500, 500)))


# -- Part 6: normalised activations against Keras ---------------------------------------

def batchnorm_inputs():
    """parameters of a (4, 3, 1) network and Z (3, 64) with per-feature means and scales."""
    rng = np.random.default_rng(BN_SEED)
    n = BN_DIMS[1]
    parameters = {
        "W1": rng.standard_normal((n, BN_DIMS[0])), "b1": np.zeros((n, 1)),
        "W2": rng.standard_normal((1, n)), "b2": np.zeros((1, 1)),
        "gamma1": np.array(BN_GAMMA), "beta1": np.array(BN_BETA),
    }
    means = np.array([[3.0], [-2.0], [0.5]])
    scales = np.array([[2.0], [0.5], [5.0]])
    Z = means + scales * rng.standard_normal((n, BN_EXAMPLES))
    return parameters, Z


@memo
def keras_batchnorm(Z, gamma, beta):
    """keras.layers.BatchNormalization in training mode on Z.T, in float64; shape of Z."""
    tf = tensorflow()
    layer = tf.keras.layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON, dtype="float64")
    layer.build((None, Z.shape[0]))
    layer.gamma.assign(gamma.ravel())
    layer.beta.assign(beta.ravel())
    return np.asarray(layer(Z.T, training=True)).T.astype(np.float64)


def batchnorm_probe(student):
    parameters, Z = batchnorm_inputs()
    n = BN_DIMS[1]
    expected = keras_batchnorm(Z, parameters["gamma1"], parameters["beta1"])
    result = student.batchnorm(BN_DIMS, "relu", True, BN_MOMENTUM, BN_EPSILON, parameters,
                               {1: np.zeros((n, 1))}, {1: np.ones((n, 1))}, Z, 1, "train")
    out = result.get("out") if type(result) is dict else None
    if type(out) is not np.ndarray or out.shape != Z.shape or out.dtype.kind != "f":
        return {}
    got = [[float(v) if math.isfinite(v) else None for v in row] for row in out.astype(np.float64)]
    return {"probe.part6": {"features": list(range(1, n + 1)), "student": got,
                            "expected": expected.tolist()}}


# (part, the stub it calls, the probe), in the order they run.
PROBES = tuple((pid, BY_ID[pid].stub, probe) for pid, probe in (("part2", backprop_probe),
                                                               ("part6", batchnorm_probe)))
