"""References for Part 2 (backward_propagation), all in float64.

Three independent ways to the gradient of the lab's `compute_cost`:
- `finite_differences`: central differences of the cost, one parameter entry
  at a time, on a NumPy forward pass that mirrors the kit's line by line;
- `gradient_tape`: TensorFlow's GradientTape on the same weights and data;
- `backprop`: the lab's backward pass in NumPy, which can also replay a known
  mistake (`MISTAKES`) so feedback can name what a wrong answer came from.

Arrays are (features, examples); parameters are {'W1', 'b1', ...}.
"""
import numpy as np

from autograder.references import memoised, tensorflow
from autograder.references.numeric import FD_STEP, GUARD, activate, central_differences, cost


# -- the kit's forward pass and cost, line by line ---------------------------------

def activate_derivative(Z, activation):
    if activation == "sigmoid":
        A = activate(Z, "sigmoid")
        return A * (1 - A)
    if activation == "tanh":
        return 1 - np.tanh(Z) ** 2
    if activation == "relu":
        return (Z > 0).astype(float)
    raise ValueError(f"Unknown activation: {activation}")


def forward(layer_dims, activation, parameters, X):
    """The kit's forward_propagation: {'A0', 'Z1', 'A1', ..., 'ZL', 'AL'}; sigmoid output."""
    L = len(layer_dims) - 1
    cache = {"A0": X}
    A = X
    for l in range(1, L + 1):
        Z = np.dot(parameters[f"W{l}"], A) + parameters[f"b{l}"]
        A = activate(Z, "sigmoid" if l == L else activation)
        cache[f"Z{l}"] = Z
        cache[f"A{l}"] = A
    return cache


# -- reference 1: central finite differences ----------------------------------------

@memoised
def finite_differences(memo, layer_dims, activation, parameters, X, Y, step=FD_STEP):
    """{'dW1', 'db1', ...}: (J(p + h) - J(p - h)) / 2h for every entry p of every parameter."""
    L = len(layer_dims) - 1
    params = {key: np.array(value, dtype=np.float64) for key, value in parameters.items()}

    def J():
        return cost(forward(layer_dims, activation, params, X)[f"A{L}"], Y)

    keys = [f"{name}{l}" for l in range(1, L + 1) for name in ("W", "b")]
    return central_differences(J, params, keys, step)


# -- reference 2: TensorFlow GradientTape ------------------------------------------

@memoised
def gradient_tape(memo, layer_dims, activation, parameters, X, Y):
    """{'gradients': {'dW1', 'db1', ...}, 'dZ': {'dZ1', ...}} from tf.GradientTape in float64.

    dZ{l} is m * dcost/dZ{l}: the lab's dZ = dA * g'(Z), before the 1/m."""
    tf = tensorflow()
    L = len(layer_dims) - 1
    m = X.shape[1]
    functions = {"sigmoid": tf.sigmoid, "tanh": tf.tanh, "relu": tf.nn.relu}
    variables = {key: tf.Variable(np.asarray(value, dtype=np.float64)) for key, value in parameters.items()}
    Y_t = tf.constant(Y, dtype=tf.float64)
    with tf.GradientTape() as tape:
        A = tf.constant(X, dtype=tf.float64)
        Zs = []
        for l in range(1, L + 1):
            Z = tf.matmul(variables[f"W{l}"], A) + variables[f"b{l}"]
            Zs.append(Z)
            A = functions["sigmoid" if l == L else activation](Z)
        J = -(1 / m) * tf.reduce_sum(Y_t * tf.math.log(A + GUARD) + (1 - Y_t) * tf.math.log(1 - A + GUARD))
    keys = [f"{name}{l}" for l in range(1, L + 1) for name in ("W", "b")]
    grads = tape.gradient(J, [variables[k] for k in keys] + Zs)
    gradients = {f"d{key}": grad.numpy() for key, grad in zip(keys, grads)}
    dZ = {f"dZ{l}": m * grad.numpy() for l, grad in enumerate(grads[len(keys):], start=1)}
    return {"gradients": gradients, "dZ": dZ}


# -- reference 3: the lab's backward pass, and known mistakes ---------------------------

# id -> hint for the student. Order matters: the first one that fits is named.
MISTAKES = {
    "missing_1_over_m": "your gradients are m times too large: divide dW and db by m, the number "
                        "of examples (compute_cost is a mean over examples).",
    "double_1_over_m": "your gradients are m times too small: you divide by m twice (for example "
                       "np.mean and 1/m together, or 1/m in dZ and again in dW).",
    "m_from_X_rows": "m must be the number of examples, X.shape[1] (examples are columns), "
                     "not X.shape[0].",
    "sign_flipped": "your gradients have the wrong sign: dAL = -(Y / AL - (1 - Y) / (1 - AL)) "
                    "is the derivative of the cost, not of its negative.",
    "no_output_derivative": "dZ at the output layer misses the sigmoid derivative: "
                            "dZ{L} = dA{L} * sigmoid'(Z{L}) (which simplifies to AL - Y).",
    "A_minus_Y_times_derivative": "at the output, AL - Y is already dZ{L} (the sigmoid derivative "
                                  "is included): do not multiply it by sigmoid'(Z{L}) again.",
    "hidden_derivative_at_output": "the output layer uses the hidden activation's derivative; "
                                   "the output layer is always sigmoid.",
    "sigmoid_derivative_everywhere": "the hidden layers use the sigmoid derivative; they use "
                                     "self.activation.",
    "derivative_of_A": "the activation derivative is evaluated at A{l} instead of at Z{l}: "
                       "g'(Z{l}), the pre-activation, is what the chain rule needs.",
    "derivative_of_A_hidden": "the hidden layers' activation derivative is evaluated at A{l} "
                              "instead of at Z{l}.",
    "no_hidden_derivative": "the hidden layers skip the activation derivative: "
                            "dZ{l} = dA{l} * g'(Z{l}).",
    "dA_not_updated": "dA is not passed back between layers: after layer l, "
                      "dA = W{l}.T @ dZ{l} is the dA of layer l - 1.",
    "propagates_dA": "the gradient is passed back as W{l}.T @ dA{l}; it should be W{l}.T @ dZ{l}.",
    "wrong_layer_W": "the gradient is passed back through the wrong layer's weights: "
                     "dA{l-1} = W{l}.T @ dZ{l} uses the weights of layer l itself.",
    "dW_transposed": "dW{l} is transposed: dW{l} = dZ{l} @ A{l-1}.T has the shape of W{l}.",
    "A_l_instead_of_A_prev": "dW{l} uses A{l}, the layer's output; it needs A{l-1}, the layer's "
                             "input: dW{l} = dZ{l} @ A{l-1}.T / m.",
    "db_wrong_axis": "db is summed over the wrong axis: sum dZ over the examples, "
                     "np.sum(dZ, axis=1, keepdims=True) / m.",
}


def backprop(layer_dims, activation, parameters, X, Y, mistake=None):
    """The lab's backward pass, or what it gives with `mistake` (a MISTAKES id).

    Returns {'gradients', 'dZ', 'dA'} (dZ{l}, dA{l} before the 1/m), or None when
    the mistake cannot run on this input (its shapes do not fit). Cheap, so not memoised."""
    cache = forward(layer_dims, activation, parameters, X)
    L = len(layer_dims) - 1
    m = X.shape[1]
    scale = {"missing_1_over_m": 1.0, "double_1_over_m": 1 / m ** 2,
             "m_from_X_rows": 1 / X.shape[0]}.get(mistake, 1 / m)
    AL = cache[f"A{L}"]
    dA = -(Y / (AL + GUARD) - (1 - Y) / (1 - AL + GUARD))
    if mistake == "A_minus_Y_times_derivative":
        dA = AL - Y
    if mistake == "sign_flipped":
        dA = -dA
    dA_output = dA
    gradients, dZs, dAs = {}, {}, {}
    try:
        for l in reversed(range(1, L + 1)):
            A_prev, Z, A, W = cache[f"A{l-1}"], cache[f"Z{l}"], cache[f"A{l}"], parameters[f"W{l}"]
            act = "sigmoid" if l == L else activation
            if mistake == "hidden_derivative_at_output":
                act = activation
            if mistake == "sigmoid_derivative_everywhere":
                act = "sigmoid"
            at = A if (mistake == "derivative_of_A" or (mistake == "derivative_of_A_hidden" and l < L)) else Z
            skip = (mistake == "no_output_derivative" and l == L) or (mistake == "no_hidden_derivative" and l < L)
            dZ = dA if skip else dA * activate_derivative(at, act)
            dW = scale * np.dot(dZ, (A if mistake == "A_l_instead_of_A_prev" else A_prev).T)
            if mistake == "dW_transposed":
                dW = dW.T
            db = scale * np.sum(dZ, axis=0 if mistake == "db_wrong_axis" else 1, keepdims=True)
            dAs[f"dA{l}"] = dA
            if mistake == "dA_not_updated":
                dA = dA_output
            elif mistake == "propagates_dA":
                dA = np.dot(W.T, dA)
            elif mistake == "wrong_layer_W":
                dA = np.dot(parameters[f"W{l-1}"].T, dZ) if l > 1 else None
            else:
                dA = np.dot(W.T, dZ)
            gradients[f"dW{l}"] = dW
            gradients[f"db{l}"] = db
            dZs[f"dZ{l}"] = dZ
            # A mistake whose broadcasting silently changes a shape does not fit this input.
            if mistake in ("dA_not_updated", "propagates_dA", "wrong_layer_W") and dZ.shape != Z.shape:
                return None
    except ValueError:  # shapes do not fit: this mistake would have raised on this input
        return None
    return {"gradients": gradients, "dZ": dZs, "dA": dAs}


# -- the feedback page's plot ---------------------------------------------------------------

@memoised
def sigmoid_dw_norms(memo, parameters, X, Y):
    """Frobenius norms of dW1..dWL of an all-sigmoid network for the lab's cost, mirroring
    the lab's backward pass line for line (the plot's correct line)."""
    L = len(parameters) // 2
    m = X.shape[1]
    cache = {"A0": X}
    A = X
    for l in range(1, L + 1):
        Z = parameters[f"W{l}"] @ A + parameters[f"b{l}"]
        A = activate(Z, "sigmoid")  # sigmoid everywhere: hidden activation and output layer
        cache[f"Z{l}"], cache[f"A{l}"] = Z, A
    AL = cache[f"A{L}"]
    dA = -(Y / (AL + GUARD) - (1 - Y) / (1 - AL + GUARD))
    norms = [0.0] * L
    for l in reversed(range(1, L + 1)):
        S = cache[f"A{l}"]
        dZ = dA * S * (1 - S)
        dW = dZ @ cache[f"A{l - 1}"].T / m
        dA = parameters[f"W{l}"].T @ dZ
        norms[l - 1] = float(np.linalg.norm(dW))
    return norms
