"""Part 6: BatchNormNetwork.batch_normalize(Z, layer_num, mode).

Every call runs the student's method on the kit's BatchNormNetwork (its other
methods are the kit's), with grader-chosen gamma, beta and running statistics.
Checks, in the order students see them:
1. train_mode_matches_keras: output and running statistics equal Keras'
   BatchNormalization(training=True) on Z.T; non-default momentum and epsilon
   values large enough that var + epsilon matters.
2. test_mode_matches_keras: output equals Keras' training=False; nothing changes.
3. cache_for_backward: Z_norm{l}, mu{l}, var{l} in self.cache, earlier entries kept.
4. last_layer_passes_z_through: the last layer returns Z (use_batch_norm=True).
5. batch_norm_off_passes_z_through: use_batch_norm=False returns Z in every layer. Two
   checks, both public: the contract's two pass-through conditions are independent, and a
   literal reading that joins them with `and` fails both here, not only at grading.
6. normalised_statistics (hidden, Hypothesis): per-feature mean = beta,
   std = |gamma| * sqrt(var / (var + epsilon)) (biased var).
7. shift_and_scale_invariance (hidden, Hypothesis): a per-feature shift and positive
   scale of Z leaves the 'train' output alone (epsilon 1e-12, so it is exact to 1e-8).
8. constant_feature (hidden, Hypothesis): a constant feature gives beta, finite, also
   for a batch of one example.
9. network_gradients (hidden): the kit network's gradients (its backward pass reads
   this cache) equal central finite differences of its cost.

Decisions the contract leaves open: 'test' mode must leave the running statistics,
gamma, beta and Z alone; what it writes to self.cache is not checked (the kit's forward
pass starts a new cache on every call and runs backward only after 'train'). Z must
never be modified in place.
"""
import functools
import math
import re

import numpy as np
from hypothesis import strategies as st

from autograder import mistakes as M
from autograder.outcomes import Chart, chart_number
from autograder.references import part6_batchnorm as ref
from autograder.sandbox.workers import StudentError
from autograder.checks import CheckFailed, Equivalence, check
from autograder.checks.common import (ATOL, FD_RTOL, RTOL, Candidate, expect_array, expect_dict, fixed_case,
                                      replayed, run_property, subject)

FD_ATOL = 1e-8  # finite differences' rounding (~1e-10) and the ~0 true gradient of biases before batch norm


# -- inputs ------------------------------------------------------------------------------

class Case:
    """One call of batch_normalize: the network's settings and state, Z, layer and mode."""

    def __init__(self, layer_dims, layer, momentum, epsilon, parameters, running_mean, running_var, Z,
                 use_batch_norm=True, activation="relu"):
        self.layer_dims = tuple(int(n) for n in layer_dims)
        self.layer, self.momentum, self.epsilon = int(layer), float(momentum), float(epsilon)
        self.parameters, self.running_mean, self.running_var = parameters, running_mean, running_var
        self.Z, self.use_batch_norm, self.activation = Z, use_batch_norm, activation

    @property
    def num_layers(self):
        return len(self.layer_dims) - 1

    @property
    def normalised(self):
        """True when this layer is batch-normalised (not the last one, batch norm on)."""
        return self.use_batch_norm and self.layer < self.num_layers

    def state(self, l=None):
        """(gamma, beta, running_mean, running_var) of layer l (default: this case's layer)."""
        l = self.layer if l is None else l
        return (self.parameters[f"gamma{l}"], self.parameters[f"beta{l}"],
                self.running_mean[l], self.running_var[l])

    def with_Z(self, Z, layer=None):
        return Case(self.layer_dims, self.layer if layer is None else layer, self.momentum, self.epsilon,
                    self.parameters, self.running_mean, self.running_var, Z, self.use_batch_norm,
                    self.activation)


def make_case(rng, layer_dims, layer, m, momentum, epsilon, use_batch_norm=True):
    """Random gamma (either sign), beta, running statistics and Z, rounded to 2 decimals
    so feedback can print them exactly; feature spreads of 0.3-2 keep var + epsilon relevant."""
    L = len(layer_dims) - 1
    parameters, running_mean, running_var = {}, {}, {}
    for l in range(1, L + 1):
        n, n_prev = layer_dims[l], layer_dims[l - 1]
        parameters[f"W{l}"] = np.round(rng.normal(size=(n, n_prev)) * 0.5, 2)
        parameters[f"b{l}"] = np.round(rng.normal(size=(n, 1)) * 0.1, 2)
        if use_batch_norm and l < L:
            sign = rng.choice([-1.0, 1.0], size=(n, 1), p=[0.25, 0.75])
            parameters[f"gamma{l}"] = np.round(sign * rng.uniform(0.5, 2.0, size=(n, 1)), 2)
            parameters[f"beta{l}"] = np.round(rng.normal(size=(n, 1)), 2)
            running_mean[l] = np.round(rng.normal(size=(n, 1)), 2)
            running_var[l] = np.round(rng.uniform(0.5, 2.0, size=(n, 1)), 2)
    n = layer_dims[layer]
    offsets = rng.normal(size=(n, 1)) * 2
    spreads = rng.uniform(0.3, 2.0, size=(n, 1))
    Z = np.round(offsets + spreads * rng.normal(size=(n, m)), 2)
    return Case(layer_dims, layer, momentum, epsilon, parameters, running_mean, running_var, Z,
                use_batch_norm)


def drawn(rng, specs):
    """The Cases of `specs` (make_case's arguments after rng), drawn from rng in order."""
    return [make_case(rng, *spec) for spec in specs]


def _text(array):
    array = np.asarray(array)
    if array.ndim == 2 and array.shape[1] == 1 and array.shape[0] > 1:
        return np.array2string(array.T, separator=", ", max_line_width=10 ** 6, precision=4) + ".T"
    return np.array2string(array, separator=", ", max_line_width=10 ** 6, precision=4)


def describe(case, mode):
    """The call, compactly: the network, the arguments and the layer's state."""
    l = case.layer
    text = (f"BatchNormNetwork(layer_dims={list(case.layer_dims)}, use_batch_norm={case.use_batch_norm}) "
            f"with momentum={case.momentum:g}, epsilon={case.epsilon:g}; "
            f"batch_normalize(Z, layer_num={l}, mode={mode!r}) with Z = {_text(case.Z)}")
    if case.normalised:
        gamma, beta, mean, var = case.state()
        text += (f", gamma{l} = {_text(gamma)}, beta{l} = {_text(beta)}, running_mean[{l}] = {_text(mean)}, "
                 f"running_var[{l}] = {_text(var)}")
    return text


# -- calling the student ------------------------------------------------------------------

def network_state(case, use_batch_norm=None):
    """The kit BatchNormNetwork's constructor arguments and the attributes the case sets on it."""
    use_batch_norm = case.use_batch_norm if use_batch_norm is None else use_batch_norm
    init = (list(case.layer_dims), case.activation, "he", use_batch_norm)
    return init, {"momentum": case.momentum, "epsilon": case.epsilon, "parameters": case.parameters,
                  "running_mean": case.running_mean, "running_var": case.running_var}


def batchnorm(student, case, mode, cache=None):
    """The student's batch_normalize(Z, layer_num, mode) on a kit BatchNormNetwork holding the
    case's settings, parameters, running statistics and `cache`: {"out", "Z_after", "cache",
    "running_mean", "running_var", "parameters"} after the call."""
    init, attributes = network_state(case)
    out = student.call_method("batch_normalize", init=init, attributes={**attributes, "cache": cache or {}},
                              calls=[("batch_normalize", (case.Z, case.layer, mode), {})],
                              read=("cache", "running_mean", "running_var", "parameters"))
    answer = out["calls"][0]
    return {"out": answer["result"], "Z_after": answer["args_after"][0], **out["read"]}


def call(student, case, mode, cache=None):
    """batchnorm(student, case, mode, cache); a KeyError that shows a known mistake is named."""
    try:
        return batchnorm(student, case, mode, cache)
    except StudentError as error:
        mistake = _key_error_mistake(error, case)
        if mistake is None:
            raise
        raise CheckFailed(f"Your code raised {error.type}: {error.message}\n"
                          f"Likely mistake: {ref.MISTAKES.hint(mistake)}", mistake) from None


def _key_error_mistake(error, case):
    if not error.is_a("KeyError"):
        return None
    key = error.message.strip().strip("'\"")
    l, L = case.layer, case.num_layers
    if not case.use_batch_norm:
        return "use_batch_norm_ignored"
    if l == L and key in (f"gamma{L}", f"beta{L}", str(L)):
        return "last_layer_normalised"
    neighbours = [k for k in (l - 1, l + 1) if k != l]
    if any(key in (f"gamma{k}", f"beta{k}", str(k)) for k in neighbours):
        return "layer_off_by_one"
    return None


# -- known mistakes: the references' MISTAKES table, replayed on the case ---------------------

def _wrong_answers(memo, case, mode):
    """(mistake id, its answer or None) for this call: every replayable mistake of the table, in the
    table's order, then layer_off_by_one as batchnorm() with a neighbouring layer's gamma and beta
    (and that layer's running statistics, or this layer's)."""
    gamma, beta, mean, var = case.state()
    args = (case.Z, gamma, beta, mean, var, case.momentum, case.epsilon, mode)
    for entry in ref.MISTAKES.replayable():
        yield entry.id, entry.wrong(memo, *args)
    for k in (case.layer - 1, case.layer + 1):
        if f"gamma{k}" in case.parameters and case.parameters[f"gamma{k}"].shape == gamma.shape:
            other = case.state(k)
            yield "layer_off_by_one", replayed(ref.batchnorm, memo, case.Z, *other, *args[5:])
            yield "layer_off_by_one", replayed(ref.batchnorm, memo, case.Z, *other[:2], mean, var, *args[5:])


def _mistakes(memo, case, mode, key):
    """The Candidate records of the known mistakes that change `key` from the truth on this call, in
    order: a mistake can explain a wrong value only if it changes that value (a wrong running update
    leaves the output right, a wrong scale and shift the running statistics). Lazy: they are
    computed only when a comparison fails and asks for them."""
    truth = ref.batchnorm(memo, case.Z, *case.state(), case.momentum, case.epsilon, mode)[key]
    for mistake, answer in _wrong_answers(memo, case, mode):
        if answer is not None and key in answer and not _same(answer[key], truth):
            yield Candidate(mistake, ref.MISTAKES.hint(mistake), answer[key])


def _same(value, truth):
    return np.shape(value) == np.shape(truth) and np.allclose(value, truth, rtol=RTOL, atol=ATOL)


# -- comparisons shared by the checks ---------------------------------------------------------

def _expect_unchanged(name, got, expected, mistake, what="changed"):
    """`got` must equal `expected` exactly (same keys, same arrays)."""
    if isinstance(expected, dict):
        if type(got) is not dict or set(got) != set(expected):
            found = sorted(got, key=repr) if type(got) is dict else type(got).__name__
            raise CheckFailed(f"`{name}` should still have the keys {sorted(expected, key=repr)}; "
                              f"after the call it has {found}.\nLikely mistake: {ref.MISTAKES.hint(mistake)}",
                              mistake)
        for key in expected:
            _expect_unchanged(f"{name}[{key!r}]", got[key], expected[key], mistake, what)
        return
    if type(got) is np.ndarray and got.shape == expected.shape:
        if np.array_equal(got, expected):
            return
        index = tuple(int(i) for i in np.argwhere(~(got == expected))[0])
        change = f"at index {index} it was {expected[index]:.6g} and is now {got[index]:.6g}"
    elif type(got) is np.ndarray:
        change = f"it had shape {expected.shape} and now has shape {got.shape}"
    else:
        change = f"it was an array of shape {expected.shape} and is now {type(got).__name__}"
    raise CheckFailed(f"`{name}` was {what} by the call: {change}.\n"
                      f"Likely mistake: {ref.MISTAKES.hint(mistake)}", mistake)


def _expect_running(memo, got, case, expected):
    """The running statistics: layer l as expected, every other layer untouched."""
    l = case.layer
    for name, key in (("running_mean", "running_mean"), ("running_var", "running_var")):
        running = expect_dict(f"self.{name}", got[key], [l])
        expect_array(f"self.{name}[{l}]", running[l], expected[key], mistakes=_mistakes(memo, case, "train", key))
        others = {k: v for k, v in getattr(case, key).items() if k != l}
        _expect_unchanged(f"self.{name}", {k: v for k, v in running.items() if k != l}, others,
                          "other_layer_updated")


def _expect_untouched(got, case):
    _expect_unchanged("Z", got["Z_after"], case.Z, "modifies_input", "modified in place")
    _expect_unchanged("self.parameters", got["parameters"], case.parameters, "parameters_modified")


# -- 1. train mode against Keras ------------------------------------------------------------------

TRAIN_CASES = (  # layer_dims, layer, m, momentum, epsilon
    ((3, 4, 4, 4, 1), 2, 6, 0.7, 0.3),
    ((2, 3, 1), 1, 4, 0.95, 1e-3),
    ((4, 5, 5, 1), 2, 8, 0.9, 1e-5),
)


@check("part6", "train_mode_matches_keras",
       "In 'train' mode, the output and the updated running statistics equal those of "
       "keras.layers.BatchNormalization(momentum, epsilon) called with training=True on Z.T.",
       contract=('This is keras.layers.BatchNormalization(momentum=self.momentum, epsilon=self.epsilon) '
                "applied to Z.T, with training=True for 'train' and training=False for 'test'."))
def train_mode_matches_keras(student, ctx):
    for case in drawn(ctx.rng("cases"), TRAIN_CASES):
        fixed_case(describe(case, "train"), functools.partial(_train_case, student, ctx.memo, case))


def _train_case(student, memo, case):
    got = call(student, case, "train")
    gamma, beta, mean, var = case.state()
    keras = ref.keras_batchnorm(memo, case.Z, gamma, beta, mean, var, case.momentum, case.epsilon, True)
    expect_array("the output of batch_normalize", got["out"], keras["out"],
                 mistakes=_mistakes(memo, case, "train", "out"))
    _expect_running(memo, got, case, keras)
    _expect_untouched(got, case)


# -- 2. test mode against Keras ----------------------------------------------------------------------

TEST_CASES = (
    ((3, 4, 4, 4, 1), 3, 5, 0.8, 0.2),
    ((2, 3, 3, 1), 1, 4, 0.9, 1e-5),
)


@check("part6", "test_mode_matches_keras",
       "In 'test' mode, the output equals keras.layers.BatchNormalization's with training=False "
       "(the running statistics), and nothing changes: running statistics, gamma, beta and Z.",
       contract=("'test': normalise with self.running_mean[l] and self.running_var[l] instead of the batch"
                ' statistics, then scale and shift the same way; change nothing'))
def test_mode_matches_keras(student, ctx):
    for case in drawn(ctx.rng("cases"), TEST_CASES):
        fixed_case(describe(case, "test"), functools.partial(_test_case, student, ctx.memo, case))


def _test_case(student, memo, case):
    got = call(student, case, "test")
    gamma, beta, mean, var = case.state()
    keras = ref.keras_batchnorm(memo, case.Z, gamma, beta, mean, var, case.momentum, case.epsilon, False)
    expect_array("the output of batch_normalize", got["out"], keras["out"],
                 mistakes=_mistakes(memo, case, "test", "out"))
    trained = ref.batchnorm(memo, case.Z, gamma, beta, mean, var, case.momentum, case.epsilon, "train")
    for key in ("running_mean", "running_var"):
        running = got[key]
        if type(running) is dict and type(running.get(case.layer)) is np.ndarray:
            now = running[case.layer]
            if now.shape == mean.shape and np.allclose(now, trained[key], rtol=RTOL, atol=ATOL) \
                    and not np.array_equal(now, getattr(case, key)[case.layer]):
                raise CheckFailed(f"`self.{key}[{case.layer}]` was updated in 'test' mode, as in 'train' "
                                  f"mode.\nLikely mistake: {ref.MISTAKES.hint('test_updates_running_stats')}",
                                  "test_updates_running_stats")
        _expect_unchanged(f"self.{key}", running, getattr(case, key), "test_changes_running_stats")
    _expect_untouched(got, case)


# -- 3. the cache the kit's backward pass reads ----------------------------------------------------------

CACHE_CASE = ((3, 4, 4, 4, 1), 2, 5, 0.8, 0.1)  # layer_dims, layer, m, momentum, epsilon


@check("part6", "cache_for_backward",
       "In 'train' mode, self.cache gets Z_norm{l} (n_l, m), mu{l} (n_l, 1) and var{l} (n_l, 1) "
       "(the biased variance), and keeps the entries already in it.",
       contract=("Add self.cache['Z_norm{l}'] (n_l, m), self.cache['mu{l}'] and self.cache['var{l}'] (n_l,"
                ' 1) for backward_propagation, keeping every entry already in self.cache.'))
def cache_for_backward(student, ctx):
    rng = ctx.rng("cases")
    case = make_case(rng, *CACHE_CASE)
    m = case.Z.shape[1]
    earlier = {"A0": np.round(rng.normal(size=(3, m)), 2), "Z_norm1": np.round(rng.normal(size=(4, m)), 2),
               "mu1": np.round(rng.normal(size=(4, 1)), 2), "var1": np.round(rng.uniform(0.5, 2, (4, 1)), 2),
               "Z1": np.round(rng.normal(size=(4, m)), 2), "A1": np.round(rng.uniform(0, 2, (4, m)), 2)}
    text = describe(case, "train") + f", self.cache holding {', '.join(earlier)} from layer 1"
    fixed_case(text, functools.partial(_cache_case, student, ctx.memo, case, earlier))


def _cache_case(student, memo, case, earlier):
    got = call(student, case, "train", cache=earlier)
    l = case.layer
    cache = got["cache"]
    if type(cache) is not dict:
        raise CheckFailed(f"`self.cache` should be a dict, got {type(cache).__name__}.", M.WRONG_TYPE)
    lost = [k for k in earlier if k not in cache]
    if lost:
        raise CheckFailed(f"`self.cache` lost the entries {', '.join(lost)} that were in it before the call."
                          f"\nLikely mistake: {ref.MISTAKES.hint('cache_replaced')}", "cache_replaced")
    for key, value in earlier.items():
        _expect_unchanged(f"self.cache[{key!r}]", cache[key], value, "cache_entry_overwritten", "overwritten")
    missing = [k for k in (f"Z_norm{l}", f"mu{l}", f"var{l}") if k not in cache]
    if missing:
        raise CheckFailed(f"`self.cache` has no {', '.join(repr(k) for k in missing)} after "
                          f"batch_normalize(Z, {l}, 'train'); it has {', '.join(repr(k) for k in cache)}."
                          f"\nLikely mistake: {ref.MISTAKES.hint('cache_entries_missing')}",
                          "cache_entries_missing")
    gamma, beta, mean, var = case.state()
    expected = ref.batchnorm(memo, case.Z, gamma, beta, mean, var, case.momentum, case.epsilon, "train")
    for key in ("Z_norm", "mu", "var"):
        expect_array(f"self.cache['{key}{l}']", cache[f"{key}{l}"], expected[key],
                     mistakes=_mistakes(memo, case, "train", key))


# -- 4. pass-through ------------------------------------------------------------------------------------

@check("part6", "last_layer_passes_z_through",
       "The last layer returns Z unchanged and leaves the running statistics alone, in both modes, "
       "with use_batch_norm=True (the usual case).",
       contract=('The last layer (layer_num == self.num_layers) is never normalised, whatever '
                 'self.use_batch_norm is: return Z unchanged and change nothing.'))
def last_layer_passes_z_through(student, ctx):
    rng = ctx.rng("cases")
    last = make_case(rng, (3, 4, 4, 1), 3, 5, 0.8, 0.1)
    for mode in ("train", "test"):
        fixed_case(describe(last, mode),
                   functools.partial(_pass_case, student, last, mode, "last_layer_normalised"))
    _normalises_too(student, rng)


@check("part6", "batch_norm_off_passes_z_through",
       "With use_batch_norm=False, every layer (hidden ones included) returns Z unchanged and leaves "
       "the running statistics alone, in both modes.",
       contract=('When self.use_batch_norm is False, no layer is normalised: return Z unchanged and '
                 'change nothing.'))
def batch_norm_off_passes_z_through(student, ctx):
    rng = ctx.rng("off")
    off = make_case(rng, (3, 4, 4, 1), 1, 5, 0.8, 0.1, use_batch_norm=False)
    for layer, mode in ((1, "train"), (2, "test"), (3, "train")):
        case = off.with_Z(np.round(rng.normal(size=(off.layer_dims[layer], 5)) * 2, 2), layer)
        fixed_case(describe(case, mode),
                   functools.partial(_pass_case, student, case, mode, "use_batch_norm_ignored"))
    _normalises_too(student, rng)


def _normalises_too(student, rng):
    """Passing Z through earns a point only from code that also normalises where it must:
    a stub that always returns Z does not get it for free."""
    normalised = make_case(rng, (3, 4, 4, 1), 1, 5, 0.8, 0.1)
    fixed_case(describe(normalised, "train"), functools.partial(_normalises, student, normalised))


def _normalises(student, case):
    got = call(student, case, "train")["out"]
    if type(got) is np.ndarray and got.shape == case.Z.shape and np.array_equal(got, case.Z):
        raise CheckFailed("batch_normalize returned Z unchanged for a hidden layer with use_batch_norm=True "
                          "in 'train' mode, which it must normalise. This check counts only when "
                          "batch_normalize normalises where it must and passes Z through where it must.",
                          "no_normalisation")


def _pass_case(student, case, mode, mistake):
    got = call(student, case, mode)
    try:
        expect_array("the output of batch_normalize", got["out"], case.Z, rtol=0, atol=0)
    except CheckFailed as failure:
        if failure.mistake not in (M.WRONG_VALUES, M.NOT_FINITE):
            raise
        raise CheckFailed(f"{failure.feedback} It should be Z itself.\n"
                          f"Likely mistake: {ref.MISTAKES.hint(mistake)}", mistake) from None
    for key in ("running_mean", "running_var"):
        _expect_unchanged(f"self.{key}", got[key], getattr(case, key), mistake)
    _expect_untouched(got, case)


# -- Hypothesis inputs for the properties ------------------------------------------------------------------

GAMMAS = (1.0, -1.0, 0.5, 2.0, -0.5, 3.0)
EPSILONS = (1e-5, 1e-8, 1e-3, 0.1, 1.0)
SPREADS = (1.0, 0.25, 0.5, 2.0, 4.0)


@st.composite
def property_cases(draw, min_m=2, max_m=8, constant=False, epsilons=EPSILONS):
    """A Case whose Z rows are offset + spread * k / 4 with small integers k (exact, and far
    from cancellation); `constant` makes at least one row constant. Hypothesis draws the
    shape and settings; the entries come from a drawn seed (drawing them one by one would
    cost more than the student's code)."""
    n = draw(st.integers(1, 4))
    m = draw(st.integers(min_m, max_m))
    layer = draw(st.sampled_from((1, 2)))
    epsilon = draw(st.sampled_from(epsilons))
    momentum = draw(st.sampled_from((0.9, 0.0, 0.5, 0.99)))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    ks = rng.integers(-8, 9, size=(n, m))
    offsets = rng.integers(-20, 21, size=(n, 1)) / 4
    spreads = rng.choice(SPREADS, size=(n, 1))
    if constant:
        flags = rng.random(n) < 0.5
        flags[0] = flags[0] or not flags.any()
        spreads[flags] = 0.0
    Z = offsets + spreads * ks / 4
    gamma = rng.choice(GAMMAS, size=(n, 1))
    beta = rng.integers(-8, 9, size=(n, 1)) / 4
    return _property_case(n, layer, Z, gamma, beta, epsilon, momentum)


def _property_case(n, layer, Z, gamma, beta, epsilon, momentum):
    """A network (2, n, n, 1) whose layer `layer` gets gamma/beta; the other hidden layer differs."""
    layer_dims = (2, n, n, 1)
    parameters = {"W1": np.full((n, 2), 0.5), "b1": np.zeros((n, 1)), "W2": np.full((n, n), 0.25),
                  "b2": np.zeros((n, 1)), "W3": np.full((1, n), 0.5), "b3": np.zeros((1, 1))}
    other = 3 - layer
    parameters[f"gamma{layer}"], parameters[f"beta{layer}"] = gamma, beta
    parameters[f"gamma{other}"], parameters[f"beta{other}"] = gamma * 1.5 + 0.25, beta - 0.5
    running_mean = {1: np.full((n, 1), 0.25), 2: np.full((n, 1), -0.25)}
    running_var = {1: np.full((n, 1), 1.5), 2: np.full((n, 1), 0.75)}
    return Case(layer_dims, layer, momentum, epsilon, parameters, running_mean, running_var, Z)


def _output_form(got, case):
    """The output, checked for type, shape and dtype (no expected values needed)."""
    out = got["out"]
    if type(out) is not np.ndarray or out.shape != case.Z.shape or out.dtype != np.float64:
        expect_array("the output of batch_normalize", out, np.zeros(case.Z.shape))  # raises, naming what is wrong
    return out


def _finite_output(got, case):
    """The output, checked in order: type, shape, dtype, finite (no expected values needed)."""
    out = _output_form(got, case)
    name = "the output of batch_normalize"
    if not np.isfinite(out).all():
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
        raise CheckFailed(f"{subject(name)} contains {out[index]} at index {index}; expected finite values.",
                          M.NOT_FINITE)
    return out


def _name_by_mirror(memo, case, mode, out, text):
    """Raise CheckFailed with `text`, naming a known mistake if the output matches one."""
    for mistake in _mistakes(memo, case, mode, "out"):
        if mistake.value.shape == out.shape and np.allclose(out, mistake.value, rtol=1e-6, atol=1e-9):
            raise CheckFailed(f"{text}\nLikely mistake: {mistake.hint}", mistake.name)
    raise CheckFailed(text, M.WRONG_VALUES)


# -- 5. mean beta, std |gamma| -------------------------------------------------------------------------------

@check("part6", "normalised_statistics",
       "In 'train' mode, each feature of the output has mean beta and (biased) standard deviation "
       "|gamma| * sqrt(var / (var + epsilon)), on random batches.", hidden=True,
       contract=('normalise each feature (row) over the m examples of the batch, with the biased variance '
                '(divide by m, like np.var):'))
def normalised_statistics(student, ctx):
    run_property(ctx, property_cases(), functools.partial(_statistics, student, ctx.memo),
                 lambda case: describe(case, "train"))


def _statistics(student, memo, case):
    out = _finite_output(call(student, case, "train"), case)
    gamma, beta = case.state()[:2]
    var = np.var(case.Z, axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        mean_out = np.mean(out, axis=1, keepdims=True)
        std_out = np.std(out, axis=1, keepdims=True)
    std_expected = np.abs(gamma) * np.sqrt(var / (var + case.epsilon))
    scale = 1 + np.abs(gamma) + np.abs(beta)
    for name, got, expected in (("mean", mean_out, beta), ("standard deviation", std_out, std_expected)):
        with np.errstate(all="ignore"):
            close = np.abs(got - expected) <= 1e-6 * np.abs(expected) + 1e-9 * scale
        if not close.all():
            i = int(np.argmin(close[:, 0]))
            text = (f"Feature {i} of your output has {name} {got[i, 0]:.6g} over the batch; expected "
                    f"{expected[i, 0]:.6g} (" + ("beta" if name == "mean" else
                                                 "|gamma| * sqrt(var / (var + epsilon))") + ").")
            _name_by_mirror(memo, case, "train", out, text)


# -- 6. invariance to a per-feature shift and scale -------------------------------------------------------------

@st.composite
def invariance_cases(draw):
    """(case, transformed case, shifts, scales); rows strictly increasing, so never constant."""
    n = draw(st.integers(1, 4))
    m = draw(st.integers(2, 8))
    layer = draw(st.sampled_from((1, 2)))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    Z = np.cumsum(rng.integers(1, 5, size=(n, m)), axis=1) / 4 - 1
    shifts = rng.integers(-20, 21, size=(n, 1)) / 4
    scales = rng.choice((2.0, 0.25, 0.5, 3.0, 4.0), size=(n, 1))
    gamma = rng.choice(GAMMAS, size=(n, 1))
    beta = rng.integers(-8, 9, size=(n, 1)) / 4
    case = _property_case(n, layer, Z, gamma, beta, 1e-12, 0.9)
    return case, case.with_Z(scales * Z + shifts), shifts, scales


@check("part6", "shift_and_scale_invariance",
       "In 'train' mode, shifting each feature of Z by a constant and scaling it by a positive factor "
       "leaves the output unchanged (epsilon = 1e-12).", hidden=True,
       contract='Z_norm = (Z - mu) / np.sqrt(var + self.epsilon)')
def shift_and_scale_invariance(student, ctx):
    def describe_pair(example):
        case, _, shifts, scales = example
        return f"{describe(case, 'train')}; then the same with scales * Z + shifts, scales = " \
               f"{_text(scales)}, shifts = {_text(shifts)}"

    run_property(ctx, invariance_cases(), functools.partial(_invariance, student, ctx.memo), describe_pair)


def _invariance(student, memo, example):
    case, moved, _, _ = example
    # Invariance only: an output that is infinite or huge somewhere is wrong, but that is the
    # other checks' to grade; here it must stay the same where Z is moved, inf for inf included,
    # so whether a draw hits a value exactly (a Z equal to its mean) decides nothing.
    out = _output_form(call(student, case, "train"), case)
    out_moved = _output_form(call(student, moved, "train"), moved)
    with np.errstate(all="ignore"):
        finite = np.abs(out[np.isfinite(out)])
        floor = 1e-8 * max(1.0, float(finite.max()) if finite.size else 1.0)
        close = np.isclose(out_moved, out, rtol=RTOL, atol=floor, equal_nan=True)
    if not close.all():
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        text = (f"Your output changed when Z was shifted and scaled: at index {index} it is "
                f"{out[index]:.6g} for Z and {out_moved[index]:.6g} for scales * Z + shifts (batch "
                f"normalisation removes each feature's mean and scale).")
        _name_by_mirror(memo, moved, "train", out_moved, text)


# -- 7. constant features ------------------------------------------------------------------------------------

@check("part6", "constant_feature",
       "In 'train' mode, a feature that is constant over the batch (or a batch of one example) gives "
       "finite values equal to beta, and finite running statistics.", hidden=True,
       contract=('A feature that is constant over the batch (a batch of one example included) has var = 0,'
                ' so its Z_norm is 0 and its output is beta: never NaN.'))
def constant_feature(student, ctx):
    run_property(ctx, property_cases(min_m=1, max_m=6, constant=True, epsilons=(1e-5, 1e-8, 1e-3)),
                 functools.partial(_constant, student, ctx.memo), lambda case: describe(case, "train"))


def _constant(student, memo, case):
    got = call(student, case, "train")
    out = got["out"]
    if type(out) is np.ndarray and out.shape == case.Z.shape and out.dtype.kind == "f" \
            and not np.isfinite(out).all():
        constant_rows = np.ptp(case.Z, axis=1) == 0
        mistake = "missing_epsilon" if np.isfinite(out[~constant_rows]).all() else None
        if mistake and case.Z.shape[1] == 1:
            # With one example, NaN also comes from the unbiased variance (m - 1 = 0): ask with two.
            twice = case.with_Z(np.concatenate([case.Z, case.Z], axis=1))
            again = call(student, twice, "train")["out"]
            if type(again) is np.ndarray and np.isfinite(again).all():
                mistake = "unbiased_variance"
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
        text = f"Your output contains {out[index]} at index {index}; expected finite values."
        if mistake is None:
            raise CheckFailed(text, M.NOT_FINITE)
        raise CheckFailed(f"{text[:-1]} (feature {index[0]} is constant over the batch).\n"
                          f"Likely mistake: {ref.MISTAKES.hint(mistake)}", mistake)
    gamma, beta, mean, var = case.state()
    expected = ref.batchnorm(memo, case.Z, gamma, beta, mean, var, case.momentum, case.epsilon, "train")
    scale = float(np.max(1 + np.abs(gamma) + np.abs(beta)))
    expect_array("the output of batch_normalize", out, expected["out"], atol=1e-9 * scale,
                 mistakes=_mistakes(memo, case, "train", "out"))
    for key in ("running_mean", "running_var"):
        running = expect_dict(f"self.{key}", got[key], [case.layer])
        try:
            expect_array(f"self.{key}[{case.layer}]", running[case.layer], expected[key],
                         mistakes=_mistakes(memo, case, "train", key))
        except CheckFailed as failure:
            if failure.mistake == M.NOT_FINITE and key == "running_var" and case.Z.shape[1] == 1:
                # One example: m - 1 = 0 in an unbiased variance.
                raise CheckFailed(f"{failure.feedback}\nLikely mistake: "
                                  f"{ref.MISTAKES.hint('running_var_unbiased')}", "running_var_unbiased") from None
            raise


# -- 8. the kit network's gradients ------------------------------------------------------------------------------

@check("part6", "network_gradients",
       "The kit's BatchNormNetwork, using your batch_normalize, has the output and gradients (dW, db, "
       "dgamma, dbeta; its backward pass reads your cache) given by finite differences of its cost.",
       hidden=True,
       contract=("The kit's backward_propagation reads these entries, so they must be the values this "
                'output was computed from.'))
def network_gradients(student, ctx):
    rng = ctx.rng("network")
    layer_dims, activation, momentum, epsilon, m = (3, 4, 3, 1), "tanh", 0.8, 0.01, 6
    case = make_case(rng, layer_dims, 1, m, momentum, epsilon)
    parameters = dict(case.parameters)
    for l in (1, 2, 3):  # larger weights than make_case's, so every layer matters
        parameters[f"W{l}"] = np.round(rng.normal(size=parameters[f"W{l}"].shape), 2)
    X = np.round(rng.normal(size=(3, m)), 2)
    Y = np.array([[1.0, 0.0] * (m // 2)])
    rng.shuffle(Y, axis=1)
    text = (f"BatchNormNetwork(layer_dims={list(layer_dims)}, activation={activation!r}) with momentum="
            f"{momentum:g}, epsilon={epsilon:g} and grader-chosen W, b, gamma, beta; forward_propagation(X, "
            f"'train') and backward_propagation(X, Y) with X = {_text(X)}, Y = {_text(Y)}")
    network_case = Case(layer_dims, 1, momentum, epsilon, parameters, case.running_mean, case.running_var, case.Z,
                        activation=activation)
    fixed_case(text, functools.partial(_network_case, student, ctx.memo, network_case, X, Y))


def network(student, case, X, Y, mode):
    """The kit's BatchNormNetwork (batch norm on) with the case's settings and the student's
    batch_normalize: forward_propagation(X, mode) and, in 'train' mode, backward_propagation(X, Y).
    Returns {"AL", "running_mean", "running_var"[, "gradients"]}."""
    init, attributes = network_state(case, use_batch_norm=True)
    calls = [("forward_propagation", (X, mode), {})]
    if mode == "train":
        calls.append(("backward_propagation", (X, Y), {}))
    out = student.call_method("batch_normalize", init=init, attributes=attributes, calls=calls,
                              read=("running_mean", "running_var"))
    result = {"AL": out["calls"][0]["result"], **out["read"]}
    if mode == "train":
        result["gradients"] = out["calls"][1]["result"]
    return result


def _network_key_error_mistake(error, L):
    """The mistake a KeyError during the network's forward and backward pass shows, or None."""
    if not error.is_a("KeyError"):
        return None
    key = error.message.strip().strip("'\"")
    if re.fullmatch(r"(Z_norm|mu|var)\d+", key):
        return "cache_entries_missing"
    if re.fullmatch(r"[AZ]\d+", key):
        return "cache_replaced"
    if key in ("gamma0", "beta0", "0"):
        return "layer_off_by_one"
    if key in (f"gamma{L}", f"beta{L}", str(L)):
        return "last_layer_normalised"
    return None


def _network_case(student, memo, case, X, Y):
    layer_dims, activation, epsilon, parameters = case.layer_dims, case.activation, case.epsilon, case.parameters
    try:
        got = network(student, case, X, Y, "train")
    except StudentError as error:
        mistake = _network_key_error_mistake(error, case.num_layers)
        if mistake is None:
            raise
        raise CheckFailed(f"Your code raised KeyError: {error.message} during the network's forward and "
                          f"backward pass.\nLikely mistake: {ref.MISTAKES.hint(mistake)}", mistake) from None
    expect_array("the network's output AL", got["AL"],
                 ref.network_output(memo, layer_dims, activation, parameters, X, epsilon))
    gradients = expect_dict("the gradients", got["gradients"])
    expected = ref.finite_differences(memo, layer_dims, activation, parameters, X, Y, epsilon)
    for key, value in expected.items():
        if key not in gradients:
            raise CheckFailed(f"The kit's backward pass returned no {key!r}.", M.MISSING_KEYS)
        try:
            expect_array(key, gradients[key], value, rtol=FD_RTOL, atol=FD_ATOL)
        except CheckFailed as failure:
            raise CheckFailed(f"{failure.feedback} (expected: central finite differences of the cost)\n"
                              f"Likely mistake: {ref.MISTAKES.hint('cache_inconsistent')}",
                              "cache_inconsistent") from None


# -- for make mutants: is a surviving mutant equivalent to the reference? -------------------------

def equivalence_cases(rng, count):
    """[(description, (Case, mode, cache))]: edge cases first (one example, square weights, a
    constant feature, the last layer, test mode, batch norm off, a cache holding another
    layer's entries), then `count` random calls."""
    specs = [((3, 2, 1), 1, 1, "train", "one example"), ((3, 4, 4, 1), 2, 5, "train", "square weights"),
             ((3, 3, 1), 1, 6, "train", "constant feature"), ((3, 3, 1), 2, 4, "train", "the last layer"),
             ((3, 3, 1), 1, 4, "test", "test mode"), ((3, 3, 1), 1, 4, "train", "batch norm off"),
             ((2, 3, 3, 1), 2, 4, "train", "cache of another layer")]
    for _ in range(count):
        dims = tuple(int(n) for n in rng.integers(1, 5, size=int(rng.integers(2, 5)))) + (1,)
        layer = int(rng.integers(1, len(dims)))
        specs.append((dims, layer, int(rng.integers(1, 7)), str(rng.choice(["train", "test"])), "random"))
    cases = []
    for dims, layer, m, mode, label in specs:
        momentum = float(rng.choice([0.9, 0.5, 0.99]))
        epsilon = float(rng.choice([1e-5, 1e-3, 0.1]))
        case = make_case(rng, dims, layer, m, momentum, epsilon, use_batch_norm=label != "batch norm off")
        Z = case.Z.copy()
        if label == "constant feature":
            Z[1] = 0.7
        cache = {}
        if label == "cache of another layer":
            cache = {"Z_norm1": np.ones((dims[1], m)), "mu1": np.zeros((dims[1], 1)), "A0": np.ones((dims[0], m))}
        cases.append((f"{label}: layer_dims={list(dims)}, layer_num={layer}, mode={mode!r}, Z {Z.shape}, "
                      f"momentum={momentum}, epsilon={epsilon}", (case.with_Z(Z), mode, cache)))
    return cases


def observe(student, call_case):
    """What batch_normalize returns and leaves behind on one equivalence case."""
    case, mode, cache = call_case
    return batchnorm(student, case, mode, cache)


EQUIVALENCE = Equivalence(equivalence_cases, observe, (RTOL, ATOL, 0.0))


# -- the feedback page's plot: normalised activations against Keras -----------------------------------

# One batch-normalised layer with 3 features of different scales.
PROBE_DIMS = (4, 3, 1)
PROBE_EXAMPLES = 64
PROBE_MOMENTUM = 0.9
PROBE_EPSILON = 1e-5
PROBE_SEED = 46
PROBE_GAMMA = ((1.5,), (0.5,), (2.0,))
PROBE_BETA = ((0.2,), (-1.0,), (0.5,))


def probe_case():
    """A (4, 3, 1) network's layer 1 with fresh running statistics, and Z (3, 64) with
    per-feature means and scales."""
    rng = np.random.default_rng(PROBE_SEED)
    n = PROBE_DIMS[1]
    parameters = {
        "W1": rng.standard_normal((n, PROBE_DIMS[0])), "b1": np.zeros((n, 1)),
        "W2": rng.standard_normal((1, n)), "b2": np.zeros((1, 1)),
        "gamma1": np.array(PROBE_GAMMA), "beta1": np.array(PROBE_BETA),
    }
    means = np.array([[3.0], [-2.0], [0.5]])
    scales = np.array([[2.0], [0.5], [5.0]])
    Z = means + scales * rng.standard_normal((n, PROBE_EXAMPLES))
    return Case(PROBE_DIMS, 1, PROBE_MOMENTUM, PROBE_EPSILON, parameters, {1: np.zeros((n, 1))},
                {1: np.ones((n, 1))}, Z)


def probe(student, memo):
    """The chart of the student's 'train' output against Keras', activation by activation, or None."""
    case = probe_case()
    gamma, beta, mean, var = case.state()
    expected = ref.keras_batchnorm(memo, case.Z, gamma, beta, mean, var, case.momentum, case.epsilon, True)["out"]
    out = batchnorm(student, case, "train")["out"]
    if type(out) is not np.ndarray or out.shape != case.Z.shape or out.dtype.kind != "f":
        return None
    got = [[float(v) if math.isfinite(v) else None for v in row] for row in out.astype(np.float64)]
    return activations_chart(expected.tolist(), got)


def activations_chart(expected, got):
    """The Chart of the student's activations `got` (rows: features; None where not finite)
    against Keras' `expected`, one series per feature."""
    series, rows = [], []
    for feature, (mine, keras) in enumerate(zip(got, expected), start=1):
        pairs = [[k, y] for k, y in zip(keras, mine) if _finite(k) and _finite(y)]
        series.append({"label": f"feature {feature}", "role": "group", "points": pairs})
        if not pairs:
            rows.append([str(feature), "no finite values", "", ""])
            continue
        gap = max(abs(y - k) for k, y in pairs)
        rows.append([str(feature), chart_number(gap), _spread([y for _, y in pairs]), _spread([k for k, _ in pairs])])
    caption = ("Train mode on 3 features x 64 examples with gamma = (1.5, 0.5, 2) and beta = (0.2, -1, 0.5): "
               "each point is one activation. Correct code puts every point on the dashed line.")
    return Chart("scatter", "Batch normalisation: yours against Keras", caption, "Keras BatchNormalization output",
                 "your batch_normalize output", series,
                 {"headers": ["feature", "largest |yours − Keras|", "yours: mean, sd", "Keras: mean, sd"],
                  "rows": rows})


def _finite(value):
    return isinstance(value, (int, float)) and math.isfinite(value)


def _spread(values):
    mean = math.fsum(values) / len(values)
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))
    return f"{chart_number(mean)}, {chart_number(sd)}"


PROBE = probe
