"""References for Part 6 (batch_normalize), all in float64.

Two independent ways to one batch-norm step, and one to the kit network's gradients:
- `keras_batchnorm`: keras.layers.BatchNormalization(momentum, epsilon) on Z.T, with
  gamma, beta and the moving statistics set through set_weights; training=True
  normalises with the batch statistics and updates the moving ones as
  moving = moving * momentum + batch * (1 - momentum), with the BIASED batch
  variance (Keras 3; tests/test_part6_batchnorm.py pins this down);
- `batchnorm`: the same step in NumPy, line by line as the contract states it,
  which can also replay a known mistake (`MISTAKES`) so feedback can name it;
- `finite_differences`: central differences of the kit BatchNormNetwork's cost
  (train mode) for every entry of W, b, gamma and beta.

Arrays are (features, examples); gamma, beta and the running statistics are (n, 1).
"""
import numpy as np

from autograder.references import memoised, tensorflow
from autograder.references.numeric import FD_STEP, activate, central_differences, cost


# -- reference 1: Keras ---------------------------------------------------------------

def layer_module():
    """The keras module, imported after tensorflow() has set TensorFlow up."""
    tensorflow()
    import keras  # noqa: PLC0415 - heavy: only grading processes pay for it

    return keras


def _keras_layer(features):
    """A built float64 layer for `features` features; momentum and epsilon are set before each call."""
    layer = layer_module().layers.BatchNormalization(axis=-1, dtype="float64")
    layer.build((None, features))
    return layer


@memoised
def keras_batchnorm(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, training):
    """Keras' answer: {'out' (n, m), 'running_mean' (n, 1), 'running_var' (n, 1)}.

    The moving statistics are those after the call (unchanged when training=False)."""
    # One layer per width for the whole grading process (building one costs ~50 ms).
    layer = memo.built(("BatchNormalization", Z.shape[0]), _keras_layer, Z.shape[0])
    # call() reads these attributes each time (eager mode), so one layer serves every case.
    layer.momentum = float(momentum)
    layer.epsilon = float(epsilon)
    layer.set_weights([np.ravel(gamma), np.ravel(beta), np.ravel(running_mean), np.ravel(running_var)])
    out = layer(np.ascontiguousarray(Z.T), training=bool(training)).numpy().astype(np.float64).T
    column = (Z.shape[0], 1)
    return {"out": np.ascontiguousarray(out),
            "running_mean": layer.moving_mean.numpy().astype(np.float64).reshape(column),
            "running_var": layer.moving_variance.numpy().astype(np.float64).reshape(column)}


# -- reference 2: NumPy, and known mistakes ---------------------------------------------

# id -> hint for the student (which ids are tried, and in which order, is below the dict).
MISTAKES = {
    "unbiased_variance": "the batch variance must be the biased one, np.var(Z, axis=1, keepdims=True) "
                         "(divide by m, not m - 1), as Keras does.",
    "running_var_unbiased": "the running variance is updated with the unbiased variance (m - 1, as "
                            "PyTorch does); the contract and Keras use the biased batch variance.",
    "wrong_axis": "the statistics are taken over the wrong axis: each feature (row) is normalised over "
                  "the batch, so use axis=1 (examples are columns).",
    "missing_sqrt": "divide by the standard deviation, np.sqrt(var + epsilon), not by the variance.",
    "epsilon_outside_sqrt": "epsilon goes inside the square root: np.sqrt(var + self.epsilon).",
    "missing_epsilon": "add self.epsilon to the variance inside the square root, np.sqrt(var + "
                       "self.epsilon) (your output matches no epsilon at all, or a tiny fixed one).",
    "hardcoded_epsilon": "use self.epsilon, not a fixed number.",
    "gamma_beta_swapped": "gamma scales and beta shifts: gamma * Z_norm + beta.",
    "missing_scale_shift": "after normalising, scale and shift: gamma * Z_norm + beta.",
    "train_uses_running_stats": "'train' mode normalises with the batch statistics; the running "
                                "statistics are for 'test' mode.",
    "swapped_momentum": "the momentum weighs the old running value: running = self.momentum * "
                        "running + (1 - self.momentum) * batch_stat.",
    "hardcoded_momentum": "use self.momentum, not a fixed number.",
    "no_running_update": "'train' mode must update self.running_mean[l] and self.running_var[l].",
    "running_replaced": "the running statistics are a moving average: blend the batch statistic "
                        "in with the momentum instead of replacing the running value.",
    "running_std": "the running variance is updated with the standard deviation; use the variance.",
    "epsilon_in_running_var": "the running variance is updated with var + epsilon; use the batch "
                              "variance itself (epsilon is added only when normalising).",
    "test_uses_batch_stats": "'test' mode must normalise with self.running_mean[l] and "
                             "self.running_var[l], not with the statistics of the batch.",
    # Not replayed by batchnorm(): the checks recognise these from what changed or what was raised.
    "layer_off_by_one": "use layer layer_num's own parameters and statistics: gamma{layer_num}, "
                        "beta{layer_num}, self.running_mean[layer_num] (layers are numbered from 1).",
    "last_layer_normalised": "the last layer (layer_num == self.num_layers) is not batch-normalised: "
                             "return Z unchanged there.",
    "use_batch_norm_ignored": "when self.use_batch_norm is False, return Z unchanged (that network has "
                              "no gamma, beta or running statistics).",
    "modifies_input": "do not modify Z in place (Z -= mu, Z /= ...): compute new arrays.",
    "parameters_modified": "batch_normalize must not change gamma or beta in self.parameters.",
    "other_layer_updated": "update only self.running_mean[layer_num] and self.running_var[layer_num].",
    "test_updates_running_stats": "'test' mode must not update the running statistics.",
    "test_changes_running_stats": "'test' mode must not change the running statistics.",
    "cache_replaced": "add entries to self.cache (self.cache[f'Z_norm{layer_num}'] = ...); do not "
                      "replace the dict: it holds A0, Z1, A1, ... that the backward pass needs.",
    "cache_entry_overwritten": "store only layer layer_num's entries: Z_norm{layer_num}, mu{layer_num}, "
                               "var{layer_num}.",
    "cache_entries_missing": "in 'train' mode store self.cache[f'Z_norm{l}'], self.cache[f'mu{l}'] and "
                             "self.cache[f'var{l}'] (l = layer_num): the kit's backward pass reads them.",
    "cached_std": "self.cache['var{l}'] holds the variance, not the standard deviation (the backward "
                  "pass adds epsilon and takes the square root itself).",
    "cached_var_plus_epsilon": "self.cache['var{l}'] holds the batch variance without epsilon (the "
                               "backward pass adds it).",
    "cached_output": "self.cache['Z_norm{l}'] is the normalised Z, (Z - mu) / sqrt(var + epsilon), "
                     "before gamma and beta.",
    "cache_inconsistent": "the kit's backward pass reads self.cache['Z_norm{l}'] and "
                          "self.cache['var{l}']: they must be the normalised Z (before gamma and beta) "
                          "and the biased batch variance that produced your output.",
}

# The replayable mistakes that can explain a wrong 'train' output, a wrong running statistic,
# and a wrong 'test' output; within each, earlier ids win.
OUT_MISTAKES = ("unbiased_variance", "wrong_axis", "missing_sqrt", "epsilon_outside_sqrt", "missing_epsilon",
                "gamma_beta_swapped", "missing_scale_shift", "hardcoded_epsilon", "train_uses_running_stats")
RUNNING_MISTAKES = ("running_var_unbiased", "swapped_momentum", "no_running_update", "running_replaced",
                    "running_std", "epsilon_in_running_var", "hardcoded_momentum")
TEST_OUT_MISTAKES = ("test_uses_batch_stats", "missing_sqrt", "epsilon_outside_sqrt", "missing_epsilon",
                     "hardcoded_epsilon", "gamma_beta_swapped", "missing_scale_shift")


@memoised
def batchnorm(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode, mistake=None):
    """One batch-norm step as the contract states it, or as `mistake` (a MISTAKES id) does it.

    Returns {'out', 'running_mean', 'running_var', 'Z_norm', 'mu', 'var'} ('test' mode: the
    running statistics, unchanged, and no Z_norm/mu/var), or None when the mistake cannot
    produce an answer of the right shapes for this input."""
    train = mode == "train"
    if mistake == "train_uses_running_stats":
        train = False
    if mistake == "test_uses_batch_stats":
        train = True
    axis = 0 if mistake == "wrong_axis" else 1
    with np.errstate(divide="ignore", invalid="ignore"):
        if train:
            mu = np.mean(Z, axis=axis, keepdims=True)
            var = np.mean((Z - mu) ** 2, axis=axis, keepdims=True)
            if mistake == "unbiased_variance":
                if Z.shape[1] < 2:
                    return None
                var = var * Z.shape[1] / (Z.shape[1] - 1)
        else:
            mu, var = running_mean, running_var
        eps = epsilon
        if mistake == "hardcoded_epsilon":
            if epsilon == 1e-5:
                return None
            eps = 1e-5  # the kit's default
        if mistake == "missing_sqrt":
            Z_norm = (Z - mu) / (var + eps)
        elif mistake == "epsilon_outside_sqrt":
            Z_norm = (Z - mu) / (np.sqrt(var) + eps)
        elif mistake == "missing_epsilon":
            Z_norm = (Z - mu) / np.sqrt(var)
        else:
            Z_norm = (Z - mu) / np.sqrt(var + eps)
        if mistake == "gamma_beta_swapped":
            out = beta * Z_norm + gamma
        elif mistake == "missing_scale_shift":
            out = Z_norm
        else:
            out = gamma * Z_norm + beta
        new_mean, new_var = running_mean, running_var
        if mode == "train" and train and mistake != "no_running_update":
            batch_var = var
            if mistake == "running_var_unbiased":
                if Z.shape[1] < 2:
                    return None
                batch_var = var * Z.shape[1] / (Z.shape[1] - 1)
            elif mistake == "running_std":
                batch_var = np.sqrt(var)
            elif mistake == "epsilon_in_running_var":
                batch_var = var + epsilon
            if mistake == "swapped_momentum":
                keep = 1 - momentum
            elif mistake == "hardcoded_momentum":
                if momentum == 0.9:
                    return None
                keep = 0.9  # the kit's default
            elif mistake == "running_replaced":
                keep = 0.0
            else:
                keep = momentum
            new_mean = keep * running_mean + (1 - keep) * mu
            new_var = keep * running_var + (1 - keep) * batch_var
    if out.shape != Z.shape:
        return None
    result = {"out": out, "running_mean": new_mean, "running_var": new_var}
    if train:
        result.update(Z_norm=Z_norm, mu=mu, var=var)
    return result


def mistaken(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode, which):
    """{mistake id: its answer} for the ids in `which` that give an answer on this input."""
    found = {}
    for mistake in which:
        answer = batchnorm(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode, mistake)
        if answer is not None:
            found[mistake] = answer
    return found


# -- reference 3: the kit network's gradients, by central differences ---------------------

def network_forward(layer_dims, activation, parameters, X, epsilon):
    """The kit BatchNormNetwork's forward pass in 'train' mode: (AL, {l: (mu, var)})."""
    L = len(layer_dims) - 1
    A, stats = X, {}
    for l in range(1, L + 1):
        Z = np.dot(parameters[f"W{l}"], A) + parameters[f"b{l}"]
        if l < L:
            mu = np.mean(Z, axis=1, keepdims=True)
            var = np.mean((Z - mu) ** 2, axis=1, keepdims=True)
            Z = parameters[f"gamma{l}"] * (Z - mu) / np.sqrt(var + epsilon) + parameters[f"beta{l}"]
            stats[l] = (mu, var)
        A = activate(Z, "sigmoid" if l == L else activation)
    return A, stats


@memoised
def finite_differences(memo, layer_dims, activation, parameters, X, Y, epsilon, step=FD_STEP):
    """{'dW1', 'db1', 'dgamma1', 'dbeta1', ..., 'dWL', 'dbL'} by central differences of the cost."""
    L = len(layer_dims) - 1
    params = {key: np.array(value, dtype=np.float64) for key, value in parameters.items()}

    def J():
        return cost(network_forward(layer_dims, activation, params, X, epsilon)[0], Y)

    keys = [f"{name}{l}" for l in range(1, L + 1) for name in ("W", "b", "gamma", "beta") if f"{name}{l}" in params]
    return central_differences(J, params, keys, step)
