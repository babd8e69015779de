"""Part 2: DeepNeuralNetwork.backward_propagation.

Every check runs the kit's network (kit forward pass, the student's backward
pass) on weights and data the grader draws, and compares with references
computed here: central finite differences of compute_cost and TensorFlow's
GradientTape (references/part2_backprop.py). Inputs keep away from ReLU's kink
(|Z| > 1e-3) and from sigmoid/tanh saturation (|Z| < 4, output in (0.05, 0.95)),
where finite differences and equivalent formulas legitimately disagree.

Feedback order: returned dict -> keys -> per array type, shape, dtype, finite
-> values, layer by layer from the output backwards (the first wrong layer
from the output is where an error starts; every layer below inherits it).

Every mistake a check names is an entry of the references module's MISTAKES
table (its hint is what follows "Likely mistake:"); a wrong gradient is named by
replaying the table's mistakes on the same input, through the grader's memo.
"""
import math
from dataclasses import dataclass, replace

import numpy as np
from hypothesis import strategies as st

from autograder import mistakes as M
from autograder.outcomes import Chart, chart_number
from autograder.references import part2_backprop as ref
from autograder.references.numeric import activate
from autograder.sandbox.workers import StudentError
from autograder.checks import CheckFailed, Equivalence, check
from autograder.checks.common import (FD_RTOL, expect_array_form, expect_number, fixed_case, kind, quiet_overflow,
                                      run_property, within, worst_entry)

GRAD_RTOL = FD_RTOL  # 1e-5: relative error allowed between a gradient and its reference
# Absolute floor, relative to the largest true gradient of the network. Hidden biases'
# true gradient can be ~0, and `dZ = AL - Y` differs from the exact derivative of the
# 1e-8-guarded cost by ~1e-8 / AL relative per example (< 2e-7 for AL > 0.05), which a
# near-cancelling sum over examples can turn into a large relative error of a tiny entry.
GRAD_ATOL_SCALE = 1e-6
GRAD_ATOL_MIN = 1e-9
KINK_MARGIN = 1e-3   # |Z| > this everywhere: 1000 finite-difference steps from ReLU's kink
SATURATION = 4.0     # |Z| < this in sigmoid/tanh hidden layers
OUTPUT_RANGE = (0.05, 0.95)


@dataclass(frozen=True)
class Net:
    """One network and batch to run backward_propagation on."""

    layer_dims: tuple
    activation: str
    parameters: dict
    X: np.ndarray
    Y: np.ndarray

    @property
    def L(self):
        return len(self.layer_dims) - 1

    @property
    def m(self):
        return self.X.shape[1]

    def describe(self):
        return (f"layer_dims={list(self.layer_dims)}, activation='{self.activation}', "
                f"a batch of {self.m} example{'s' if self.m != 1 else ''} (X has shape {self.X.shape})")



# -- inputs ----------------------------------------------------------------------

def draw_network(rng, layer_dims, activation, m):
    """Weights, biases, X and Y for `layer_dims`, redrawn until well conditioned."""
    layer_dims = tuple(int(n) for n in layer_dims)
    L = len(layer_dims) - 1
    gain = np.sqrt(2.0) if activation == "relu" else 1.0
    for _ in range(1000):
        parameters = {}
        for l in range(1, L + 1):
            shape = (layer_dims[l], layer_dims[l - 1])
            parameters[f"W{l}"] = rng.standard_normal(shape) * gain / np.sqrt(layer_dims[l - 1])
            parameters[f"b{l}"] = rng.normal(0.0, 0.3, (layer_dims[l], 1))
        X = rng.standard_normal((layer_dims[0], m))
        Y = (rng.random((layer_dims[-1], m)) < 0.5).astype(np.float64)
        if well_conditioned(layer_dims, activation, parameters, X):
            return Net(layer_dims, activation, parameters, X, Y)
    raise RuntimeError(f"no well-conditioned network found for {layer_dims}, {activation}, m={m}")


def forward_pass(layer_dims, activation, parameters, X):
    """([Z1, ..., ZL], AL) of the kit's forward pass: what drawn weights are conditioned on. It only
    builds inputs (nothing is graded against it), so it is here and not among the references."""
    L = len(layer_dims) - 1
    Zs, A = [], X
    for l in range(1, L + 1):
        Z = np.dot(parameters[f"W{l}"], A) + parameters[f"b{l}"]
        A = activate(Z, "sigmoid" if l == L else activation)
        Zs.append(Z)
    return Zs, A


def well_conditioned(layer_dims, activation, parameters, X):
    """Away from ReLU's kink and from saturation, with some ReLU units active in every layer."""
    Zs, AL = forward_pass(layer_dims, activation, parameters, X)
    L = len(layer_dims) - 1
    for l, Z in enumerate(Zs, start=1):
        if np.min(np.abs(Z)) <= KINK_MARGIN:
            return False
        if l < L and activation == "relu" and not (Z > 0).any():
            return False
        if l < L and activation != "relu" and np.max(np.abs(Z)) >= SATURATION:
            return False
        if l < L and np.max(np.abs(Z)) >= 10 * SATURATION:
            return False
    return bool(np.all(AL > OUTPUT_RANGE[0]) and np.all(AL < OUTPUT_RANGE[1]))


@st.composite
def networks(draw):
    """Architecture, activation and batch size; weights and data from a drawn seed."""
    L = draw(st.integers(2, 5))
    layer_dims = [draw(st.integers(1, 6)) for _ in range(L)] + [1]
    activation = draw(st.sampled_from(["sigmoid", "tanh", "relu"]))
    m = draw(st.integers(1, 8))
    data = draw(st.integers(0, 2 ** 32 - 1))
    return draw_network(np.random.default_rng(data), layer_dims, activation, m)


# -- naming a known mistake (every id below is an entry of ref.MISTAKES) ---------------------------

def hint_line(mistake, prefix="", **values):
    """"Likely mistake:" and the table's hint for `mistake`, its {fields} filled in from `values`."""
    hint = ref.MISTAKES.hint(mistake)
    return f"\nLikely mistake: {prefix}{hint.format(**values) if values else hint}"


def likely(text, mistake, prefix="", **values):
    """The CheckFailed that says `text` and names `mistake` with its hint."""
    return CheckFailed(text + hint_line(mistake, prefix, **values), mistake)


def named_shape(mistake, said=""):
    """(text, mistake id) for expect_array_form's known_shape: `said`, then the mistake's hint."""
    return said + hint_line(mistake), mistake


# -- calling the student ------------------------------------------------------------

SHAPE_ERRORS = ("not aligned", "could not be broadcast", "matmul: Input operand", "size mismatch",
                "shapes (", "mismatch in its core dimension")


def backprop(student, net):
    """The kit's network with `net`'s parameters, the kit's forward pass on X, then the student's
    backward_propagation(X, Y): {"gradients", "gradient_norms", "parameters" (after the call)}."""
    out = student.call_method("backward_propagation", init=(list(net.layer_dims), net.activation, "xavier"),
                              attributes={"parameters": net.parameters},
                              calls=[("forward_propagation", (net.X,), {}),
                                     ("backward_propagation", (net.X, net.Y), {})],
                              read=("gradient_norms", "parameters"))
    return {"gradients": out["calls"][1]["result"], "gradient_norms": out["read"]["gradient_norms"],
            "parameters": out["read"]["parameters"]}


def run_backprop(student, net):
    """backprop(student, net); a shape error inside the student's code is named, other errors go
    to grade.py as they are."""
    try:
        return backprop(student, net)
    except StudentError as error:
        if not (error.is_a("ValueError") and any(s in error.message for s in SHAPE_ERRORS)):
            raise
        lines = [line for line in error.traceback.strip().splitlines() if line.strip()][-3:]
        raise likely(f"Your code raised {error.type}: {error.message}\n" + "\n".join(lines),
                     "shape_mismatch") from None


def gradient_keys(L):
    return [f"{name}{l}" for l in range(1, L + 1) for name in ("dW", "db")]


def expected_shape(net, key):
    l = int(key[2:])
    return (net.layer_dims[l], net.layer_dims[l - 1]) if key.startswith("dW") else (net.layer_dims[l], 1)


# -- structure: dict -> keys -> type -> shape -> dtype -> finite ----------------------

def check_structure(gradients, net):
    """The returned value is a dict of float64 arrays dW{l}, db{l} of the right shapes."""
    if gradients is None:
        raise likely("`backward_propagation` returned None; it should return the dict of gradients.",
                     "returns_none")
    if type(gradients) is not dict:
        raise CheckFailed(f"`backward_propagation` should return a dict, got {kind(gradients)}.", M.WRONG_TYPE)
    keys = gradient_keys(net.L)
    missing = [k for k in keys if k not in gradients]
    if missing:
        have = ", ".join(repr(k) for k in list(gradients)[:12]) or "no keys"
        text = (f"The gradients dict is missing {', '.join(repr(k) for k in missing)}; it has {have}. "
                f"It needs 'dW{{l}}' and 'db{{l}}' for every layer l = 1..{net.L}.")
        if "dW0" in gradients or "db0" in gradients:
            raise likely(text, "zero_based_keys")
        if all(k[1:] in gradients for k in missing):
            raise likely(text, "wrong_key_names")
        raise CheckFailed(text, M.MISSING_KEYS)
    for key in keys:
        check_array(key, gradients[key], expected_shape(net, key), net)


def check_array(name, got, shape, net):
    if name.startswith("db") and isinstance(got, (int, float, np.number)) and not isinstance(got, bool):
        raise likely(f"`{name}` is a single number ({got!r}); expected an array of shape {shape}.", "db_wrong_axis")
    expect_array_form(name, got, shape, shape_note=f" (the shape of `{name[1:]}`)",
                      known_shape=lambda wrong: known_shape(name, wrong.shape, shape, net))


def known_shape(name, got, shape, net):
    """(hint, mistake id) of the known mistake behind a gradient of shape `got`, else None."""
    n, m = net.layer_dims[int(name[2:])], net.m
    if name.startswith("dW") and got == shape[::-1]:
        return named_shape("dW_transposed", " It looks transposed.")
    if name.startswith("dW") and got == (n, n):
        return named_shape("A_l_instead_of_A_prev")
    if name.startswith("db") and got == (1, m):
        return named_shape("db_wrong_axis")
    if name.startswith("db") and got == (n, m):
        return named_shape("db_not_summed")
    return None


# -- values ----------------------------------------------------------------------

def tolerance(expected):
    """The absolute floor for one network: GRAD_ATOL_SCALE times its largest true gradient."""
    largest = max(float(np.max(np.abs(g))) for g in expected.values())
    return GRAD_ATOL_MIN + GRAD_ATOL_SCALE * largest


def close(got, expected, atol):
    """Elementwise: |got - expected| <= GRAD_RTOL * max(|got|, |expected|) + atol."""
    return within(got, expected, GRAD_RTOL, atol)


def same(got, expected, atol):
    return (isinstance(got, np.ndarray) and got.shape == expected.shape
            and bool(close(got, expected, atol).all()))


@quiet_overflow
def check_values(memo, gradients, expected, net, against):
    """Compare every dW{l}, db{l} with `expected`, layers from the output backwards; memo: the
    grader's Memo (the known mistakes' replays are memoised)."""
    atol = tolerance(expected)
    wrong = [k for l in range(net.L, 0, -1) for k in (f"dW{l}", f"db{l}")
             if not same(gradients[k], expected[k], atol)]
    if not wrong:
        return
    first = wrong[0]
    got, exp = gradients[first], expected[first]
    ok = close(got, exp, atol)
    index, error = worst_entry(got, exp, ok, atol)
    l = int(first[2:])
    where = "the output layer" if l == net.L else f"layer {l}"
    text = (f"Compared with {against}, your `{first}` ({where}) is off: at index {index} you have "
            f"{got[index]:.6g}, expected {exp[index]:.6g} (relative error {error:.2g}; "
            f"{int((~ok).sum())} of {got.size} entries differ).")
    wrong_layers = sorted({int(k[2:]) for k in wrong}, reverse=True)
    right_layers = [l for l in range(net.L, 0, -1) if l not in wrong_layers]
    if right_layers:
        text += (f"\nChecked from the output backwards: layer{'s' if len(right_layers) > 1 else ''} "
                 f"{', '.join(map(str, right_layers))} right; layer{'s' if len(wrong_layers) > 1 else ''} "
                 f"{', '.join(map(str, wrong_layers))} wrong.")
    else:
        text += f"\nEvery layer's gradients differ ({', '.join(wrong)})."
    named = identify(memo, text, gradients, expected, net, first, atol)
    if named:
        raise named
    if right_layers and net.L in right_layers:
        text += ("\nThe output layer is right, so look at how the gradient is passed back "
                 "(dA = W{l}.T @ dZ{l}) and at the hidden activation's derivative.")
    raise CheckFailed(text, M.WRONG_VALUES)


def identify(memo, text, gradients, expected, net, first, atol):
    """The CheckFailed naming a known mistake that gives the student's gradients on this input
    (`text` said first), or None."""
    args = (net.layer_dims, net.activation, net.parameters, net.X, net.Y)
    candidates = []
    for entry in ref.MISTAKES.replayable():
        result = entry.wrong(memo, *args)
        if result is None:
            continue
        wrong = result["gradients"]
        if all(same(wrong[k], expected[k], atol) for k in expected):
            continue  # this mistake makes no difference on this input
        candidates.append((entry.id, wrong))
    for mistake, wrong in candidates:
        if all(same(gradients[k], wrong[k], atol) for k in expected):
            return likely(text, mistake)
    factor = constant_factor(gradients, expected, atol)
    if factor is not None and net.m == 1 and net.layer_dims[-1] == 1:
        # With a single example, every gradient scales with dZ at the output.
        return likely(text, "output_dZ_wrong", factor=factor)
    if factor is not None:
        return likely(text, "constant_factor", factor=factor, m=net.m)
    for mistake, wrong in candidates:
        if same(gradients[first], wrong[first], atol):
            return likely(text, mistake, prefix=f"(in `{first}`) ")
    return None


def constant_factor(gradients, expected, atol):
    """c when every gradient is c * the expected one (c != 1), else None."""
    with np.errstate(all="ignore"):
        top = sum(float(np.sum(gradients[k] * expected[k])) for k in expected)
        bottom = sum(float(np.sum(expected[k] * expected[k])) for k in expected)
        if not bottom or not np.isfinite(top):
            return None
        c = top / bottom
        if abs(c - 1) < 1e-3 or abs(c) < 1e-12:
            return None
        if all(same(gradients[k], c * expected[k], abs(c) * atol) for k in expected):
            return c
    return None


def check_gradients(student, memo, net, reference):
    """Structure, then values against `reference` ('fd' or 'tape'); memo: the grader's Memo."""
    out = run_backprop(student, net)
    gradients = out["gradients"]
    check_structure(gradients, net)
    if reference == "fd":
        expected = ref.finite_differences(memo, net.layer_dims, net.activation, net.parameters, net.X, net.Y)
        against = "central finite differences of compute_cost"
    else:
        expected = ref.gradient_tape(memo, net.layer_dims, net.activation, net.parameters, net.X, net.Y)["gradients"]
        against = "TensorFlow's GradientTape gradient of compute_cost"
    check_values(memo, gradients, expected, net, against)


# -- the checks ------------------------------------------------------------------

# The fixed checks' networks, (layer_dims, activation, m), each drawn from the check's own seed.
STRUCTURE_NETWORKS = (((4, 3, 2, 1), "tanh", 5),)
FD_NETWORKS = (((4, 3, 1), "sigmoid", 5), ((3, 5, 4, 1), "tanh", 4), ((5, 4, 3, 2, 1), "relu", 6))
NORMS_NETWORKS = (((3, 4, 3, 1), "tanh", 5), ((4, 5, 2, 1), "relu", 3))
BATCH_OF_ONE_NETWORKS = (((3, 2, 1), "sigmoid", 1), ((4, 4, 4, 1), "tanh", 1), ((2, 5, 3, 1), "relu", 1))
UNTOUCHED_NETWORKS = (((4, 3, 2, 1), "tanh", 4), ((3, 3, 1), "relu", 5))


@check("part2", "returns_gradient_dict",
       "backward_propagation returns dW{l} and db{l} for every layer l = 1..L, float64 arrays "
       "with the shapes of W{l} and (n_l, 1).",
       contract=("'dW{l}': float64 array with the shape of W{l}, (n_l, n_{l-1}) 'db{l}': float64 array of "
                'shape (n_l, 1)'))
def returns_gradient_dict(student, ctx):
    for dims, activation, m in STRUCTURE_NETWORKS:
        net = draw_network(ctx.rng(activation), dims, activation, m)
        fixed_case(net.describe(), lambda: check_structure(run_backprop(student, net)["gradients"], net))


@check("part2", "finite_differences",
       "On small sigmoid, tanh and ReLU networks, every dW{l} and db{l} equals the central "
       "finite-difference gradient of compute_cost (relative error below 1e-5).",
       contract=('It returns the gradient of compute_cost -- binary cross-entropy, the mean over the m '
                'examples -- with respect to every W{l} and b{l}.'))
def finite_differences(student, ctx):
    for dims, activation, m in FD_NETWORKS:
        net = draw_network(ctx.rng(activation), dims, activation, m)
        fixed_case(net.describe(), lambda: check_gradients(student, ctx.memo, net, "fd"))


@check("part2", "gradient_norms",
       "self.gradient_norms['layer_{l}'] holds the Frobenius norms dW_norm and db_norm of the "
       "layer's gradients, and dZ_norm of its dZ (with or without the 1/m).",
       contract='the Frobenius norms (np.linalg.norm) of dW{l}, db{l} and dZ{l}.')
def gradient_norms(student, ctx):
    for dims, activation, m in NORMS_NETWORKS:
        net = draw_network(ctx.rng(activation), dims, activation, m)
        fixed_case(net.describe(), lambda: check_norms(ctx.memo, run_backprop(student, net), net))


@check("part2", "gradient_tape_property",
       "For networks Hypothesis draws (2 to 5 layers, widths 1 to 6, sigmoid/tanh/ReLU, batches "
       "of 1 to 8), the gradients equal TensorFlow GradientTape's.", hidden=True,
       contract=("The output layer L uses the sigmoid; the hidden layers use self.activation ('sigmoid', "
                "'tanh' or 'relu';"))
def gradient_tape_property(student, ctx):
    run_property(ctx, networks(), lambda net: check_gradients(student, ctx.memo, net, "tape"),
                 describe=lambda net: net.describe())


@check("part2", "batch_of_one",
       "With a single example (m = 1), including networks whose weight matrices are square, "
       "the gradients equal TensorFlow GradientTape's.", hidden=True,
       contract='This holds for any batch size m >= 1, a single example included.')
def batch_of_one(student, ctx):
    for dims, activation, m in BATCH_OF_ONE_NETWORKS:
        drawn = draw_network(ctx.rng(activation), dims, activation, m)
        # Both labels, whatever was drawn: with one example, a mistake in the cost's y term or its
        # (1 - y) term shows for one label only, and a grade must not hang on which one was drawn.
        for net in (drawn, replace(drawn, Y=1.0 - drawn.Y)):
            fixed_case(f"{net.describe()}, Y={net.Y.ravel().tolist()}",
                       lambda: check_gradients(student, ctx.memo, net, "tape"))


@check("part2", "parameters_untouched",
       "backward_propagation leaves self.parameters exactly as it found them.", hidden=True,
       contract='Does not change self.parameters (there is no update step here).')
def parameters_untouched(student, ctx):
    computed = False
    for dims, activation, m in UNTOUCHED_NETWORKS:
        net = draw_network(ctx.rng(activation), dims, activation, m)
        out = run_backprop(student, net)
        fixed_case(net.describe(), lambda: check_parameters(ctx.memo, out, net))
        computed = computed or computed_something(out["gradients"])
    # Leaving self.parameters alone earns the point only from a backward pass that computed
    # something: a stub that returns nothing (or all zeros) does not get it for free. Only that:
    # the gradients' keys, shapes and values are the other checks' to grade, not this one's.
    if not computed:
        raise likely("Every gradient backward_propagation returned is zero (or it returned no gradients), on "
                     "networks whose gradients are not. This check counts only when backward_propagation "
                     "computes the gradients and leaves self.parameters alone.", "all_zero_gradients")


def computed_something(gradients):
    """True when the returned gradients hold some nonzero number, whatever their keys and shapes."""
    if type(gradients) is not dict:
        return False
    for value in gradients.values():
        try:
            if np.any(np.asarray(value, dtype=float) != 0):
                return True
        except (TypeError, ValueError):
            continue
    return False


# -- gradient norms ---------------------------------------------------------------

@quiet_overflow
def check_norms(memo, out, net):
    norms = out["gradient_norms"]
    if type(norms) is not dict or not norms:
        raise likely("`self.gradient_norms` is empty after backward_propagation.", "norms_not_recorded")
    keys = [f"layer_{l}" for l in range(1, net.L + 1)]
    missing = [k for k in keys if k not in norms]
    if missing:
        text = (f"`self.gradient_norms` is missing {', '.join(repr(k) for k in missing)}; it has "
                f"{', '.join(repr(k) for k in list(norms)[:12])}.")
        if "layer_0" in norms:
            raise likely(text, "zero_based_keys")
        raise CheckFailed(text, M.MISSING_KEYS)
    tape = ref.gradient_tape(memo, net.layer_dims, net.activation, net.parameters, net.X, net.Y)
    expected, dZ = tape["gradients"], tape["dZ"]
    numpy = ref.backprop(memo, net.layer_dims, net.activation, net.parameters, net.X, net.Y)
    arrays = {l: {"dW_norm": expected[f"dW{l}"], "db_norm": expected[f"db{l}"], "dZ_norm": dZ[f"dZ{l}"]}
              for l in range(1, net.L + 1)}
    true = {l: {key: float(np.linalg.norm(a)) for key, a in arrays[l].items()} for l in arrays}
    gradients = out["gradients"]
    for l in range(net.L, 0, -1):
        entry = norms[f"layer_{l}"]
        name = f"gradient_norms['layer_{l}']"
        if type(entry) is not dict:
            raise CheckFailed(f"`{name}` should be a dict with 'dW_norm', 'db_norm' and 'dZ_norm', "
                              f"got {kind(entry)}.", M.WRONG_TYPE)
        absent = [k for k in ("dW_norm", "db_norm", "dZ_norm") if k not in entry]
        if absent:
            raise CheckFailed(f"`{name}` is missing {', '.join(repr(k) for k in absent)}; it has "
                              f"{', '.join(repr(k) for k in entry) or 'no keys'}.", M.MISSING_KEYS)
        for key in ("dW_norm", "db_norm", "dZ_norm"):
            value = expect_number(f"{name}['{key}']", entry[key], finite=True)
            right = true[l][key]
            accepted = [right, right / net.m] if key == "dZ_norm" else [right]
            if any(abs(value - a) <= GRAD_RTOL * max(abs(value), abs(a)) + GRAD_ATOL_MIN for a in accepted):
                continue
            shown = (f"{right:.6g} (||dZ||) or {right / net.m:.6g} (||dZ|| / m)"
                     if key == "dZ_norm" and net.m > 1 else f"{right:.6g}")
            text = f"`{name}['{key}']` is {value:.6g}, expected {shown}."
            named = identify_norm(text, value, key, l, net, true, arrays, numpy, gradients)
            raise named or CheckFailed(text, M.WRONG_VALUES)


def identify_norm(text, value, key, l, net, true, arrays, numpy, gradients):
    """The CheckFailed naming a known mistake that records `value` as layer l's `key` (`text` said
    first), or None."""
    def near(a):
        return abs(value - a) <= 1e-6 * max(abs(value), abs(a)) + GRAD_ATOL_MIN

    right = true[l][key]
    scales = (1, 1 / net.m) if key == "dZ_norm" else (1,)
    if key != "dZ_norm":
        own = gradients.get(f"{key[:2]}{l}") if type(gradients) is dict else None
        if (type(own) is np.ndarray and own.dtype.kind == "f" and np.all(np.isfinite(own))
                and near(float(np.linalg.norm(own))) and not near(right)):
            return likely(text, "gradients_wrong", array=f"{key[:2]}{l}")
    if near(right ** 2) or key == "dZ_norm" and near((right / net.m) ** 2):
        return likely(text, "squared_norm")
    array = arrays[l][key]
    if array.shape[1] > 1 and any(near(float(np.linalg.norm(array, 2)) * k) for k in scales):
        return likely(text, "spectral_norm")
    if any(near(float(np.sum(np.abs(array)) * k)) for k in scales):
        return likely(text, "l1_norm")
    if key != "dZ_norm" and near(right * net.m):
        return likely(text, "norm_before_1_over_m")
    if key == "dZ_norm" and "dA" in numpy and f"dA{l}" in numpy["dA"]:
        dA = float(np.linalg.norm(numpy["dA"][f"dA{l}"]))
        if near(dA) or near(dA / net.m):
            return likely(text, "dZ_norm_of_dA")
    for other in range(1, net.L + 1):
        if other != l and (near(true[other][key]) or key == "dZ_norm" and near(true[other][key] / net.m)):
            return likely(text, "norms_wrong_layer", other=other, l=l)
    return None


# -- parameters ------------------------------------------------------------------

@quiet_overflow
def check_parameters(memo, out, net):
    after = out["parameters"]
    if type(after) is not dict:
        raise likely(f"`self.parameters` is {kind(after)} after backward_propagation; it must stay "
                     "the dict of weights and biases, unchanged.", "parameters_changed")
    missing = [k for k in net.parameters if k not in after]
    extra = [k for k in after if k not in net.parameters]
    if missing or extra:
        parts = ([f"lost {', '.join(map(repr, missing))}"] if missing else []) + \
                ([f"gained {', '.join(map(repr, extra[:6]))}"] if extra else [])
        raise likely(f"backward_propagation changed the keys of `self.parameters`: it {' and '.join(parts)}.",
                     "parameters_changed")
    expected = ref.gradient_tape(memo, net.layer_dims, net.activation, net.parameters, net.X, net.Y)["gradients"]
    for key, sent in net.parameters.items():
        got = after[key]
        same_array = type(got) is np.ndarray and got.shape == sent.shape and got.dtype == sent.dtype
        if same_array and np.array_equal(got, sent):
            continue
        text = f"backward_propagation changed `self.parameters['{key}']`"
        if type(got) is not np.ndarray or got.shape != sent.shape or got.dtype != sent.dtype:
            raise likely(f"{text}: it was {kind(sent)} of float64, it is now {kind(got)}"
                         f"{' of ' + str(got.dtype) if isinstance(got, np.ndarray) else ''}.", "parameters_changed")
        diff = got - sent
        index = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(diff)), sent.shape))
        text += f": at index {index} it was {sent[index]:.6g}, it is now {got[index]:.6g}."
        step = step_size(diff, expected[f"d{key}"])
        if step is not None:
            raise likely(text, "updates_parameters", step=step)
        raise likely(text, "parameters_changed")


def step_size(diff, gradient):
    """lr > 0 when diff == -lr * gradient, else None."""
    with np.errstate(all="ignore"):
        bottom = float(np.sum(gradient * gradient))
        if not bottom:
            return None
        lr = -float(np.sum(diff * gradient)) / bottom
        if lr > 0 and np.allclose(diff, -lr * gradient, rtol=1e-4, atol=1e-12):
            return lr
    return None


# -- for make mutants: is a surviving mutant equivalent to the reference? -------------------------

def equivalence_cases(rng, count):
    """[(description, Net)]: edge cases first (one example, square weights, a constant feature,
    all-zero gradients, two outputs), then `count` random networks."""
    specs = [((3, 2, 1), "sigmoid", 1, "one example"), ((3, 3, 3, 1), "relu", 4, "square weight matrices"),
             ((2, 4, 1), "tanh", 5, "constant feature"), ((3, 4, 1), "relu", 3, "zero gradients"),
             ((2, 3, 3, 2), "tanh", 4, "two outputs")]
    activations = ("sigmoid", "tanh", "relu")
    for _ in range(count):
        L = int(rng.integers(1, 5))
        dims = tuple(int(n) for n in rng.integers(1, 6, size=L)) + (int(rng.integers(1, 3)),)
        specs.append((dims, activations[int(rng.integers(3))], int(rng.integers(1, 7)), "random"))
    cases = []
    for dims, activation, m, label in specs:
        parameters = {}
        for l in range(1, len(dims)):
            scale = 0.0 if label == "zero gradients" else 1 / np.sqrt(dims[l - 1])
            parameters[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * scale
            parameters[f"b{l}"] = rng.normal(0, 0.3, (dims[l], 1)) * (scale > 0)
        X = rng.standard_normal((dims[0], m))
        if label == "constant feature":
            X[0] = 1.5
        Y = (rng.random((dims[-1], m)) < 0.5).astype(np.float64)
        cases.append((f"{label}: layer_dims={list(dims)}, activation={activation!r}, X {X.shape}",
                      Net(tuple(dims), activation, parameters, X, Y)))
    return cases


# The grader's tolerances: part 2 allows `dZ = AL - Y` (no 1e-8 guard), so the floor follows the
# gradients' scale.
EQUIVALENCE = Equivalence(equivalence_cases, backprop, (GRAD_RTOL, GRAD_ATOL_MIN, GRAD_ATOL_SCALE))


# -- the feedback page's plot: per-layer gradient norms ---------------------------------------------

# A deep sigmoid network like the lab's vanishing-gradient demo.
PROBE_DIMS = (20, 16, 12, 8, 4, 1)
PROBE_ACTIVATION = "sigmoid"
PROBE_EXAMPLES = 32
PROBE_SEED = 43


def probe_inputs():
    """parameters, X (20, 32), Y (1, 32): Xavier-scaled weights, small random biases."""
    rng = np.random.default_rng(PROBE_SEED)
    parameters = {}
    for l in range(1, len(PROBE_DIMS)):
        n_prev, n = PROBE_DIMS[l - 1], PROBE_DIMS[l]
        parameters[f"W{l}"] = rng.standard_normal((n, n_prev)) * np.sqrt(1.0 / n_prev)
        parameters[f"b{l}"] = rng.standard_normal((n, 1)) * 0.1
    X = rng.standard_normal((PROBE_DIMS[0], PROBE_EXAMPLES))
    Y = (rng.random((1, PROBE_EXAMPLES)) < 0.5).astype(np.float64)
    return parameters, X, Y


def probe(student, memo):
    """The chart of the student's ||dW{l}|| per layer against the correct ones, or None."""
    parameters, X, Y = probe_inputs()
    expected = ref.sigmoid_dw_norms(memo, parameters, X, Y)
    net = Net(PROBE_DIMS, PROBE_ACTIVATION, parameters, X, Y)
    gradients = backprop(student, net)["gradients"]
    if type(gradients) is not dict:
        return None
    got = [_norm(gradients.get(f"dW{l}"), parameters[f"W{l}"].shape) for l in range(1, len(expected) + 1)]
    if all(value is None for value in got):
        return None
    return norms_chart(expected, got)


def norms_chart(expected, got):
    """The Chart of per-layer norms `got` (None where there is nothing to draw) against `expected`."""
    layers = list(range(1, len(expected) + 1))
    caption = (f"Gradient norm per layer on a {len(layers)}-layer sigmoid network, one fixed batch: "
               "your backward_propagation against the correct gradients. "
               "On the log scale, a constant gap means a constant factor (such as 1/m).")
    # What a log scale cannot show: missing, zero, negative or not finite.
    missing = [str(l) for l, v in zip(layers, got)
               if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0)]
    if missing:
        caption += f" Not shown for layer {', '.join(missing)}: missing, wrong shape, zero or not finite."
    rows = [[str(layer), chart_number(right), chart_number(yours)]
            for layer, right, yours in zip(layers, expected, got)]
    return Chart("log_lines", "Gradient norm per layer: correct and yours", caption, "layer", "‖dW‖ (log scale)",
                 [{"label": "correct", "role": "expected", "values": list(expected)},
                  {"label": "yours", "role": "student", "values": got}],
                 {"headers": ["layer", "correct ‖dW‖", "your ‖dW‖"], "rows": rows}, layers)


def _norm(array, shape):
    """The Frobenius norm of a float array of the right shape, else None (not plotted)."""
    if type(array) is not np.ndarray or array.shape != shape or array.dtype.kind != "f":
        return None
    value = float(np.linalg.norm(array.astype(np.float64)))
    return value if math.isfinite(value) else None


PROBE = probe
