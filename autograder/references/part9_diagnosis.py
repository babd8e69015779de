"""References for Part 9 (diagnose_gradient_health).

The grader supplies the gradients (SuppliedNetwork in checks/part9_diagnosis.py), so the
expected diagnosis depends only on them and the thresholds. `diagnose` mirrors the lab's
diagnosis line for line, recommendations aside (their wording is free: the checks look for
keywords): the Frobenius norm of each layer's dW, as an exactly rounded sum of squares
(math.fsum, independent of NumPy's own norm), the classification, the flow ratio.

`MISTAKES` is the part's known mistakes, in the order the checks try them. Each one that can
be replayed is a small function of `diagnose`'s arguments returning the diagnosis that mistake
gives there; they share `_norms` and `_replay`, which live apart from `diagnose`, so an edit to
a mistake can never change what every student is graded against.

Layers are numbered from 1; gradients are {'dW1', 'db1', ...}.
"""
import math

import numpy as np

from autograder.mistakes import Mistake, Mistakes
from autograder.references import memoised

DEFAULT_THRESHOLDS = (0.01, 100.0)  # the stub's defaults: threshold_vanishing, threshold_exploding
LISTS = ("vanishing_layers", "healthy_layers", "exploding_layers")


def _frobenius(array):
    return math.sqrt(math.fsum(float(x) ** 2 for x in np.ravel(array)))


@memoised
def diagnose(memo, gradients, num_layers, threshold_vanishing, threshold_exploding):
    """The diagnosis the contract asks for, of the gradients a backward pass returned:
    {'vanishing_layers', 'healthy_layers', 'exploding_layers' (lists of ints, ascending),
    'flow_ratio' (float), 'gradient_norms' ({'layer_l': float})}."""
    L = num_layers
    norms = {f"layer_{l}": _frobenius(gradients[f"dW{l}"]) for l in range(1, L + 1)}
    diagnosis = {"vanishing_layers": [], "healthy_layers": [], "exploding_layers": []}
    for l in range(1, L + 1):
        norm = norms[f"layer_{l}"]
        if norm < threshold_vanishing:
            diagnosis["vanishing_layers"].append(l)
        elif norm > threshold_exploding:
            diagnosis["exploding_layers"].append(l)
        else:
            diagnosis["healthy_layers"].append(l)
    first, last = norms["layer_1"], norms[f"layer_{L}"]
    diagnosis["flow_ratio"] = first / last if last > 0 else math.inf
    diagnosis["gradient_norms"] = norms
    return diagnosis


# -- known mistakes: each varies diagnose(memo, gradients, num_layers, low, high) --------------------

def _norms(gradients, num_layers, prefix="dW"):
    """Per-layer norms of {prefix}1, ..., {prefix}L, as a mistake's student would take them."""
    return [float(np.linalg.norm(gradients[f"{prefix}{l}"])) for l in range(1, num_layers + 1)]


def _replay(norms, low, high, first_layer=1):
    """A diagnosis of per-layer norms `norms` (layer 1 first) whose lists number the layers from
    `first_layer`; its gradient_norms and flow_ratio are those of `norms`."""
    lists = {name: [] for name in LISTS}
    for layer, norm in enumerate(norms, start=first_layer):
        kind = "vanishing" if norm < low else "exploding" if norm > high else "healthy"
        lists[f"{kind}_layers"].append(layer)
    ratio = norms[0] / norms[-1] if norms[-1] > 0 else math.inf
    return {**lists, "flow_ratio": ratio,
            "gradient_norms": {f"layer_{l}": norm for l, norm in enumerate(norms, start=1)}}


@memoised
def zero_based_layers(memo, gradients, num_layers, threshold_vanishing, threshold_exploding):
    """append(l - 1): the lists number the layers from 0."""
    return _replay(_norms(gradients, num_layers), threshold_vanishing, threshold_exploding, first_layer=0)


@memoised
def hardcoded_thresholds(memo, gradients, num_layers, threshold_vanishing, threshold_exploding):
    """0.01 and 100 written out; None for those very thresholds (nothing to tell apart)."""
    if (threshold_vanishing, threshold_exploding) == DEFAULT_THRESHOLDS:
        return None
    return _replay(_norms(gradients, num_layers), *DEFAULT_THRESHOLDS)


@memoised
def thresholds_swapped(memo, gradients, num_layers, threshold_vanishing, threshold_exploding):
    """The two threshold parameters in the other order."""
    return _replay(_norms(gradients, num_layers), threshold_exploding, threshold_vanishing)


@memoised
def db_norms(memo, gradients, num_layers, threshold_vanishing, threshold_exploding):
    """The norms of db{l} instead of dW{l}."""
    return _replay(_norms(gradients, num_layers, "db"), threshold_vanishing, threshold_exploding)


@memoised
def dz_norms(memo, gradients, num_layers, threshold_vanishing, threshold_exploding):
    """The norms the network recorded as dZ_norm, which the grader's SuppliedNetwork sets to twice
    the dW norm (a test keeps the two in step)."""
    norms = [2.0 * norm for norm in _norms(gradients, num_layers)]
    return _replay(norms, threshold_vanishing, threshold_exploding)


@memoised
def squared_norms(memo, gradients, num_layers, threshold_vanishing, threshold_exploding):
    """The sum of squares, without the square root."""
    norms = [norm * norm for norm in _norms(gradients, num_layers)]
    return _replay(norms, threshold_vanishing, threshold_exploding)


@memoised
def layer_in_two_lists(memo, gradients, num_layers, threshold_vanishing, threshold_exploding):
    """if / if / else: a vanishing layer is listed as healthy too."""
    diagnosis = _replay(_norms(gradients, num_layers), threshold_vanishing, threshold_exploding)
    diagnosis["healthy_layers"] = sorted(diagnosis["healthy_layers"] + diagnosis["vanishing_layers"])
    return diagnosis


@memoised
def last_layer_skipped(memo, gradients, num_layers, threshold_vanishing, threshold_exploding):
    """range(1, L) in the classification: the last layer is in no list (its norm is still there)."""
    diagnosis = _replay(_norms(gradients, num_layers), threshold_vanishing, threshold_exploding)
    return {**diagnosis, **{name: [l for l in diagnosis[name] if l != num_layers] for name in LISTS}}


@memoised
def not_ascending(memo, gradients, num_layers, threshold_vanishing, threshold_exploding):
    """The layers walked from the output back: every list descending."""
    diagnosis = _replay(_norms(gradients, num_layers), threshold_vanishing, threshold_exploding)
    return {**diagnosis, **{name: diagnosis[name][::-1] for name in LISTS}}


@memoised
def inverted_flow_ratio(memo, gradients, num_layers, threshold_vanishing, threshold_exploding):
    """last / first, as the seed's printout."""
    norms = _norms(gradients, num_layers)
    diagnosis = _replay(norms, threshold_vanishing, threshold_exploding)
    diagnosis["flow_ratio"] = norms[-1] / norms[0] if norms[0] > 0 else math.inf
    return diagnosis


# In the order the checks try them: the first that fits is named. stale_gradients has no replay
# (the fresh gradients do not hold the stale ones): the checks diagnose the stale gradients.
MISTAKES = Mistakes(
    Mistake("stale_gradients",
            "diagnose the gradients of (X, Y): call network.forward_propagation(X) and then "
            "network.backward_propagation(X, Y); without the fresh forward pass the backward pass uses "
            "the cache of an earlier batch.",
            summary="diagnoses an earlier batch's gradients (no fresh forward pass)"),
    Mistake("zero_based_layers",
            "layers are numbered from 1 (layer 1 is the one with W1), as in the gradient keys dW1, dW2, ...",
            wrong=zero_based_layers, summary="layer numbers from 0"),
    Mistake("hardcoded_thresholds",
            "classify with the threshold_vanishing and threshold_exploding arguments, not with fixed numbers.",
            wrong=hardcoded_thresholds, summary="the thresholds 0.01 and 100 written out, not the arguments"),
    Mistake("thresholds_swapped",
            "a layer vanishes when its norm is below threshold_vanishing and explodes when it is above "
            "threshold_exploding: the thresholds are swapped.",
            wrong=thresholds_swapped, summary="the two thresholds swapped"),
    Mistake("db_norms", "each layer's norm is the Frobenius norm of dW{l}, not of db{l}.",
            wrong=db_norms, summary="classifies by the norms of db, not dW"),
    Mistake("dz_norms", "each layer's norm is the Frobenius norm of dW{l}, not of dZ{l}.",
            wrong=dz_norms, summary="classifies by the norms of dZ, not dW"),
    Mistake("squared_norms", "use the Frobenius norm, np.linalg.norm(dW), not its square.",
            wrong=squared_norms, summary="squared norms (no square root)"),
    Mistake("layer_in_two_lists", "each layer belongs to exactly one list: use if / elif / else.",
            wrong=layer_in_two_lists, summary="a layer in two lists (if / if instead of if / elif)"),
    Mistake("last_layer_skipped",
            "diagnose every layer, 1 to network.num_layers inclusive: range(1, network.num_layers + 1).",
            wrong=last_layer_skipped, summary="the last layer left out of the classification"),
    Mistake("not_ascending", "list the layer numbers in ascending order.",
            wrong=not_ascending, summary="layer lists not in ascending order"),
    Mistake("inverted_flow_ratio",
            "flow_ratio is the norm of layer 1 divided by the norm of the last layer (yours is upside down).",
            wrong=inverted_flow_ratio, summary="flow_ratio upside down (last / first)"),
    # Recognised from what was returned, raised or called: no replay.
    Mistake("zero_based_keys",
            "gradient_norms is keyed 'layer_1', 'layer_2', ...: layers are numbered from 1.",
            # Part 2's checks name this id too (dW0, 'layer_0'): one line fits both parts.
            summary="keys numbered from 0 ('layer_0', 'dW0')"),
    Mistake("norm_not_float",
            "store each norm as a number (np.linalg.norm(dW) or float(...)), not as an array.",
            summary="a norm stored as an array, not a number"),
    Mistake("missing_recommendations",
            "always return at least one recommendation (for a healthy network, say so), each a non-empty "
            "string.",
            summary="recommendations empty, or holding an empty string"),
    Mistake("no_clipping_advice", "when a layer explodes, recommend gradient clipping (mention clipping).",
            summary="no clipping advice for exploding layers"),
    Mistake("no_vanishing_advice",
            "when a layer vanishes, recommend a ReLU-family activation, Xavier/He initialization or batch "
            "normalization.",
            summary="no remedy advised for vanishing layers"),
    Mistake("zero_division",
            "when the last layer's norm is 0, flow_ratio is float('inf'): test for 0 before dividing.",
            summary="flow_ratio divides by a zero last norm"),
    Mistake("nan_flow_ratio",
            "when the last layer's norm is 0, flow_ratio is float('inf'), also when the first one is 0 too "
            "(0 / 0 would give nan).",
            summary="flow_ratio nan for all-zero gradients (0 / 0)"),
    Mistake("no_forward_pass",
            "call network.forward_propagation(X) before network.backward_propagation(X, Y): the backward "
            "pass uses the cache of the last forward pass.",
            summary="no forward pass before the backward pass"),
    Mistake("forward_on_other_data",
            "run the forward pass on the X you were given: network.forward_propagation(X).",
            summary="the forward pass run on other data than diagnosed"),
    Mistake("backward_before_forward",
            "run network.forward_propagation(X) first, then network.backward_propagation(X, Y).",
            summary="the backward pass run before the forward pass"),
    Mistake("backward_not_called",
            "diagnose the gradients the network computes for (X, Y): call network.forward_propagation(X), "
            "then network.backward_propagation(X, Y), and classify the dW it returns.",
            summary="the network's backward pass never called"),
    Mistake("backward_on_other_data",
            "call network.backward_propagation(X, Y) with the X and Y given to diagnose_gradient_health, "
            "in that order: a network takes the number of examples from X and the labels from Y.",
            summary="the network's backward pass given other data than diagnosed"),
    varies=(diagnose,),
)
