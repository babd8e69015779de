# Correct variant of clip_gradients: PyTorch's clip_grad_norm_ recipe, a 1e-6
# epsilon in the scale and a clamp at 1 (always multiplies), norms from one
# flattened vector, value clipping with np.minimum / np.maximum, and the same
# epsilon guarding clip_ratio (0.0 for all-zero gradients).
import numpy as np


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    names = list(gradients.keys())
    flat = np.concatenate([np.ravel(gradients[n]) for n in names]) if names else np.zeros(0)
    total_norm = np.linalg.norm(flat)
    if clip_type == 'norm':
        clip_coef = max_norm / (total_norm + 1e-6)
        clip_coef_clamped = min(clip_coef, 1.0)
        clipped = {n: gradients[n] * clip_coef_clamped for n in names}
    elif clip_type == 'value':
        clipped = {n: np.maximum(np.minimum(gradients[n], max_norm), -max_norm) for n in names}
    else:
        raise ValueError('clip_type must be "norm" or "value", got %r' % (clip_type,))
    new_norm = np.linalg.norm(np.concatenate([np.ravel(clipped[n]) for n in names])) if names else 0.0
    ratio = new_norm / (total_norm + 1e-6)
    return clipped, {'original_norm': total_norm, 'clipped_norm': new_norm, 'clip_ratio': ratio}
