"""References for Part 5 (clip_gradients): TensorFlow's own clipping, in float64.

- `clip_by_global_norm`: tf.clip_by_global_norm over the dict's arrays, in the
  dict's order. Never call it with an infinite or NaN norm: TensorFlow then
  returns NaN everywhere.
- `clip_by_value`: tf.clip_by_value(g, -max_norm, max_norm) per array.
- `statistics`: the stats the contract asks for (global norms before and
  after; ratio after/before, 1.0 for all-zero gradients).
- `mistaken`: what known mistakes return on the same input, so feedback can
  name them.
"""
import numpy as np

from autograder.references import memoised, tensorflow


def global_norm(gradients):
    """sqrt of the sum of squares of every entry of every array (float64)."""
    return float(np.sqrt(sum(float(np.sum(np.square(g))) for g in gradients.values())))


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


def statistics(before, after):
    """{'original_norm', 'clipped_norm', 'clip_ratio'}; 0/0 gives a ratio of 1.0."""
    original, clipped = global_norm(before), global_norm(after)
    return {"original_norm": original, "clipped_norm": clipped,
            "clip_ratio": clipped / original if original > 0 else 1.0}


def expected(memo, gradients, max_norm, clip_type):
    """(clipped, stats) the contract asks for; memo: the grading process's Memo."""
    if clip_type == "norm":
        clipped, _ = clip_by_global_norm(memo, gradients, max_norm)
    else:
        clipped = clip_by_value(memo, gradients, max_norm)
    return clipped, statistics(gradients, clipped)


# -- known mistakes ------------------------------------------------------------------

# id -> hint for the student. Order matters: the first one that fits is named.
ARRAY_MISTAKES = {
    "per_array_clipping": "each array is clipped by its own norm; 'norm' clipping uses one global "
                          "norm over all arrays (sqrt of the sum of every array's squared entries) "
                          "and scales every array by the same factor.",
    "squared_norm": "the norm misses its square root: the global norm is sqrt(sum of squares).",
    "sum_of_norms": "the global norm is not the sum of the arrays' norms: it is the square root "
                    "of the sum of all their squared entries.",
    "always_scales": "the gradients are scaled to max_norm even when their norm is already below "
                     "it; scale only when the norm exceeds max_norm.",
    "reversed_condition": "the condition is reversed: scale when the norm is above max_norm, "
                          "leave the gradients unchanged when it is below.",
    "inverted_scale": "the scale factor is upside down: multiply by max_norm / norm.",
    "value_clipping_in_norm_mode": "'norm' mode clips each element; that is 'value' mode. 'norm' "
                                   "scales every array by max_norm / global_norm.",
    "norm_clipping_in_value_mode": "'value' mode scales by the norm; it should clip each element "
                                   "to [-max_norm, max_norm] (np.clip).",
    "value_lower_bound_zero": "'value' mode clips to [0, max_norm]; the lower bound is -max_norm.",
    "value_upper_bound_only": "'value' mode only bounds from above; clip to [-max_norm, max_norm].",
}

STATS_MISTAKES = {
    "squared_norm": "the norm misses its square root: the global norm is sqrt(sum of squares).",
    "sum_of_norms": "the global norm is not the sum of the arrays' norms: it is the square root "
                    "of the sum of all their squared entries.",
    "original_norm_after_clipping": "original_norm is the norm after clipping; measure it on the "
                                    "input, before clipping.",
    "clipped_norm_not_recomputed": "clipped_norm is not the global norm of the clipped arrays; "
                                   "compute it from the arrays you return.",
    "ratio_inverted": "clip_ratio is before/after; it is clipped_norm / original_norm (<= 1).",
    "ratio_is_scale_factor": "in 'value' mode clip_ratio must be clipped_norm / original_norm, "
                             "not the 'norm' mode scale factor.",
}


# Every known mistake of this part, for the class report and the catalogue of mistake ids.
MISTAKES = {**ARRAY_MISTAKES, **STATS_MISTAKES}


def sum_of_norms(gradients):
    return float(sum(np.linalg.norm(g) for g in gradients.values()))


def mistaken_arrays(gradients, max_norm, clip_type):
    """[(mistake id, {key: array})]: what each array mistake returns on this input."""
    norm = global_norm(gradients)
    squared = norm ** 2
    out = []
    if clip_type == "norm":
        out.append(("per_array_clipping", {
            k: g * (max_norm / np.linalg.norm(g) if np.linalg.norm(g) > max_norm else 1.0)
            for k, g in gradients.items()}))
        out.append(("squared_norm", {k: g * (max_norm / squared if squared > max_norm else 1.0)
                                     for k, g in gradients.items()}))
        summed = sum_of_norms(gradients)
        out.append(("sum_of_norms", {k: g * (max_norm / summed if summed > max_norm else 1.0)
                                     for k, g in gradients.items()}))
        if norm > 0:
            out.append(("always_scales", {k: g * (max_norm / norm) for k, g in gradients.items()}))
            out.append(("reversed_condition", {k: g * (max_norm / norm if norm < max_norm else 1.0)
                                               for k, g in gradients.items()}))
            out.append(("inverted_scale", {k: g * (norm / max_norm if norm > max_norm else 1.0)
                                           for k, g in gradients.items()}))
        out.append(("value_clipping_in_norm_mode", {k: np.clip(g, -max_norm, max_norm)
                                                    for k, g in gradients.items()}))
    else:
        out.append(("norm_clipping_in_value_mode", {k: g * (max_norm / norm if norm > max_norm else 1.0)
                                                    for k, g in gradients.items()}))
        out.append(("value_lower_bound_zero", {k: np.clip(g, 0, max_norm) for k, g in gradients.items()}))
        out.append(("value_upper_bound_only", {k: np.minimum(g, max_norm) for k, g in gradients.items()}))
    return out


def mistaken_stat(key, gradients, clipped, reported, max_norm, clip_type):
    """[(mistake id, value)]: what known mistakes report for stats[key] on this input.

    `clipped`: the clipped arrays returned (their norm is what clipped_norm should be);
    `reported`: the statistics as reported, for the ratio's mistakes."""
    before, after = global_norm(gradients), global_norm(clipped)
    if key == "original_norm":
        return [("squared_norm", before ** 2), ("sum_of_norms", sum_of_norms(gradients)),
                ("original_norm_after_clipping", after)]
    if key == "clipped_norm":
        return [("squared_norm", after ** 2), ("sum_of_norms", sum_of_norms(clipped)),
                ("clipped_norm_not_recomputed", before), ("clipped_norm_not_recomputed", max_norm)]
    o, c = reported["original_norm"], reported["clipped_norm"]
    out = [("ratio_inverted", o / c if c else None), ("squared_norm", (c / o) ** 2 if o else None)]
    if clip_type == "value":
        out.append(("ratio_is_scale_factor", min(1.0, max_norm / o) if o else None))
    return [(mistake, value) for mistake, value in out if value is not None]
