# Correct variant of clip_gradients: a loop that accumulates squared norms,
# the scale applied only above the threshold, a list of (key, array) pairs
# rebuilt into a dict, and clip_ratio taken as the scale factor in 'norm' mode
# (the same number as clipped_norm / original_norm there).
import numpy as np


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    squares = 0.0
    for name, g in gradients.items():
        squares += float((g * g).sum())
    norm_before = squares ** 0.5
    pairs = []
    if clip_type == 'norm':
        factor = 1.0
        if norm_before > max_norm:
            factor = max_norm / norm_before
        for name, g in gradients.items():
            pairs.append((name, factor * g))
        result = dict(pairs)
        norm_after = norm_before * factor
        ratio = factor
    elif clip_type == 'value':
        for name, g in gradients.items():
            pairs.append((name, np.clip(g, a_min=-max_norm, a_max=max_norm)))
        result = dict(pairs)
        norm_after = sum(float((g * g).sum()) for g in result.values()) ** 0.5
        ratio = norm_after / norm_before if norm_before != 0 else 1.0
    else:
        raise ValueError(clip_type)
    return result, dict(original_norm=norm_before, clipped_norm=norm_after, clip_ratio=ratio)
