"""Part 9: diagnose_gradient_health(network, X, Y, threshold_vanishing, threshold_exploding).

The network is a stand-in whose gradients the grader chose (SuppliedNetwork, the kit code
below, built in the worker), so a Part 2 bug cannot cost Part 9 points: after a forward pass on
the X under diagnosis its backward pass returns the `fresh` gradients, otherwise the
`stale` gradients of an earlier batch. Stale norms sit in a different class than fresh
ones in every layer, and db norms in a third one, so using them is always visible.
Gradients come in the kit's order (dW{L}, db{L}, ..., dW1, db1).

Checks, in the order students see them:
1. classification: Hypothesis draws depths, per-layer dW norms spanning vanishing,
   healthy and exploding, default thresholds; plus an 11-layer network (layer 10 after 9).
2. thresholds_used: the same with thresholds passed positionally.
3. gradient_norms_and_flow_ratio: gradient_norms = {'layer_l': float}, flow_ratio = first / last.
4. fresh_forward_pass (hidden): forward_propagation(X) on the X given, before backward_propagation.
5. healthy_network_recommendation: an all-healthy network still gets a recommendation
   (the contract says so; returning [] there is the plausible literal reading it rules out).
6. recommendations (hidden): non-empty strings; clipping advice when a layer explodes;
   activation / initialization / normalization advice when one vanishes.
7. zero_gradient_edge_cases (hidden): all-zero dW (flow_ratio inf, also 0/0), first layer
   zero (flow_ratio 0), a single layer (flow_ratio 1).

Boundaries: the contract says `< threshold_vanishing` and `> threshold_exploding`. Drawn
norms stay at least 0.1% away from both thresholds, so `<` versus `<=` is never graded:
equally correct ways of computing a norm may differ in the last bit.
Recommendations must be a non-empty list in every case (the lab's own diagnosis says
when the gradient flow looks healthy); wording is free, only keywords are looked for.

Expected values are the reference's (references/part9_diagnosis.diagnose, through the grader's
memo); a wrong answer is explained by the first mistake of that module's MISTAKES table whose
replay gives it, or by what was returned, raised or called.
"""
import functools
import math
import re

import numpy as np
from hypothesis import strategies as st

from autograder import mistakes as M
from autograder.references import part9_diagnosis as ref
from autograder.sandbox.student import KitObject
from autograder.sandbox.workers import StudentError
from autograder.checks import CheckFailed, Equivalence, check
from autograder.checks.common import (ATOL, RTOL, expect_dict, expect_number, fixed_case, kind, replayed,
                                      run_property)

KINDS = ("vanishing", "healthy", "exploding")
MARGIN = 1.001   # every drawn norm is at least 0.1% away from a threshold
DB_KIND = {"vanishing": "healthy", "healthy": "exploding", "exploding": "vanishing"}
STALE_KIND = {"vanishing": "exploding", "healthy": "vanishing", "exploding": "healthy"}
CLIPPING = re.compile(r"clip", re.IGNORECASE)
VANISHING_ADVICE = re.compile(r"relu|activation|initiali[sz]|xavier|glorot|\bhe\b|normali[sz]|batch|"
                              r"residual|skip", re.IGNORECASE)


# -- inputs ----------------------------------------------------------------------------------

class Network:
    """A grader-made network: its dims, the gradients it hands out (`fresh` after a forward pass on
    X, `stale` before) and the thresholds it is diagnosed with."""

    def __init__(self, layer_dims, fresh, stale, parameters, X, Y, AL, thresholds):
        self.layer_dims, self.fresh, self.stale = list(layer_dims), fresh, stale
        self.parameters, self.X, self.Y, self.AL = parameters, X, Y, AL
        self.thresholds = thresholds  # None: the defaults; else passed positionally

    @property
    def num_layers(self):
        return len(self.layer_dims) - 1

    @property
    def used_thresholds(self):
        return self.thresholds or ref.DEFAULT_THRESHOLDS

    def expected(self, memo):
        """The diagnosis the contract asks for (the reference's, through the grader's memo)."""
        return ref.diagnose(memo, self.fresh, self.num_layers, *self.used_thresholds)


def layer_norms(gradients, num_layers, prefix="dW"):
    """[norm of {prefix}1, ..., {prefix}L], as feedback quotes them (expected values come from
    the reference)."""
    return [float(np.linalg.norm(gradients[f"{prefix}{l}"])) for l in range(1, num_layers + 1)]


def norm_in(kind, position, low, high):
    """A norm of class `kind`, log-uniform at `position` (0-1) inside its range, MARGIN from the ends."""
    if kind == "zero":
        return 0.0
    lo, hi = {"vanishing": (low * 1e-3, low / MARGIN), "healthy": (low * MARGIN, high / MARGIN),
              "exploding": (high * MARGIN, high * 1e3)}[kind]
    return float(np.exp(np.log(lo) + position * (np.log(hi) - np.log(lo))))


def _with_norm(rng, shape, norm):
    direction = rng.normal(size=shape)
    return direction / np.linalg.norm(direction) * norm


def make_network(rng, layer_dims, kinds, positions, thresholds=None, stale_differs=True):
    """Gradients whose dW{l} norms fall in `kinds` (a class or 'zero' per layer); db and the stale
    dW sit in other classes (DB_KIND, STALE_KIND). With stale_differs=False the stale gradients
    are the fresh ones, for checks that judge something other than the forward pass."""
    low, high = thresholds or ref.DEFAULT_THRESHOLDS
    L = len(layer_dims) - 1
    fresh, stale, parameters = {}, {}, {}
    for l in reversed(range(1, L + 1)):  # the kit's order: the last layer first
        shape, kind, position = (layer_dims[l], layer_dims[l - 1]), kinds[l - 1], positions[l - 1]
        fresh[f"dW{l}"] = _with_norm(rng, shape, norm_in(kind, position, low, high))
        other = "healthy" if kind == "zero" else DB_KIND[kind]
        fresh[f"db{l}"] = _with_norm(rng, (layer_dims[l], 1), norm_in(other, 1 - position, low, high))
        old = "healthy" if kind == "zero" else STALE_KIND[kind]
        stale[f"dW{l}"] = _with_norm(rng, shape, norm_in(old, position, low, high))
        stale[f"db{l}"] = _with_norm(rng, (layer_dims[l], 1), norm_in("healthy", 0.5, low, high))
    for l in range(1, L + 1):
        parameters[f"W{l}"] = np.round(rng.normal(size=(layer_dims[l], layer_dims[l - 1])) * 0.5, 2)
        parameters[f"b{l}"] = np.zeros((layer_dims[l], 1))
    if not stale_differs:
        stale = {key: value.copy() for key, value in fresh.items()}
    m = 4
    X = np.round(rng.normal(size=(layer_dims[0], m)), 2)
    Y = np.array([[1.0, 0.0, 1.0, 0.0]])
    AL = np.round(rng.uniform(0.2, 0.8, size=(1, m)), 2)
    return Network(layer_dims, fresh, stale, parameters, X, Y, AL, thresholds)


@st.composite
def networks(draw, explicit=False):
    """Depth 1-6, widths 1-4 (output 1), a class and a position per layer, thresholds. Hypothesis
    draws the depth and thresholds; the rest comes from a drawn seed (cheaper than drawing each)."""
    L = draw(st.integers(1, 6))
    thresholds = None
    if explicit:
        low = float(f"{10 ** draw(st.floats(-4, 0)):.3g}")
        high = float(f"{low * 10 ** draw(st.floats(1, 4)):.3g}")
        thresholds = (low, high)
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    layer_dims = [int(n) for n in rng.integers(1, 5, size=L)] + [1]
    kinds = [KINDS[k] for k in rng.integers(0, 3, size=L)]
    return make_network(rng, layer_dims, kinds, rng.random(L), thresholds)


def describe(net):
    norms = ", ".join(f"{n:.4g}" for n in layer_norms(net.fresh, net.num_layers))
    db = ", ".join(f"{n:.4g}" for n in layer_norms(net.fresh, net.num_layers, "db"))
    thresholds = ("the default thresholds (0.01, 100)" if net.thresholds is None else
                  f"thresholds passed as diagnose_gradient_health(network, X, Y, {net.thresholds[0]:g}, "
                  f"{net.thresholds[1]:g})")
    return (f"a network with layer_dims={net.layer_dims} whose backward_propagation(X, Y) returns dW "
            f"norms [{norms}] (layer 1 first; db norms [{db}]), {thresholds}")


# -- calling the student ------------------------------------------------------------------------

def diagnose(student, net, activation="sigmoid"):
    """The student's diagnose_gradient_health(network, X, Y[, *thresholds]) on a SuppliedNetwork
    (KIT_CODE below) holding `net`'s gradients: {"result": what it returned, "calls": the calls
    made on the network, [{"method", ...}] in call order}."""
    network = KitObject("SuppliedNetwork", (net.layer_dims, activation, net.parameters, net.fresh, net.stale,
                                            net.X, net.AL, net.Y), read=("calls",))
    out = student.call("diagnose_gradient_health", network, net.X, net.Y, *(net.thresholds or ()))
    return {"result": out["result"], "calls": out["args_after"][0]["calls"]}


def call(student, net):
    """diagnose(student, net); a ZeroDivisionError is named (the flow ratio's last norm is 0)."""
    try:
        return diagnose(student, net)
    except StudentError as error:
        if error.is_a("ZeroDivisionError") or error.is_a("FloatingPointError"):
            _fail(f"Your code raised {error.type}: {error.message}", "zero_division")
        raise


def _diagnosis(answer, keys=ref.LISTS):
    return expect_dict("the diagnosis (the dict diagnose_gradient_health returns)", answer["result"], keys)


def _fail(text, mistake=None, default=M.WRONG_VALUES):
    """Fail with `text`, naming `mistake` (an id of ref.MISTAKES) and its hint; else `default`."""
    if mistake:
        raise CheckFailed(f"{text}\nLikely mistake: {ref.MISTAKES.hint(mistake)}", mistake) from None
    raise CheckFailed(text, default)


# -- known mistakes ---------------------------------------------------------------------------------

# stale_gradients has no replay (the fresh gradients do not hold the stale ones): what it gives
# is the true diagnosis of the gradients a backward pass without a fresh forward pass returns.
STALE = "stale_gradients"


def _replays(memo, net):
    """(mistake id, the diagnosis it gives on `net`) for each known mistake that gives one here,
    in the table's order."""
    args = (net.num_layers, *net.used_thresholds)
    for entry in ref.MISTAKES.values():
        if entry.id == STALE:
            stale = replayed(ref.diagnose, memo, net.stale, *args)
            if stale is not None:
                yield entry.id, stale
        elif entry.wrong is not None:
            replay = entry.wrong(memo, net.fresh, *args)
            if replay is not None:
                yield entry.id, replay


def _explaining(memo, net, fits):
    """The first known mistake whose diagnosis on `net` fits (fits(diagnosis) -> bool), or None."""
    return next((key for key, replay in _replays(memo, net) if fits(replay)), None)


# -- classification ---------------------------------------------------------------------------------

def _layer_list(name, value):
    """A list of layer numbers as Python ints (lists, tuples and 1-D integer arrays accepted)."""
    if type(value) is np.ndarray and value.ndim == 1 and value.dtype.kind in "iu":
        return [int(v) for v in value]
    if type(value) not in (list, tuple):
        raise CheckFailed(f"`{name}` should be a list of layer numbers, got {kind(value)}.", M.WRONG_TYPE)
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (int, np.integer)):
            raise CheckFailed(f"`{name}` should hold layer numbers (ints), but it holds {item!r} "
                              f"({kind(item)}).", M.WRONG_TYPE)
    return [int(v) for v in value]


def _lists_text(lists):
    return ", ".join(f"{name}={lists[name]}" for name in ref.LISTS)


def expect_classification(memo, answer, net):
    """The three lists, as the contract's classification of the fresh dW norms."""
    diagnosis = _diagnosis(answer)
    got = {name: _layer_list(name, diagnosis[name]) for name in ref.LISTS}
    expected = net.expected(memo)
    if all(got[name] == expected[name] for name in ref.LISTS):
        return
    text = f"Your diagnosis has {_lists_text(got)}; expected {_lists_text(expected)}."
    _fail(text, _classification_mistake(memo, got, net))


def _classification_mistake(memo, got, net):
    replayed = _explaining(memo, net, lambda replay: all(got[key] == replay[key] for key in ref.LISTS))
    if replayed:
        return replayed
    # No replay fits exactly: two of the table's mistakes still show in the lists' shape.
    expected = net.expected(memo)
    layers = [layer for key in ref.LISTS for layer in got[key]]
    if len(layers) != len(set(layers)):
        return "layer_in_two_lists"
    if all(sorted(got[key]) == expected[key] for key in ref.LISTS):
        return "not_ascending"
    return None


DEEP_KINDS = ("vanishing",) * 4 + ("healthy",) * 4 + ("exploding", "exploding", "healthy")


@check("part9", "classification",
       "Each layer is in exactly one of vanishing_layers, healthy_layers, exploding_layers (numbered from "
       "1, ascending), by the Frobenius norm of its dW, with the default thresholds.",
       contract='lists of layer numbers (ints, 1-based, ascending); every layer is in exactly one list')
def classification(student, ctx):
    for net in classification_networks(ctx):
        fixed_case(describe(net), functools.partial(_classified, student, ctx.memo, net))
    run_property(ctx, networks(), functools.partial(_classified, student, ctx.memo), describe)


def classification_networks(ctx):
    """The fixed networks of the classification check: 11 layers (layer 10 after 9), and norms
    just MARGIN inside each side of both default thresholds, where other thresholds show."""
    rng = ctx.rng("deep")
    deep = make_network(rng, [3] + [2] * 10 + [1], DEEP_KINDS, rng.uniform(0.1, 0.9, size=11))
    edge = make_network(ctx.rng("boundaries"), [3, 2, 2, 2, 1], ("vanishing", "healthy", "healthy", "exploding"),
                        (1.0, 0.0, 1.0, 0.0))
    return deep, edge


def _classified(student, memo, net):
    expect_classification(memo, call(student, net), net)


@check("part9", "thresholds_used",
       "The thresholds passed in (threshold_vanishing, threshold_exploding, positionally) are the ones "
       "the layers are classified by.",
       contract=('Classify with the thresholds passed in (threshold_vanishing, threshold_exploding), '
                'whatever their values.'))
def thresholds_used(student, ctx):
    net = thresholds_network(ctx)
    fixed_case(describe(net), functools.partial(_classified, student, ctx.memo, net))
    run_property(ctx, networks(explicit=True), functools.partial(_classified, student, ctx.memo), describe)


def thresholds_network(ctx):
    """The fixed network of the thresholds_used check, diagnosed with thresholds (0.001, 10)."""
    return make_network(ctx.rng("fixed"), [3, 4, 3, 1], ("healthy", "exploding", "vanishing"), (0.9, 0.1, 0.5),
                        (0.001, 10.0))


# -- gradient norms and flow ratio ----------------------------------------------------------------------

def _norm_value(name, value):
    if type(value) is np.ndarray and value.ndim >= 1:
        _fail(f"`{name}` is an array of shape {value.shape}; expected a number.", "norm_not_float")
    return expect_number(name, value)


def expect_norms_and_ratio(memo, answer, net):
    diagnosis = _diagnosis(answer, ("gradient_norms", "flow_ratio"))
    L = net.num_layers
    keys = [f"layer_{l}" for l in range(1, L + 1)]
    norms = diagnosis["gradient_norms"]
    if type(norms) is not dict:
        raise CheckFailed(f"`gradient_norms` should be a dict {{'layer_1': norm, ...}}, got {kind(norms)}.",
                          M.WRONG_TYPE)
    missing = [k for k in keys if k not in norms]
    if missing:
        mistake = "zero_based_keys" if "layer_0" in norms else None
        _fail(f"`gradient_norms` has no {', '.join(repr(k) for k in missing)}; it has "
              f"{', '.join(repr(k) for k in norms) or 'no keys'}.", mistake, M.MISSING_KEYS)
    got = [_norm_value(f"gradient_norms['{k}']", norms[k]) for k in keys]
    truth = net.expected(memo)
    expected = [truth["gradient_norms"][k] for k in keys]
    with np.errstate(all="ignore"):  # the student's numbers may be inf or nan
        close = np.isclose(got, expected, rtol=RTOL, atol=0)
    if not close.all():
        l = int(np.argmin(close)) + 1
        mistake = _explaining(memo, net, lambda replay: _same_norms(got, replay, keys)
                              and not _same_norms(expected, replay, keys))
        _fail(f"`gradient_norms['layer_{l}']` is {got[l - 1]:.6g}, expected {expected[l - 1]:.6g} (the "
              f"Frobenius norm of dW{l}).", mistake)
    ratio = _norm_value("flow_ratio", diagnosis["flow_ratio"])
    want = truth["flow_ratio"]
    if ratio == want or (math.isfinite(want) and math.isclose(ratio, want, rel_tol=RTOL)):
        return
    mistake = _explaining(memo, net, lambda replay: _same_ratio(ratio, replay["flow_ratio"])
                          and not _same_ratio(want, replay["flow_ratio"]))
    last_zero = expected[-1] == 0
    if mistake is None and last_zero:
        mistake = "nan_flow_ratio" if math.isnan(ratio) else "zero_division"
    _fail(f"`flow_ratio` is {ratio:.6g}, expected {want:.6g} (norm of dW1 / norm of dW{L}"
          f"{'; inf when the last is 0' if last_zero else ''}).", mistake)


def _same_norms(values, diagnosis, keys):
    """Whether `values` (one per key of `keys`) are a diagnosis's gradient norms, to RTOL."""
    norms = diagnosis["gradient_norms"]
    if any(key not in norms for key in keys):
        return False
    with np.errstate(all="ignore"):
        return bool(np.allclose(values, [norms[key] for key in keys], rtol=RTOL, atol=0))


def _same_ratio(value, wrong):
    """Whether flow ratio `value` is a mistake's finite flow ratio `wrong`, to RTOL."""
    return math.isfinite(wrong) and math.isclose(value, wrong, rel_tol=RTOL, abs_tol=1e-300)


@check("part9", "gradient_norms_and_flow_ratio",
       "gradient_norms maps 'layer_l' to the Frobenius norm of dW{l} (a number) and flow_ratio is the "
       "norm of layer 1 divided by that of the last layer.",
       contract="'flow_ratio': float, the norm of layer 1 divided by the norm of the last layer")
def gradient_norms_and_flow_ratio(student, ctx):
    # A last layer whose norm is far below 1, for sure: a ratio that mishandles small last norms
    # must not pass or fail by whether the draw made one.
    rng = ctx.rng("small last norm")
    net = make_network(rng, [3, 4, 3, 1], ("healthy", "healthy", "vanishing"), (0.5, 0.5, 0.5),
                       stale_differs=False)
    fixed_case(describe(net), functools.partial(_norms_checked, student, ctx.memo, net))
    run_property(ctx, networks(), functools.partial(_norms_checked, student, ctx.memo), describe)


def _norms_checked(student, memo, net):
    expect_norms_and_ratio(memo, call(student, net), net)


# -- a fresh forward pass ---------------------------------------------------------------------------------

@check("part9", "fresh_forward_pass",
       "The diagnosis runs network.forward_propagation(X) on the X it was given, then "
       "network.backward_propagation(X, Y), so it diagnoses the gradients of (X, Y).", hidden=True,
       contract=('Runs a fresh network.forward_propagation(X) and network.backward_propagation(X, Y) '
                '(never reuse gradients of an earlier batch)'))
def fresh_forward_pass(student, ctx):
    rng = ctx.rng("fixed")
    for kinds, thresholds in ((("vanishing", "healthy", "exploding"), None),
                              (("healthy", "exploding", "vanishing"), (0.001, 10.0))):
        net = make_network(rng, [3, 4, 3, 1], kinds, rng.uniform(0.2, 0.8, size=3), thresholds)
        fixed_case(describe(net) + " (before a forward pass on X it returns an earlier batch's gradients)",
                   functools.partial(_fresh_case, student, net))


def _fresh_case(student, net):
    """The forward pass just before the first backward pass must be on the X under diagnosis."""
    calls = call(student, net)["calls"]
    methods = [c["method"] for c in calls]
    order = " -> ".join(methods) or "no calls"
    if "backward_propagation" not in methods:
        _fail(f"The network's backward_propagation was never called (calls: {order}).", "backward_not_called")
    before = calls[:methods.index("backward_propagation")]
    forwards = [c for c in before if c["method"] == "forward_propagation"]
    if forwards and forwards[-1].get("same_X"):
        backward = calls[methods.index("backward_propagation")]
        # A real network's backward pass takes m from X and the labels from Y: both must be the ones given.
        if backward.get("same_X") is False or backward.get("same_Y") is False:
            _fail(f"backward_propagation was not called as backward_propagation(X, Y) with the X and Y "
                  f"given to diagnose_gradient_health (X same: {backward.get('same_X')}, Y same: "
                  f"{backward.get('same_Y')}).", "backward_on_other_data")
        return
    if forwards:
        _fail(f"The forward pass before backward_propagation was not on the X given to "
              f"diagnose_gradient_health (calls: {order}).", "forward_on_other_data")
    if "forward_propagation" in methods:
        _fail(f"backward_propagation ran before forward_propagation(X) (calls: {order}).",
              "backward_before_forward")
    _fail(f"The network's forward_propagation was never called (calls: {order}).", "no_forward_pass")


# -- recommendations ------------------------------------------------------------------------------------------

HEALTHY = "A healthy network gets at least one recommendation too (for example that the gradient flow " \
          "looks healthy): recommendations is never empty."


@check("part9", "healthy_network_recommendation",
       "A network whose layers are all healthy still gets a non-empty list of non-empty recommendations.",
       contract=HEALTHY)
def healthy_network_recommendation(student, ctx):
    rng = ctx.rng("healthy")
    for layer_dims in ([3, 4, 1], [3, 4, 3, 1]):
        kinds = ("healthy",) * (len(layer_dims) - 1)
        # Each norm in the middle of its class: which side of 1 a norm falls must not vary with the draw.
        net = make_network(rng, layer_dims, kinds, [0.5] * len(kinds), stale_differs=False)
        fixed_case(describe(net), functools.partial(_healthy_case, student, net))


def _healthy_case(student, net):
    # Only emptiness is graded here: a list of the wrong kind costs the (hidden) recommendations
    # check, not this one too.
    items = _diagnosis(call(student, net), ("recommendations",))["recommendations"]
    if items is None or (type(items) in (list, tuple, str) and not items):
        _fail(f"`recommendations` is empty for a network whose layers are all healthy. The docstring says: "
              f"\"{HEALTHY}\"", "missing_recommendations")


def _recommendation_list(student, net):
    """The recommendations, checked to be a list of non-empty strings (possibly empty)."""
    items = _diagnosis(call(student, net), ("recommendations",))["recommendations"]
    if type(items) not in (list, tuple):
        raise CheckFailed(f"`recommendations` should be a list of strings, got {kind(items)}.", M.WRONG_TYPE)
    for item in items:
        if type(item) is not str or not item.strip():
            _fail(f"`recommendations` should hold non-empty strings; it holds {item!r}.",
                  "missing_recommendations")
    return items


# The all-healthy case is the public check above; these grade the advice itself.
RECOMMENDATION_CASES = (  # layer_dims, kinds
    ([3, 4, 3, 1], ("healthy", "vanishing", "healthy")),
    ([3, 4, 3, 1], ("healthy", "healthy", "exploding")),
    ([3, 4, 3, 2, 1], ("vanishing", "healthy", "exploding", "healthy")),
)


@check("part9", "recommendations",
       "recommendations is a non-empty list of non-empty strings, advising gradient clipping when a layer "
       "explodes and a ReLU-family activation, Xavier/He initialization or batch normalization when one "
       "vanishes.", hidden=True,
       contract=('When any layer explodes, one recommendation mentions gradient clipping (the word '
                '"clipping"). When any layer vanishes, one mentions a ReLU-family activation, Xavier/He '
                'initialization or (batch) normalization.'))
def recommendations(student, ctx):
    rng = ctx.rng("fixed")
    for layer_dims, kinds in RECOMMENDATION_CASES:
        # Each norm in the middle of its class: which side of 1 a norm falls must not vary with the draw.
        net = make_network(rng, layer_dims, kinds, [0.5] * len(kinds), stale_differs=False)
        fixed_case(describe(net), functools.partial(_recommendation_case, student, ctx.memo, net))


def _recommendation_case(student, memo, net):
    items = _recommendation_list(student, net)
    if not items:
        _fail("`recommendations` is empty.", "missing_recommendations")
    expected = net.expected(memo)
    text = " ".join(items)
    if expected["exploding_layers"] and not CLIPPING.search(text):
        _fail(f"Layers {expected['exploding_layers']} explode, but no recommendation mentions gradient "
              f"clipping: {items!r}.", "no_clipping_advice")
    if expected["vanishing_layers"] and not VANISHING_ADVICE.search(text):
        _fail(f"Layers {expected['vanishing_layers']} vanish, but no recommendation mentions an activation "
              f"(ReLU), an initialization (Xavier/He) or (batch) normalization: {items!r}.",
              "no_vanishing_advice")


# -- zero gradients ---------------------------------------------------------------------------------------------

EDGE_CASES = (  # layer_dims, kinds
    ([3, 4, 3, 1], ("healthy", "exploding", "zero")),
    ([3, 4, 3, 1], ("zero", "healthy", "healthy")),
    ([3, 1], ("healthy",)),
    ([3, 2, 1], ("zero", "zero")),
)


@check("part9", "zero_gradient_edge_cases",
       "A layer whose dW is all zeros is vanishing; flow_ratio is inf when the last layer's norm is 0 "
       "(even if the first is 0 too), 0 when only the first is, and 1 for a single layer.", hidden=True,
       contract="(float('inf') when the last layer's norm is 0, even if layer 1's is 0 too)")
def zero_gradient_edge_cases(student, ctx):
    rng = ctx.rng("fixed")
    for layer_dims, kinds in EDGE_CASES:
        # Each norm in the middle of its class: which side of 1 a norm falls must not vary with the draw.
        net = make_network(rng, layer_dims, kinds, [0.5] * len(kinds), stale_differs=False)
        fixed_case(describe(net), functools.partial(_edge_case, student, ctx.memo, net))


def _edge_case(student, memo, net):
    expect_diagnosis(memo, call(student, net), net)


def expect_diagnosis(memo, answer, net):
    """The lists first, then the norms and the flow ratio."""
    expect_classification(memo, answer, net)
    expect_norms_and_ratio(memo, answer, net)


# -- kit code the worker needs: the network that stands in for the student's ---------------------

# Run in the worker's kit namespace after the release's definitions (NumPy only). `diagnose`
# above builds one per call as a KitObject and reads its `calls` back.
KIT_CODE = '''
import numpy as np


class SuppliedNetwork:
    """A network whose gradients the grader chose, standing in for the kit's.

    Until forward_propagation sees the X under diagnosis, backward_propagation
    returns the stale gradients of an earlier batch, as a real network's cache
    would: a diagnosis that skips the fresh forward pass classifies those.
    """

    def __init__(self, layer_dims, activation, parameters, fresh, stale, X, AL, Y=None):
        self.layer_dims = list(layer_dims)
        self.num_layers = len(layer_dims) - 1
        self.activation = activation
        self.parameters = {key: value.copy() for key, value in parameters.items()}
        self.gradient_norms = {}
        self.activation_stats = {}
        self.cache = {}
        self.calls = []
        self._fresh, self._stale, self._X, self._AL = fresh, stale, X, AL
        self._Y = Y
        self._current = stale

    def forward_propagation(self, X, mode="train"):
        same = isinstance(X, np.ndarray) and X.shape == self._X.shape and np.array_equal(X, self._X)
        self.calls.append({"method": "forward_propagation", "same_X": bool(same)})
        self._current = self._fresh if same else self._stale
        self.cache = {"A0": X, f"A{self.num_layers}": self._AL.copy()}
        return self._AL.copy()

    def backward_propagation(self, X, Y):
        self.calls.append({"method": "backward_propagation", "same_X": _same_array(X, self._X),
                           "same_Y": None if self._Y is None else _same_array(Y, self._Y)})
        gradients = {key: value.copy() for key, value in self._current.items()}
        for l in range(1, self.num_layers + 1):
            self.gradient_norms[f"layer_{l}"] = {
                "dW_norm": np.linalg.norm(gradients[f"dW{l}"]),
                "db_norm": np.linalg.norm(gradients[f"db{l}"]),
                "dZ_norm": np.linalg.norm(gradients[f"dW{l}"]) * 2.0,
            }
        return gradients

    def compute_cost(self, AL, Y):
        m = Y.shape[1]
        return np.squeeze(-(1 / m) * np.sum(Y * np.log(AL + 1e-8) + (1 - Y) * np.log(1 - AL + 1e-8)))


def _same_array(a, b):
    return bool(isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and np.array_equal(a, b))
'''


# -- for make mutants: is a surviving mutant equivalent to the reference? -------------------------

def equivalence_cases(rng, count):
    """[(description, Network)]: edge cases first (one layer, zero gradients in every, the first
    and the last layer, square weights with thresholds, norms 0.1% from each threshold), then
    `count` random networks."""
    specs = [((3, 1), ["healthy"], None, "one layer"), ((3, 3, 3, 1), ["zero"] * 3, None, "zero gradients"),
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
        specs.append((tuple(dims), kinds, thresholds, "random"))
    specs = [(dims, kinds, thresholds, rng.random(len(kinds)), label) for dims, kinds, thresholds, label in specs]
    cases = []
    for dims, kinds, thresholds, positions, label in boundaries[:1] + specs[:5] + boundaries[1:] + specs[5:]:
        net = make_network(rng, list(dims), kinds, positions, thresholds)
        cases.append((f"{label}: layer_dims={list(dims)}, dW classes {kinds}, thresholds={thresholds or 'default'}",
                      net))
    return cases


def observe(student, net):
    """What diagnose_gradient_health returns, and the calls it makes, on one equivalence case."""
    return diagnose(student, net, activation="relu")


EQUIVALENCE = Equivalence(equivalence_cases, observe, (RTOL, ATOL, 0.0))
