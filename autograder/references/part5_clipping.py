"""References for Part 5 (clip_gradients), in float64, and its known mistakes.

The truth:
- `clip_by_global_norm`: tf.clip_by_global_norm over the dict's arrays, in the
  dict's order. Never call it with an infinite or NaN norm: TensorFlow then
  returns NaN everywhere.
- `clip_by_value`: tf.clip_by_value(g, -max_norm, max_norm) per array.
- `clip_gradients`: what the stub returns by the contract, (clipped, stats): the
  arrays from TensorFlow's clipping, the stats line for line as the lab computes them.

`MISTAKES`: every mistake the checks can name, in the order they are tried. A
replayable one is a small function of clip_gradients' arguments returning what a
stub with that mistake returns there; those functions share nothing with the truth.
"""
import numpy as np

from autograder.mistakes import Mistake, Mistakes
from autograder.references import memoised, tensorflow


# -- the truth -------------------------------------------------------------------------

@memoised
def clip_by_global_norm(memo, gradients, max_norm):
    """({key: clipped array}, global norm before) from tf.clip_by_global_norm."""
    tf = tensorflow()
    keys = list(gradients)
    tensors = [tf.constant(gradients[k], dtype=tf.float64) for k in keys]
    clipped, norm = tf.clip_by_global_norm(tensors, tf.constant(max_norm, dtype=tf.float64))
    norm = float(norm.numpy())
    if not np.isfinite(norm):
        raise ValueError("clip_by_global_norm reference called with a non-finite norm")
    return {k: c.numpy() for k, c in zip(keys, clipped)}, norm


@memoised
def clip_by_value(memo, gradients, max_norm):
    """{key: tf.clip_by_value(g, -max_norm, max_norm)}."""
    tf = tensorflow()
    return {k: tf.clip_by_value(tf.constant(g, dtype=tf.float64), -max_norm, max_norm).numpy()
            for k, g in gradients.items()}


def _global_norm(arrays):
    return float(np.sqrt(sum(np.sum(g ** 2) for g in arrays.values())))


@memoised
def clip_gradients(memo, gradients, max_norm, clip_type):
    """(clipped, stats) the contract asks for, clip_type 'norm' or 'value': {key: array} and
    {'original_norm', 'clipped_norm', 'clip_ratio'}; all-zero gradients give a ratio of 1.0."""
    if clip_type == "norm":
        clipped, _ = clip_by_global_norm(memo, gradients, max_norm)
    else:
        clipped = clip_by_value(memo, gradients, max_norm)
    original_norm = _global_norm(gradients)
    clipped_norm = _global_norm(clipped)
    clip_ratio = clipped_norm / original_norm if original_norm > 0 else 1.0
    return clipped, {"original_norm": original_norm, "clipped_norm": clipped_norm, "clip_ratio": clip_ratio}


# -- known mistakes ----------------------------------------------------------------------
# Each replays one mistake: it takes clip_gradients' arguments and returns what a stub with
# that mistake returns, (clipped, stats), or None where the mistake does not show (the other
# mode; a division by a zero norm). A stub's stats follow from its own arrays and its own
# global norm. The helpers below serve only the mistakes, so no edit here reaches the truth.

def _norm(arrays):
    """The global norm a stub computes right: sqrt of the sum of every squared entry."""
    return float(np.sqrt(sum(float(np.sum(np.square(g))) for g in arrays.values())))


def _squared_norm(arrays):
    return _norm(arrays) ** 2


def _sum_of_norms(arrays):
    return float(sum(np.linalg.norm(g) for g in arrays.values()))


def _stats(original_norm, clipped_norm):
    return {"original_norm": original_norm, "clipped_norm": clipped_norm,
            "clip_ratio": clipped_norm / original_norm if original_norm > 0 else 1.0}


def _returns(gradients, clipped, norm=_norm):
    """(clipped, stats) from a stub that returns `clipped` and measures with `norm`."""
    return clipped, _stats(norm(gradients), norm(clipped))


def _scaled(gradients, scale):
    return _returns(gradients, {k: g * scale for k, g in gradients.items()})


def _clipped(gradients, max_norm, clip_type, norm=_norm):
    """What a stub returns that clips right but takes `norm` for the global norm."""
    if clip_type == "value":
        return _returns(gradients, {k: np.clip(g, -max_norm, max_norm) for k, g in gradients.items()}, norm)
    before = norm(gradients)
    scale = max_norm / before if before > max_norm else 1.0
    return _returns(gradients, {k: g * scale for k, g in gradients.items()}, norm)


def _restated(gradients, max_norm, clip_type, restate):
    """What a stub returns that clips right, then reports restate(the right stats) (None: nothing)."""
    clipped, stats = _clipped(gradients, max_norm, clip_type)
    stated = restate(stats)
    return None if stated is None else (clipped, stated)


# The clipped arrays (and the stats such a stub reports about them).

@memoised
def per_array_clipping(memo, gradients, max_norm, clip_type):
    each_by_its_norm = {k: g * (max_norm / np.linalg.norm(g) if np.linalg.norm(g) > max_norm else 1.0)
                        for k, g in gradients.items()}
    return _returns(gradients, each_by_its_norm) if clip_type == "norm" else None


@memoised
def squared_norm(memo, gradients, max_norm, clip_type):
    return _clipped(gradients, max_norm, clip_type, _squared_norm)


@memoised
def sum_of_norms(memo, gradients, max_norm, clip_type):
    return _clipped(gradients, max_norm, clip_type, _sum_of_norms)


@memoised
def always_scales(memo, gradients, max_norm, clip_type):
    norm = _norm(gradients)
    return _scaled(gradients, max_norm / norm) if clip_type == "norm" and norm > 0 else None


@memoised
def reversed_condition(memo, gradients, max_norm, clip_type):
    norm = _norm(gradients)
    if clip_type != "norm" or norm == 0:
        return None
    return _scaled(gradients, max_norm / norm if norm < max_norm else 1.0)


@memoised
def inverted_scale(memo, gradients, max_norm, clip_type):
    norm = _norm(gradients)
    return _scaled(gradients, norm / max_norm if norm > max_norm else 1.0) if clip_type == "norm" else None


@memoised
def value_clipping_in_norm_mode(memo, gradients, max_norm, clip_type):
    return _clipped(gradients, max_norm, "value") if clip_type == "norm" else None


@memoised
def norm_clipping_in_value_mode(memo, gradients, max_norm, clip_type):
    return _clipped(gradients, max_norm, "norm") if clip_type == "value" else None


@memoised
def value_lower_bound_zero(memo, gradients, max_norm, clip_type):
    lower_bound_zero = {k: np.clip(g, 0, max_norm) for k, g in gradients.items()}
    return _returns(gradients, lower_bound_zero) if clip_type == "value" else None


@memoised
def value_upper_bound_only(memo, gradients, max_norm, clip_type):
    upper_bound_only = {k: np.minimum(g, max_norm) for k, g in gradients.items()}
    return _returns(gradients, upper_bound_only) if clip_type == "value" else None


# The stats, with the arrays right.

@memoised
def original_norm_after_clipping(memo, gradients, max_norm, clip_type):
    return _restated(gradients, max_norm, clip_type, lambda s: _stats(s["clipped_norm"], s["clipped_norm"]))


@memoised
def clipped_norm_squared(memo, gradients, max_norm, clip_type):
    return _restated(gradients, max_norm, clip_type, lambda s: _stats(s["original_norm"], s["clipped_norm"] ** 2))


@memoised
def clipped_norm_before_clipping(memo, gradients, max_norm, clip_type):
    return _restated(gradients, max_norm, clip_type, lambda s: _stats(s["original_norm"], s["original_norm"]))


@memoised
def clipped_norm_not_recomputed(memo, gradients, max_norm, clip_type):
    return _restated(gradients, max_norm, clip_type, lambda s: _stats(s["original_norm"], max_norm))


@memoised
def ratio_inverted(memo, gradients, max_norm, clip_type):
    def inverted(s):
        return {**s, "clip_ratio": s["original_norm"] / s["clipped_norm"]} if s["clipped_norm"] > 0 else None

    return _restated(gradients, max_norm, clip_type, inverted)


@memoised
def ratio_of_squares(memo, gradients, max_norm, clip_type):
    return _restated(gradients, max_norm, clip_type, lambda s: {**s, "clip_ratio": s["clip_ratio"] ** 2})


@memoised
def ratio_is_scale_factor(memo, gradients, max_norm, clip_type):
    def scale_factor(s):
        return {**s, "clip_ratio": min(1.0, max_norm / s["original_norm"])} if s["original_norm"] > 0 else None

    return _restated(gradients, max_norm, clip_type, scale_factor) if clip_type == "value" else None


MISTAKES = Mistakes(
    # The clipped arrays.
    Mistake("per_array_clipping", "each array is clipped by its own norm; 'norm' clipping uses one global "
                                  "norm over all arrays (sqrt of the sum of every array's squared entries) "
                                  "and scales every array by the same factor.",
            wrong=per_array_clipping, summary="clips each array by its own norm, not the global norm"),
    Mistake("squared_norm", "the norm misses its square root: the global norm is sqrt(sum of squares).",
            wrong=squared_norm, summary="the global norm misses its square root"),
    Mistake("sum_of_norms", "the global norm is not the sum of the arrays' norms: it is the square root "
                            "of the sum of all their squared entries.",
            wrong=sum_of_norms, summary="the global norm is the sum of the arrays' norms"),
    Mistake("always_scales", "the gradients are scaled to max_norm even when their norm is already below "
                             "it; scale only when the norm exceeds max_norm.",
            wrong=always_scales, summary="scales to max_norm even below the threshold"),
    Mistake("reversed_condition", "the condition is reversed: scale when the norm is above max_norm, "
                                  "leave the gradients unchanged when it is below.",
            wrong=reversed_condition, summary="scales below the threshold instead of above"),
    Mistake("inverted_scale", "the scale factor is upside down: multiply by max_norm / norm.",
            wrong=inverted_scale, summary="scales by norm / max_norm instead of max_norm / norm"),
    Mistake("value_clipping_in_norm_mode", "'norm' mode clips each element; that is 'value' mode. 'norm' "
                                           "scales every array by max_norm / global_norm.",
            wrong=value_clipping_in_norm_mode, summary="clips each element in 'norm' mode"),
    Mistake("norm_clipping_in_value_mode", "'value' mode scales by the norm; it should clip each element "
                                           "to [-max_norm, max_norm] (np.clip).",
            wrong=norm_clipping_in_value_mode, summary="scales by the global norm in 'value' mode"),
    Mistake("value_lower_bound_zero", "'value' mode clips to [0, max_norm]; the lower bound is -max_norm.",
            wrong=value_lower_bound_zero, summary="'value' mode clips to [0, max_norm]"),
    Mistake("value_upper_bound_only", "'value' mode only bounds from above; clip to [-max_norm, max_norm].",
            wrong=value_upper_bound_only, summary="'value' mode bounds only from above"),
    # The stats, with the arrays right.
    Mistake("original_norm_after_clipping", "original_norm is the norm after clipping; measure it on the "
                                            "input, before clipping.",
            wrong=original_norm_after_clipping, summary="original_norm measured after clipping"),
    Mistake("clipped_norm_squared", "clipped_norm misses its square root: it is the square root of the sum "
                                    "of the clipped arrays' squared entries.",
            wrong=clipped_norm_squared, summary="clipped_norm misses its square root"),
    Mistake("clipped_norm_before_clipping", "clipped_norm is the norm before clipping; measure it on the "
                                            "arrays you return.",
            wrong=clipped_norm_before_clipping, summary="clipped_norm measured before clipping"),
    Mistake("clipped_norm_not_recomputed", "clipped_norm is not the global norm of the clipped arrays; "
                                           "compute it from the arrays you return.",
            wrong=clipped_norm_not_recomputed, summary="clipped_norm taken as max_norm, not measured"),
    Mistake("ratio_inverted", "clip_ratio is before/after; it is clipped_norm / original_norm (<= 1).",
            wrong=ratio_inverted, summary="clip_ratio is original / clipped"),
    Mistake("ratio_of_squares", "clip_ratio is a ratio of squared norms: it is clipped_norm / original_norm, "
                                "the norms themselves.",
            wrong=ratio_of_squares, summary="clip_ratio is a ratio of squared norms"),
    Mistake("ratio_is_scale_factor", "in 'value' mode clip_ratio must be clipped_norm / original_norm, "
                                     "not the 'norm' mode scale factor.",
            wrong=ratio_is_scale_factor, summary="'value' mode's clip_ratio is the 'norm' scale factor"),
    # Recognised from what the stub returned, raised or changed (nothing to replay).
    Mistake("returns_none", "the `return` is missing: return the tuple (clipped_gradients, stats), "
                            "e.g. `return clipped, stats`.", summary="returns None"),
    Mistake("returns_only_dict", "the stats are missing: return the tuple (clipped_gradients, stats), "
                                 "e.g. `return clipped, stats`.",
            summary="returns only the clipped dict, not (clipped, stats)"),
    Mistake("swapped_return", "the two items are swapped: the contract's order is (clipped_gradients, stats).",
            summary="returns (stats, clipped)"),
    Mistake("rejects_value_mode", "'value' is a valid clip_type: clip each element to [-max_norm, max_norm] "
                                  "(np.clip).", summary="raises for clip_type='value'"),
    Mistake("zero_norm_nan", "0 / 0: when every gradient is 0 the global norm is 0, and dividing by it gives "
                             "NaN. Nothing needs scaling then: guard the division (scale only when "
                             "norm > max_norm).", summary="0 / 0 for all-zero gradients"),
    Mistake("no_clipping", "nothing is clipped: 'norm' mode scales every array by max_norm / global norm "
                           "when the global norm exceeds max_norm; 'value' mode clips each entry to "
                           "[-max_norm, max_norm].", summary="returns the gradients unclipped"),
    Mistake("modifies_input", "modifying the caller's dict or its arrays in place (`g *= scale`, "
                              "`np.clip(g, ..., out=g)`, or assigning into gradients[key]). Build new arrays "
                              "(`g * scale`, `np.clip(g, lo, hi)`) in a new dict.",
            summary="modifies the gradients it was given"),
    Mistake("no_value_error", "clip_type is not checked: raise ValueError for any clip_type but 'norm' and "
                              "'value' (an unknown clip_type is a caller's mistake, which should not pass "
                              "silently).", summary="no ValueError for an unknown clip_type"),
    Mistake("wrong_exception", "the wrong exception; raise ValueError for an unknown clip_type (a caller "
                               "catches ValueError).", summary="raises another exception than ValueError"),
    varies=(clip_gradients,),
)
