# Correct variant of clip_gradients: TensorFlow's formula
# scale = max_norm * min(1 / norm, 1 / max_norm) (guarded for norm 0), math.sqrt,
# a helper for the global norm, copies made up front, the stats as NumPy scalars.
import math

import numpy as np


def _global_l2(arrays):
    return math.sqrt(sum(float(np.vdot(a, a)) for a in arrays))


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    if clip_type not in {'norm', 'value'}:
        raise ValueError("unsupported clip_type " + repr(clip_type))
    out = {k: np.array(v, dtype=np.float64, copy=True) for k, v in gradients.items()}
    before = _global_l2(out.values())
    if clip_type == 'value':
        for k in out:
            np.clip(out[k], -max_norm, max_norm, out=out[k])
    elif before > 0:
        factor = max_norm * min(1.0 / before, 1.0 / max_norm)
        for k in out:
            out[k] *= factor
    after = _global_l2(out.values())
    stats = {'original_norm': np.float64(before), 'clipped_norm': np.float64(after),
             'clip_ratio': np.float64(after / before if before else 1.0)}
    return out, stats
