"""References for Part 9 (diagnose_gradient_health).

The grader supplies the gradients (SuppliedNetwork in checks/part9_diagnosis.py), so
the expected diagnosis depends only on them and the thresholds:
- `frobenius_norms`: the Frobenius norm of each layer's array, as an exactly
  rounded sum of squares (math.fsum), independent of NumPy's own norm;
- `diagnose`: the contract's classification, flow ratio and norms, which can
  also replay a known mistake (`MISTAKES`) so feedback can name it.

Layers are numbered from 1; gradients are {'dW1', 'db1', ...}.
"""
import math

import numpy as np

DEFAULT_THRESHOLDS = (0.01, 100.0)  # the stub's defaults: threshold_vanishing, threshold_exploding
LISTS = ("vanishing_layers", "healthy_layers", "exploding_layers")

# id -> hint for the student. Order matters: the first one that fits is named.
MISTAKES = {
    "stale_gradients": "diagnose the gradients of (X, Y): call network.forward_propagation(X) and then "
                       "network.backward_propagation(X, Y); without the fresh forward pass the backward "
                       "pass uses the cache of an earlier batch.",
    "zero_based_layers": "layers are numbered from 1 (layer 1 is the one with W1), as in the gradient "
                         "keys dW1, dW2, ...",
    "hardcoded_thresholds": "classify with the threshold_vanishing and threshold_exploding arguments, "
                            "not with fixed numbers.",
    "thresholds_swapped": "a layer vanishes when its norm is below threshold_vanishing and explodes "
                          "when it is above threshold_exploding: the thresholds are swapped.",
    "db_norms": "each layer's norm is the Frobenius norm of dW{l}, not of db{l}.",
    "dz_norms": "each layer's norm is the Frobenius norm of dW{l}, not of dZ{l}.",
    "squared_norms": "use the Frobenius norm, np.linalg.norm(dW), not its square.",
    "layer_in_two_lists": "each layer belongs to exactly one list: use if / elif / else.",
    "last_layer_skipped": "diagnose every layer, 1 to network.num_layers inclusive: "
                          "range(1, network.num_layers + 1).",
    "not_ascending": "list the layer numbers in ascending order.",
    "inverted_flow_ratio": "flow_ratio is the norm of layer 1 divided by the norm of the last layer "
                           "(yours is upside down).",
    "zero_based_keys": "gradient_norms is keyed 'layer_1', 'layer_2', ...: layers are numbered from 1.",
    # Not replayed by diagnose(): the checks recognise these from the result or the calls.
    "norm_not_float": "store each norm as a number (np.linalg.norm(dW) or float(...)), not as an array.",
    "missing_recommendations": "always return at least one recommendation (for a healthy network, say "
                               "so), each a non-empty string.",
    "no_clipping_advice": "when a layer explodes, recommend gradient clipping (mention clipping).",
    "no_vanishing_advice": "when a layer vanishes, recommend a ReLU-family activation, Xavier/He "
                           "initialization or batch normalization.",
    "zero_division": "when the last layer's norm is 0, flow_ratio is float('inf'): test for 0 before "
                     "dividing.",
    "nan_flow_ratio": "when the last layer's norm is 0, flow_ratio is float('inf'), also when the first "
                      "one is 0 too (0 / 0 would give nan).",
    "no_forward_pass": "call network.forward_propagation(X) before network.backward_propagation(X, Y): "
                       "the backward pass uses the cache of the last forward pass.",
    "forward_on_other_data": "run the forward pass on the X you were given: "
                             "network.forward_propagation(X).",
    "backward_before_forward": "run network.forward_propagation(X) first, then "
                               "network.backward_propagation(X, Y).",
}

def frobenius_norms(gradients, num_layers, prefix="dW"):
    """[norm of {prefix}1, ..., norm of {prefix}L] as Python floats."""
    return [math.sqrt(math.fsum(float(x) ** 2 for x in np.ravel(gradients[f"{prefix}{l}"])))
            for l in range(1, num_layers + 1)]


def flow_ratio(norms):
    """Norm of layer 1 / norm of the last layer; inf when the last is 0 (the contract)."""
    return norms[0] / norms[-1] if norms[-1] > 0 else math.inf


def diagnose(norms, threshold_vanishing, threshold_exploding, mistake=None):
    """What the diagnosis should hold for per-layer dW norms `norms` (layer 1 first), or what
    `mistake` (a MISTAKES id that misuses correct norms) makes of them.

    Returns {'vanishing_layers', 'healthy_layers', 'exploding_layers' (lists of ints),
    'flow_ratio' (float), 'gradient_norms' ({'layer_l': float})}."""
    low, high = threshold_vanishing, threshold_exploding
    if mistake == "hardcoded_thresholds":
        low, high = DEFAULT_THRESHOLDS
    if mistake == "thresholds_swapped":
        low, high = high, low
    L = len(norms)
    first = 0 if mistake == "zero_based_layers" else 1
    layers = list(range(first, first + L))
    if mistake == "last_layer_skipped":
        layers, norms_used = layers[:-1], norms[:-1]
    else:
        norms_used = norms
    result = {name: [] for name in LISTS}
    for layer, norm in zip(layers, norms_used):
        if norm < low:
            result["vanishing_layers"].append(layer)
            if mistake == "layer_in_two_lists":
                result["healthy_layers"].append(layer)
        elif norm > high:
            result["exploding_layers"].append(layer)
        else:
            result["healthy_layers"].append(layer)
    if mistake == "not_ascending":
        result = {name: sorted(value, reverse=True) for name, value in result.items()}
    ratio = flow_ratio(norms)
    if mistake == "inverted_flow_ratio":
        ratio = norms[-1] / norms[0] if norms[0] > 0 else math.inf
    result["flow_ratio"] = ratio
    key_base = 0 if mistake == "zero_based_keys" else 1
    result["gradient_norms"] = {f"layer_{l + key_base}": norm for l, norm in enumerate(norms)}
    return result
