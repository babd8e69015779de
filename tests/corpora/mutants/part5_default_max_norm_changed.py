# part: part5
# mistake: wrong_values
# named: no
# The default max_norm is 1.0 instead of the contract's 5.0 (found by `make mutants`).
import numpy as np


def clip_gradients(gradients, max_norm=1.0, clip_type='norm'):
    if clip_type not in ('norm', 'value'):
        raise ValueError(f"Unknown clip_type: {clip_type!r} (use 'norm' or 'value')")
    original_norm = np.sqrt(sum(np.sum(g ** 2) for g in gradients.values()))
    if clip_type == 'norm':
        scale = max_norm / original_norm if original_norm > max_norm else 1.0
        clipped = {key: g * scale for key, g in gradients.items()}
    else:
        clipped = {key: np.clip(g, -max_norm, max_norm) for key, g in gradients.items()}
    clipped_norm = np.sqrt(sum(np.sum(g ** 2) for g in clipped.values()))
    clip_ratio = clipped_norm / original_norm if original_norm > 0 else 1.0
    stats = {'original_norm': float(original_norm), 'clipped_norm': float(clipped_norm),
             'clip_ratio': float(clip_ratio)}
    return clipped, stats
