"""References for Part 2 (backward_propagation), all in float64, and the part's known mistakes.

Three independent ways to the gradient of the lab's `compute_cost`:
- `finite_differences`: central differences of the cost, one parameter entry
  at a time, on a NumPy forward pass that mirrors the kit's line by line;
- `gradient_tape`: TensorFlow's GradientTape on the same weights and data;
- `backprop`: the lab's backward pass in NumPy, line by line (it also gives
  the lab's dZ{l} and dA{l}, which the recorded norms are checked against).
`sigmoid_dw_norms` is the feedback page's plot's correct line. These only
compute the truth; they are called through the Grader's memo.

`MISTAKES` is the part's table of known mistakes: each one the checks can name,
with the hint a student reads, and for those that can be replayed a small
function (of backprop's arguments) giving what the mistake computes, so feedback
can name what a wrong answer came from. The replays live apart from the truth
and never change it.

Arrays are (features, examples); parameters are {'W1', 'b1', ...}.
"""
import numpy as np

from autograder.mistakes import Mistake, Mistakes
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


# -- reference 3: the lab's backward pass in NumPy ---------------------------------------

@memoised
def backprop(memo, layer_dims, activation, parameters, X, Y):
    """The lab's backward pass, line by line: {'gradients': {'dW1', 'db1', ...}, 'dZ': {'dZ1', ...},
    'dA': {'dA1', ...}}, where dZ{l} and dA{l} are the lab's arrays (before the 1/m)."""
    cache = forward(layer_dims, activation, parameters, X)
    L = len(layer_dims) - 1
    m = X.shape[1]
    AL = cache[f"A{L}"]
    dA = -(Y / (AL + GUARD) - (1 - Y) / (1 - AL + GUARD))
    gradients, dZs, dAs = {}, {}, {}
    for l in reversed(range(1, L + 1)):
        A_prev, Z, W = cache[f"A{l-1}"], cache[f"Z{l}"], parameters[f"W{l}"]
        dZ = dA * activate_derivative(Z, "sigmoid" if l == L else activation)
        gradients[f"dW{l}"] = (1 / m) * np.dot(dZ, A_prev.T)
        gradients[f"db{l}"] = (1 / m) * np.sum(dZ, axis=1, keepdims=True)
        dZs[f"dZ{l}"], dAs[f"dA{l}"] = dZ, dA
        dA = np.dot(W.T, dZ)
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


# -- known mistakes: what each gives on backprop's input ---------------------------------------
# Each replay is a small function of exactly backprop's arguments (the memo first) that returns
# what the mistake computes there, in backprop's shape, or None where its shapes do not fit the
# input. They call the truth above but the truth never calls them, so an edit here cannot change
# what every student is graded against.

def _output_dA(AL, Y):
    return -(Y / (AL + GUARD) - (1 - Y) / (1 - AL + GUARD))


def _chain(l, dA, Z, A, act):
    return dA * activate_derivative(Z, act)


def _pass_back(l, W, dZ, dA):
    return np.dot(W.T, dZ)


def _replay(layer_dims, activation, parameters, X, Y, m=None, dAL=_output_dA, dZ=_chain, back=_pass_back):
    """The lab's backward pass with the pieces a mistake changes: m (what dW and db are divided
    by, default X.shape[1]); dAL(AL, Y), the output's dA; dZ(l, dA, Z, A, act), layer l's dZ (act:
    the activation layer l uses); back(l, W, dZ, dA), the dA passed down to layer l - 1.
    {'gradients', 'dZ', 'dA'} as backprop gives them, or None where the shapes do not fit."""
    cache = forward(layer_dims, activation, parameters, X)
    L = len(layer_dims) - 1
    scale = 1 / (m or X.shape[1])
    dA = dAL(cache[f"A{L}"], Y)
    gradients, dZs, dAs = {}, {}, {}
    try:
        for l in reversed(range(1, L + 1)):
            Z = cache[f"Z{l}"]
            dZ_l = dZ(l, dA, Z, cache[f"A{l}"], "sigmoid" if l == L else activation)
            if dZ_l.shape != Z.shape:  # broadcasting silently changed a shape: not this input's mistake
                return None
            gradients[f"dW{l}"] = scale * np.dot(dZ_l, cache[f"A{l-1}"].T)
            gradients[f"db{l}"] = scale * np.sum(dZ_l, axis=1, keepdims=True)
            dZs[f"dZ{l}"], dAs[f"dA{l}"] = dZ_l, dA
            dA = back(l, parameters[f"W{l}"], dZ_l, dA)
    except ValueError:  # the shapes do not fit: this mistake would have raised on this input
        return None
    return {"gradients": gradients, "dZ": dZs, "dA": dAs}


def _with_gradients(result, changed):
    """`result` (backprop's) with the gradients in `changed` replaced."""
    return {**result, "gradients": {**result["gradients"], **changed}}


@memoised
def missing_1_over_m(memo, layer_dims, activation, parameters, X, Y):
    return _replay(layer_dims, activation, parameters, X, Y, m=1)


@memoised
def double_1_over_m(memo, layer_dims, activation, parameters, X, Y):
    return _replay(layer_dims, activation, parameters, X, Y, m=X.shape[1] ** 2)


@memoised
def m_from_X_rows(memo, layer_dims, activation, parameters, X, Y):
    return _replay(layer_dims, activation, parameters, X, Y, m=X.shape[0])


@memoised
def sign_flipped(memo, layer_dims, activation, parameters, X, Y):
    return _replay(layer_dims, activation, parameters, X, Y, dAL=lambda AL, Y: -_output_dA(AL, Y))


@memoised
def no_output_derivative(memo, layer_dims, activation, parameters, X, Y):
    L = len(layer_dims) - 1
    return _replay(layer_dims, activation, parameters, X, Y,
                   dZ=lambda l, dA, Z, A, act: dA if l == L else _chain(l, dA, Z, A, act))


@memoised
def A_minus_Y_times_derivative(memo, layer_dims, activation, parameters, X, Y):
    return _replay(layer_dims, activation, parameters, X, Y, dAL=lambda AL, Y: AL - Y)


@memoised
def hidden_derivative_at_output(memo, layer_dims, activation, parameters, X, Y):
    return _replay(layer_dims, activation, parameters, X, Y,
                   dZ=lambda l, dA, Z, A, act: _chain(l, dA, Z, A, activation))


@memoised
def sigmoid_derivative_everywhere(memo, layer_dims, activation, parameters, X, Y):
    return _replay(layer_dims, activation, parameters, X, Y,
                   dZ=lambda l, dA, Z, A, act: _chain(l, dA, Z, A, "sigmoid"))


@memoised
def derivative_of_A(memo, layer_dims, activation, parameters, X, Y):
    return _replay(layer_dims, activation, parameters, X, Y, dZ=lambda l, dA, Z, A, act: _chain(l, dA, A, A, act))


@memoised
def derivative_of_A_hidden(memo, layer_dims, activation, parameters, X, Y):
    L = len(layer_dims) - 1
    return _replay(layer_dims, activation, parameters, X, Y,
                   dZ=lambda l, dA, Z, A, act: _chain(l, dA, A if l < L else Z, A, act))


@memoised
def no_hidden_derivative(memo, layer_dims, activation, parameters, X, Y):
    L = len(layer_dims) - 1
    return _replay(layer_dims, activation, parameters, X, Y,
                   dZ=lambda l, dA, Z, A, act: dA if l < L else _chain(l, dA, Z, A, act))


@memoised
def dA_not_updated(memo, layer_dims, activation, parameters, X, Y):
    return _replay(layer_dims, activation, parameters, X, Y, back=lambda l, W, dZ, dA: dA)


@memoised
def propagates_dA(memo, layer_dims, activation, parameters, X, Y):
    return _replay(layer_dims, activation, parameters, X, Y, back=lambda l, W, dZ, dA: np.dot(W.T, dA))


@memoised
def wrong_layer_W(memo, layer_dims, activation, parameters, X, Y):
    return _replay(layer_dims, activation, parameters, X, Y,
                   back=lambda l, W, dZ, dA: np.dot(parameters[f"W{l-1}"].T, dZ) if l > 1 else None)


@memoised
def dW_transposed(memo, layer_dims, activation, parameters, X, Y):
    right = backprop(memo, layer_dims, activation, parameters, X, Y)
    return _with_gradients(right, {k: g.T for k, g in right["gradients"].items() if k.startswith("dW")})


@memoised
def A_l_instead_of_A_prev(memo, layer_dims, activation, parameters, X, Y):
    right = backprop(memo, layer_dims, activation, parameters, X, Y)
    cache = forward(layer_dims, activation, parameters, X)
    return _with_gradients(right, {f"dW{k[2:]}": (1 / X.shape[1]) * np.dot(dZ, cache[f"A{k[2:]}"].T)
                                   for k, dZ in right["dZ"].items()})


@memoised
def db_wrong_axis(memo, layer_dims, activation, parameters, X, Y):
    right = backprop(memo, layer_dims, activation, parameters, X, Y)
    return _with_gradients(right, {f"db{k[2:]}": (1 / X.shape[1]) * np.sum(dZ, axis=0, keepdims=True)
                                   for k, dZ in right["dZ"].items()})


# -- the table: every mistake the Part 2 checks can name -------------------------------------------
# Replayed mistakes first, in the order identify tries them (the first that fits is named); then the
# ones the checks recognise from a shape, a recorded norm or a changed parameter. A hint with
# {fields} is filled in by the check that names it (str.format: literal braces doubled there).
MISTAKES = Mistakes(
    Mistake("missing_1_over_m", "your gradients are m times too large: divide dW and db by m, the number "
            "of examples (compute_cost is a mean over examples).", wrong=missing_1_over_m),
    Mistake("double_1_over_m", "your gradients are m times too small: you divide by m twice (for example "
            "np.mean and 1/m together, or 1/m in dZ and again in dW).", wrong=double_1_over_m),
    Mistake("m_from_X_rows", "m must be the number of examples, X.shape[1] (examples are columns), "
            "not X.shape[0].", wrong=m_from_X_rows, summary="m taken from X.shape[0] (features), not X.shape[1]"),
    Mistake("sign_flipped", "your gradients have the wrong sign: dAL = -(Y / AL - (1 - Y) / (1 - AL)) "
            "is the derivative of the cost, not of its negative.", wrong=sign_flipped),
    Mistake("no_output_derivative", "dZ at the output layer misses the sigmoid derivative: "
            "dZ{L} = dA{L} * sigmoid'(Z{L}) (which simplifies to AL - Y).", wrong=no_output_derivative),
    Mistake("A_minus_Y_times_derivative", "at the output, AL - Y is already dZ{L} (the sigmoid derivative "
            "is included): do not multiply it by sigmoid'(Z{L}) again.", wrong=A_minus_Y_times_derivative,
            summary="AL - Y multiplied by the sigmoid derivative again"),
    Mistake("hidden_derivative_at_output", "the output layer uses the hidden activation's derivative; "
            "the output layer is always sigmoid.", wrong=hidden_derivative_at_output),
    Mistake("sigmoid_derivative_everywhere", "the hidden layers use the sigmoid derivative; they use "
            "self.activation.", wrong=sigmoid_derivative_everywhere),
    Mistake("derivative_of_A", "the activation derivative is evaluated at A{l} instead of at Z{l}: "
            "g'(Z{l}), the pre-activation, is what the chain rule needs.", wrong=derivative_of_A),
    Mistake("derivative_of_A_hidden", "the hidden layers' activation derivative is evaluated at A{l} "
            "instead of at Z{l}.", wrong=derivative_of_A_hidden),
    Mistake("no_hidden_derivative", "the hidden layers skip the activation derivative: "
            "dZ{l} = dA{l} * g'(Z{l}).", wrong=no_hidden_derivative),
    Mistake("dA_not_updated", "dA is not passed back between layers: after layer l, "
            "dA = W{l}.T @ dZ{l} is the dA of layer l - 1.", wrong=dA_not_updated),
    Mistake("propagates_dA", "the gradient is passed back as W{l}.T @ dA{l}; it should be W{l}.T @ dZ{l}.",
            wrong=propagates_dA),
    Mistake("wrong_layer_W", "the gradient is passed back through the wrong layer's weights: "
            "dA{l-1} = W{l}.T @ dZ{l} uses the weights of layer l itself.", wrong=wrong_layer_W),
    Mistake("dW_transposed", "dW{l} is transposed: dW{l} = dZ{l} @ A{l-1}.T has the shape of W{l}.",
            wrong=dW_transposed),
    Mistake("A_l_instead_of_A_prev", "dW{l} uses A{l}, the layer's output; it needs A{l-1}, the layer's "
            "input: dW{l} = dZ{l} @ A{l-1}.T / m.", wrong=A_l_instead_of_A_prev),
    Mistake("db_wrong_axis", "db is summed over the wrong axis: sum dZ over the examples, "
            "np.sum(dZ, axis=1, keepdims=True) / m.", wrong=db_wrong_axis),
    # Every gradient c times the right one, and no replay above fits.
    Mistake("output_dZ_wrong", "every gradient is {factor:.6g} times the right one. With a single example "
            "that means dZ at the output layer is off by that factor: check dAL and the sigmoid derivative "
            "at the output (dZ{{L}} = AL - Y).", summary="dZ at the output off by a factor"),
    Mistake("constant_factor", "every gradient is {factor:.6g} times the right one; look for a missing or "
            "extra factor (m = {m} here).", summary="every gradient off by one constant factor"),
    # The returned dict and its arrays' shapes.
    Mistake("returns_none", "the function ends without `return gradients`.", summary="returns None"),
    Mistake("zero_based_keys", "layers are numbered from 1, not from 0: W1, b1 are the first layer's "
            "parameters, so the first layer's gradients are dW1, db1 and its norms go under 'layer_1'.",
            summary="layers numbered from 0"),
    Mistake("wrong_key_names", "the keys are the parameters' names ('W1'); the gradients are named "
            "'dW1', 'db1'.", summary="gradient keys misnamed"),
    Mistake("db_not_summed", "db is dZ not yet summed over the examples: np.sum(dZ, axis=1, keepdims=True) / m.",
            summary="db is dZ not summed over the examples"),
    Mistake("shape_mismatch", "two arrays of different layers are combined. For layer l: dZ{l} = dA{l} * "
            "g'(Z{l}) has the shape of Z{l}, dW{l} = dZ{l} @ A{l-1}.T / m, and the gradient passed back is "
            "dA{l-1} = W{l}.T @ dZ{l}.", summary="gradient shapes do not match the parameters"),
    Mistake("all_zero_gradients", "the returned gradients are never computed (for example arrays made "
            "with np.zeros_like and not filled in).", summary="every gradient is zero"),
    # self.gradient_norms.
    Mistake("norms_not_recorded", "the norms are not recorded: set self.gradient_norms['layer_{l}'] = "
            "{'dW_norm': ..., 'db_norm': ..., 'dZ_norm': ...} for every layer.",
            summary="gradient_norms not recorded"),
    Mistake("gradients_wrong", "this is the norm of your own `{array}`, which is not the right gradient: "
            "the gradient checks of this part say what is wrong.",
            summary="the recorded norms are right for wrong gradients"),
    Mistake("squared_norm", "this is the squared norm; the Frobenius norm is np.linalg.norm(x) = sqrt(sum(x**2)).",
            summary="the squared norm instead of the Frobenius norm"),
    Mistake("spectral_norm", "this is the spectral norm np.linalg.norm(x, 2) (the largest singular value); "
            "the Frobenius norm is np.linalg.norm(x), sqrt(sum(x**2)).",
            summary="a spectral norm instead of the Frobenius norm"),
    Mistake("l1_norm", "this is the sum of absolute values; the Frobenius norm is sqrt(sum(x**2)).",
            summary="an L1 norm instead of the Frobenius norm"),
    Mistake("norm_before_1_over_m", "this is the norm before dividing by m; record the norm of the gradient "
            "itself.", summary="norms taken before dividing by m"),
    Mistake("dZ_norm_of_dA", "this is the norm of dA; dZ_norm is the norm of dZ = dA * g'(Z).",
            summary="dZ_norm records the norm of dA"),
    Mistake("norms_wrong_layer", "this is layer {other}'s norm stored under 'layer_{l}': record each layer's "
            "norms under its own number.", summary="norms recorded under the wrong layer"),
    # self.parameters after the call.
    Mistake("updates_parameters", "a gradient-descent step (learning rate {step:.4g}) inside "
            "backward_propagation. Only compute and return the gradients; the update belongs to the "
            "training loop.", summary="takes a gradient step inside the backward pass"),
    Mistake("parameters_changed", "backward_propagation only computes and returns the gradients: keep them "
            "in a dict of their own and leave self.parameters (its keys and its arrays) as they were.",
            summary="the parameters were changed"),
    varies=(backprop,),
)
