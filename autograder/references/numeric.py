"""What the NumPy references share: the kit's activations and cost, and central differences.

Mirrors the lab's own code line by line, in float64, so a reference built on
it differs from the kit only where the kit itself would.
"""
import numpy as np

FD_STEP = 1e-6  # central differences: truncation ~h^2, rounding ~1e-16/h; both < 1e-9 here
GUARD = 1e-8    # the 1e-8 inside compute_cost's logarithms


def activate(Z, activation):
    if activation == "sigmoid":
        return 1 / (1 + np.exp(-np.clip(Z, -500, 500)))
    if activation == "tanh":
        return np.tanh(Z)
    if activation == "relu":
        return np.maximum(0, Z)
    raise ValueError(f"Unknown activation: {activation}")


def cost(AL, Y):
    """The kit's compute_cost: binary cross-entropy, mean over examples, with its 1e-8 guards."""
    m = Y.shape[1]
    return float(np.squeeze(-(1 / m) * np.sum(Y * np.log(AL + GUARD) + (1 - Y) * np.log(1 - AL + GUARD))))


def central_differences(J, params, keys, step=FD_STEP):
    """{'d' + key: (J(p + h) - J(p - h)) / 2h for every entry p of params[key]} for each key.

    J() reads `params` (float64 arrays, changed in place one entry at a time and put back),
    so each entry costs two evaluations of the cost."""
    gradients = {}
    for key in keys:
        p = params[key]
        grad = np.zeros_like(p)
        for index in np.ndindex(p.shape):
            saved = p[index]
            p[index] = saved + step
            plus = J()
            p[index] = saved - step
            minus = J()
            p[index] = saved
            grad[index] = (plus - minus) / (2 * step)
        gradients[f"d{key}"] = grad
    return gradients
