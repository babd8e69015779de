"""References for Part 6 (batch_normalize), all in float64, and the part's known mistakes.

Two independent ways to one batch-norm step, and one to the kit network's gradients:
- `keras_batchnorm`: keras.layers.BatchNormalization(momentum, epsilon) on Z.T, with
  gamma, beta and the moving statistics set through set_weights; training=True
  normalises with the batch statistics and updates the moving ones as
  moving = moving * momentum + batch * (1 - momentum), with the BIASED batch
  variance (Keras 3; tests/test_part6_batchnorm.py pins this down);
- `batchnorm`: the same step in NumPy, line by line as the contract states it;
- `finite_differences`: central differences of the kit BatchNormNetwork's cost
  (train mode) for every entry of W, b, gamma and beta; `network_output` is that
  network's output AL.

`MISTAKES` is the part's table of known mistakes, in the order the checks try them. Each one
that can be replayed is a small function taking batchnorm()'s arguments and returning what
that mistake computes there, built from its own pieces below the truth, so editing a mistake
cannot change what every student is graded against.

Arrays are (features, examples); gamma, beta and the running statistics are (n, 1).
"""
import numpy as np

from autograder.mistakes import Mistake, Mistakes
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


# -- reference 2: NumPy ---------------------------------------------------------------------

@memoised
def batchnorm(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """One batch-norm step as the contract states it: {'out' (n, m), 'running_mean', 'running_var'
    (n, 1) after the step, and in 'train' mode 'Z_norm' (n, m), 'mu', 'var' (n, 1), the cache}."""
    if mode == "train":
        mu = np.mean(Z, axis=1, keepdims=True)
        var = np.var(Z, axis=1, keepdims=True)
        Z_norm = (Z - mu) / np.sqrt(var + epsilon)
        return {"out": gamma * Z_norm + beta,
                "running_mean": momentum * running_mean + (1 - momentum) * mu,
                "running_var": momentum * running_var + (1 - momentum) * var,
                "Z_norm": Z_norm, "mu": mu, "var": var}
    Z_norm = (Z - running_mean) / np.sqrt(running_var + epsilon)
    return {"out": gamma * Z_norm + beta, "running_mean": running_mean, "running_var": running_var}


# -- reference 3: the kit network's gradients, by central differences ---------------------

def _forward(layer_dims, activation, parameters, X, epsilon):
    """The kit BatchNormNetwork's forward pass in 'train' mode: AL (1, m)."""
    L = len(layer_dims) - 1
    A = X
    for l in range(1, L + 1):
        Z = np.dot(parameters[f"W{l}"], A) + parameters[f"b{l}"]
        if l < L:
            mu = np.mean(Z, axis=1, keepdims=True)
            var = np.var(Z, axis=1, keepdims=True)
            Z = parameters[f"gamma{l}"] * (Z - mu) / np.sqrt(var + epsilon) + parameters[f"beta{l}"]
        A = activate(Z, "sigmoid" if l == L else activation)
    return A


@memoised
def network_output(memo, layer_dims, activation, parameters, X, epsilon):
    """The kit BatchNormNetwork's output AL (1, m) after forward_propagation(X, 'train')."""
    return _forward(layer_dims, activation, parameters, X, epsilon)


@memoised
def finite_differences(memo, layer_dims, activation, parameters, X, Y, epsilon, step=FD_STEP):
    """{'dW1', 'db1', 'dgamma1', 'dbeta1', ..., 'dWL', 'dbL'} by central differences of the cost."""
    L = len(layer_dims) - 1
    params = {key: np.array(value, dtype=np.float64) for key, value in parameters.items()}

    def J():
        return cost(_forward(layer_dims, activation, params, X, epsilon), Y)

    keys = [f"{name}{l}" for l in range(1, L + 1) for name in ("W", "b", "gamma", "beta") if f"{name}{l}" in params]
    return central_differences(J, params, keys, step)


# -- known mistakes, replayed -------------------------------------------------------------------
# Each takes batchnorm()'s arguments and returns its answer's keys as the mistake computes them, or
# None where the mistake does not apply (a mistake of the 'train' step changes nothing in 'test'
# mode) or cannot run (m - 1 = 0 for one example; a fixed number equal to the one given). They are
# built from the pieces below, not from batchnorm(), so editing a mistake cannot change the truth.

def _normalise(Z, mu, var, epsilon):
    return (Z - mu) / np.sqrt(var + epsilon)


def _answer(mode, out, mu, var, Z_norm, running_mean, running_var, keep=None, taken=None):
    """An answer in batchnorm()'s shape. 'train': the running statistics blended with weight `keep`
    on the old value (None: left as they were), the running variance taking in taken(var) (default var)."""
    if mode != "train":
        return {"out": out, "running_mean": running_mean, "running_var": running_var}
    if keep is not None:
        running_mean = keep * running_mean + (1 - keep) * mu
        running_var = keep * running_var + (1 - keep) * (taken(var) if taken else var)
    return {"out": out, "running_mean": running_mean, "running_var": running_var,
            "Z_norm": Z_norm, "mu": mu, "var": var}


def _batch_step(Z, gamma, beta, running_mean, running_var, epsilon, mode, keep, taken=None, ddof=0, axis=1):
    """A 'train' step normalising with the batch statistics over `axis` (ddof=1: the unbiased
    variance), its running update given by `keep` and `taken` (see _answer); None in 'test' mode."""
    if mode != "train":
        return None
    mu, var = np.mean(Z, axis=axis, keepdims=True), np.var(Z, axis=axis, keepdims=True, ddof=ddof)
    Z_norm = _normalise(Z, mu, var, epsilon)
    return _answer(mode, gamma * Z_norm + beta, mu, var, Z_norm, running_mean, running_var, keep, taken)


def _formula(Z, running_mean, running_var, momentum, mode, normalise, scale_shift):
    """A step in either mode with the right statistics and running update, but its own
    Z_norm = normalise(Z, mu, var) and out = scale_shift(Z_norm)."""
    if mode == "train":
        mu, var = np.mean(Z, axis=1, keepdims=True), np.var(Z, axis=1, keepdims=True)
    else:
        mu, var = running_mean, running_var
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant feature without epsilon: 0 / 0
        Z_norm = normalise(Z, mu, var)
    return _answer(mode, scale_shift(Z_norm), mu, var, Z_norm, running_mean, running_var, momentum)


@memoised
def running_var_unbiased(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """The running variance takes in the unbiased batch variance (m - 1, as PyTorch does)."""
    m = Z.shape[1]
    if m < 2:
        return None
    return _batch_step(Z, gamma, beta, running_mean, running_var, epsilon, mode, momentum,
                       lambda var: var * m / (m - 1))


@memoised
def swapped_momentum(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """running = (1 - momentum) * running + momentum * batch_stat."""
    return _batch_step(Z, gamma, beta, running_mean, running_var, epsilon, mode, 1 - momentum)


@memoised
def no_running_update(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """'train' mode leaves the running statistics as they were."""
    return _batch_step(Z, gamma, beta, running_mean, running_var, epsilon, mode, None)


@memoised
def running_replaced(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """running = batch_stat: no moving average."""
    return _batch_step(Z, gamma, beta, running_mean, running_var, epsilon, mode, 0.0)


@memoised
def running_std(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """The running variance takes in the batch's standard deviation."""
    return _batch_step(Z, gamma, beta, running_mean, running_var, epsilon, mode, momentum, np.sqrt)


@memoised
def epsilon_in_running_var(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """The running variance takes in var + epsilon."""
    return _batch_step(Z, gamma, beta, running_mean, running_var, epsilon, mode, momentum,
                       lambda var: var + epsilon)


@memoised
def hardcoded_momentum(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """0.9, the kit's default, written instead of self.momentum."""
    if momentum == 0.9:
        return None
    return _batch_step(Z, gamma, beta, running_mean, running_var, epsilon, mode, 0.9)


@memoised
def test_uses_batch_stats(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """'test' mode normalises with the statistics of the batch (and updates nothing)."""
    if mode != "test":
        return None
    answer = _batch_step(Z, gamma, beta, running_mean, running_var, epsilon, "train", None)
    return {key: answer[key] for key in ("out", "running_mean", "running_var")}


@memoised
def unbiased_variance(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """The batch variance divides by m - 1 (np.var(Z, ddof=1)), in the output and in the update."""
    if Z.shape[1] < 2:
        return None
    return _batch_step(Z, gamma, beta, running_mean, running_var, epsilon, mode, momentum, ddof=1)


@memoised
def wrong_axis(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """The batch statistics are taken over the features (axis=0): mu and var are (1, m)."""
    return _batch_step(Z, gamma, beta, running_mean, running_var, epsilon, mode, momentum, axis=0)


@memoised
def missing_sqrt(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """Z_norm = (Z - mu) / (var + epsilon)."""
    return _formula(Z, running_mean, running_var, momentum, mode,
                    lambda Z, mu, var: (Z - mu) / (var + epsilon), lambda Z_norm: gamma * Z_norm + beta)


@memoised
def epsilon_outside_sqrt(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """Z_norm = (Z - mu) / (np.sqrt(var) + epsilon)."""
    return _formula(Z, running_mean, running_var, momentum, mode,
                    lambda Z, mu, var: (Z - mu) / (np.sqrt(var) + epsilon), lambda Z_norm: gamma * Z_norm + beta)


@memoised
def missing_epsilon(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """Z_norm = (Z - mu) / np.sqrt(var): NaN for a constant feature."""
    return _formula(Z, running_mean, running_var, momentum, mode,
                    lambda Z, mu, var: (Z - mu) / np.sqrt(var), lambda Z_norm: gamma * Z_norm + beta)


@memoised
def gamma_beta_swapped(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """out = beta * Z_norm + gamma."""
    return _formula(Z, running_mean, running_var, momentum, mode,
                    lambda Z, mu, var: _normalise(Z, mu, var, epsilon), lambda Z_norm: beta * Z_norm + gamma)


@memoised
def missing_scale_shift(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """out = Z_norm: no gamma, no beta."""
    return _formula(Z, running_mean, running_var, momentum, mode,
                    lambda Z, mu, var: _normalise(Z, mu, var, epsilon), lambda Z_norm: Z_norm)


@memoised
def hardcoded_epsilon(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """1e-5, the kit's default, written instead of self.epsilon when normalising."""
    if epsilon == 1e-5:
        return None
    return _formula(Z, running_mean, running_var, momentum, mode,
                    lambda Z, mu, var: _normalise(Z, mu, var, 1e-5), lambda Z_norm: gamma * Z_norm + beta)


@memoised
def train_uses_running_stats(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """'train' mode normalises with the running statistics, as 'test' does, and updates nothing."""
    if mode != "train":
        return None
    Z_norm = _normalise(Z, running_mean, running_var, epsilon)
    return _answer(mode, gamma * Z_norm + beta, running_mean, running_var, Z_norm, running_mean, running_var)


@memoised
def cached_output(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """self.cache['Z_norm{l}'] holds the output, after gamma and beta."""
    answer = _batch_step(Z, gamma, beta, running_mean, running_var, epsilon, mode, momentum)
    return answer and {**answer, "Z_norm": answer["out"]}


@memoised
def cached_std(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """self.cache['var{l}'] holds the standard deviation."""
    answer = _batch_step(Z, gamma, beta, running_mean, running_var, epsilon, mode, momentum)
    return answer and {**answer, "var": np.sqrt(answer["var"])}


@memoised
def cached_var_plus_epsilon(memo, Z, gamma, beta, running_mean, running_var, momentum, epsilon, mode):
    """self.cache['var{l}'] holds var + epsilon."""
    answer = _batch_step(Z, gamma, beta, running_mean, running_var, epsilon, mode, momentum)
    return answer and {**answer, "var": answer["var"] + epsilon}


# -- the table -------------------------------------------------------------------------------------
# The order is the order the checks try candidates: the first whose answer fits is named. It matters
# where two mistakes give one value: running_var_unbiased and unbiased_variance give the same running
# variance, and when the output is right (the check compares it first) it is the update that is wrong.

MISTAKES = Mistakes(
    # the running statistics' update in 'train' mode
    Mistake("running_var_unbiased",
            "the running variance is updated with the unbiased variance (m - 1, as PyTorch does); the "
            "contract and Keras use the biased batch variance.",
            wrong=running_var_unbiased, summary="running variance updated with the unbiased variance"),
    Mistake("swapped_momentum",
            "the momentum weighs the old running value: running = self.momentum * running + "
            "(1 - self.momentum) * batch_stat.",
            wrong=swapped_momentum, summary="momentum and 1 - momentum swapped in the running update"),
    Mistake("no_running_update", "'train' mode must update self.running_mean[l] and self.running_var[l].",
            wrong=no_running_update, summary="running statistics not updated in 'train' mode"),
    Mistake("running_replaced",
            "the running statistics are a moving average: blend the batch statistic in with the momentum "
            "instead of replacing the running value.",
            wrong=running_replaced, summary="running statistics replaced by the batch's"),
    Mistake("running_std", "the running variance is updated with the standard deviation; use the variance.",
            wrong=running_std, summary="running variance updated with the standard deviation"),
    Mistake("epsilon_in_running_var",
            "the running variance is updated with var + epsilon; use the batch variance itself (epsilon is "
            "added only when normalising).",
            wrong=epsilon_in_running_var, summary="running variance updated with var + epsilon"),
    Mistake("hardcoded_momentum", "use self.momentum, not a fixed number.",
            wrong=hardcoded_momentum, summary="a fixed momentum instead of self.momentum"),
    # the statistics normalised with, the normalisation and the output
    Mistake("test_uses_batch_stats",
            "'test' mode must normalise with self.running_mean[l] and self.running_var[l], not with the "
            "statistics of the batch.",
            wrong=test_uses_batch_stats, summary="'test' mode normalises with the batch statistics"),
    Mistake("unbiased_variance",
            "the batch variance must be the biased one, np.var(Z, axis=1, keepdims=True) (divide by m, not "
            "m - 1), as Keras does.",
            wrong=unbiased_variance, summary="unbiased batch variance (m - 1)"),
    Mistake("wrong_axis",
            "the statistics are taken over the wrong axis: each feature (row) is normalised over the batch, "
            "so use axis=1 (examples are columns).",
            wrong=wrong_axis, summary="statistics over the wrong axis"),
    Mistake("missing_sqrt", "divide by the standard deviation, np.sqrt(var + epsilon), not by the variance.",
            wrong=missing_sqrt, summary="divides by the variance, not the standard deviation"),
    Mistake("epsilon_outside_sqrt", "epsilon goes inside the square root: np.sqrt(var + self.epsilon).",
            wrong=epsilon_outside_sqrt, summary="epsilon outside the square root"),
    Mistake("missing_epsilon",
            "add self.epsilon to the variance inside the square root, np.sqrt(var + self.epsilon) (your "
            "output matches no epsilon at all, or a tiny fixed one).",
            wrong=missing_epsilon, summary="no epsilon in the square root"),
    Mistake("gamma_beta_swapped", "gamma scales and beta shifts: gamma * Z_norm + beta.",
            wrong=gamma_beta_swapped, summary="gamma and beta swapped"),
    Mistake("missing_scale_shift", "after normalising, scale and shift: gamma * Z_norm + beta.",
            wrong=missing_scale_shift, summary="no scale and shift by gamma and beta"),
    Mistake("hardcoded_epsilon", "use self.epsilon, not a fixed number.",
            wrong=hardcoded_epsilon, summary="a fixed epsilon instead of self.epsilon"),
    Mistake("train_uses_running_stats",
            "'train' mode normalises with the batch statistics; the running statistics are for 'test' mode.",
            wrong=train_uses_running_stats, summary="'train' mode normalises with the running statistics"),
    # the cache the kit's backward pass reads
    Mistake("cached_output",
            "self.cache['Z_norm{l}'] is the normalised Z, (Z - mu) / sqrt(var + epsilon), before gamma and "
            "beta.",
            wrong=cached_output, summary="the output cached as Z_norm"),
    Mistake("cached_std",
            "self.cache['var{l}'] holds the variance, not the standard deviation (the backward pass adds "
            "epsilon and takes the square root itself).",
            wrong=cached_std, summary="the standard deviation cached as var"),
    Mistake("cached_var_plus_epsilon",
            "self.cache['var{l}'] holds the batch variance without epsilon (the backward pass adds it).",
            wrong=cached_var_plus_epsilon, summary="var + epsilon cached as var"),
    # Not replayed: the checks recognise these from what changed or what was raised, and
    # layer_off_by_one from batchnorm() on a neighbouring layer's gamma, beta and statistics.
    Mistake("layer_off_by_one",
            "use layer layer_num's own parameters and statistics: gamma{layer_num}, beta{layer_num}, "
            "self.running_mean[layer_num] (layers are numbered from 1).",
            summary="another layer's gamma, beta or running statistics"),
    Mistake("last_layer_normalised",
            "the last layer (layer_num == self.num_layers) is not batch-normalised: return Z unchanged there.",
            summary="the last layer normalised"),
    Mistake("use_batch_norm_ignored",
            "when self.use_batch_norm is False, return Z unchanged (that network has no gamma, beta or "
            "running statistics).",
            summary="normalises although use_batch_norm is False"),
    Mistake("no_normalisation",
            "a hidden layer of a network with use_batch_norm=True is normalised in 'train' mode: "
            "gamma * (Z - mu) / np.sqrt(var + self.epsilon) + beta.",
            summary="the hidden layer is not normalised"),
    Mistake("modifies_input", "do not modify Z in place (Z -= mu, Z /= ...): compute new arrays.",
            summary="Z modified in place"),
    Mistake("parameters_modified", "batch_normalize must not change gamma or beta in self.parameters.",
            summary="gamma or beta changed in self.parameters"),
    Mistake("other_layer_updated", "update only self.running_mean[layer_num] and self.running_var[layer_num].",
            summary="another layer's running statistics changed"),
    Mistake("test_updates_running_stats", "'test' mode must not update the running statistics.",
            summary="'test' mode updates the running statistics"),
    Mistake("test_changes_running_stats", "'test' mode must not change the running statistics.",
            summary="'test' mode changes the running statistics"),
    Mistake("cache_replaced",
            "add entries to self.cache (self.cache[f'Z_norm{layer_num}'] = ...); do not replace the dict: "
            "it holds A0, Z1, A1, ... that the backward pass needs.",
            summary="self.cache replaced instead of added to"),
    Mistake("cache_entry_overwritten",
            "store only layer layer_num's entries: Z_norm{layer_num}, mu{layer_num}, var{layer_num}.",
            summary="another layer's cache entries overwritten"),
    Mistake("cache_entries_missing",
            "in 'train' mode store self.cache[f'Z_norm{l}'], self.cache[f'mu{l}'] and self.cache[f'var{l}'] "
            "(l = layer_num): the kit's backward pass reads them.",
            summary="Z_norm, mu or var not cached"),
    Mistake("cache_inconsistent",
            "the kit's backward pass reads self.cache['Z_norm{l}'] and self.cache['var{l}']: they must be the "
            "normalised Z (before gamma and beta) and the biased batch variance that produced your output.",
            summary="the cache does not match the output"),
    varies=(batchnorm,),
)
