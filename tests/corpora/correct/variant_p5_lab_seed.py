# Correct variant of clip_gradients: the lab's own code from the seed notebook
# (a 1e-8 epsilon in the scale and in the value-mode ratio, clipped_norm as
# min(total_norm, max_norm)), plus the ValueError the contract asks for.
import numpy as np


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    clipped_gradients = {}
    clip_stats = {'original_norm': 0, 'clipped_norm': 0, 'clip_ratio': 1.0}

    if clip_type == 'norm':
        # Calculate total gradient norm
        total_norm = 0
        for key in gradients:
            total_norm += np.sum(gradients[key] ** 2)
        total_norm = np.sqrt(total_norm)

        clip_stats['original_norm'] = total_norm

        # Clip if necessary
        clip_ratio = max_norm / (total_norm + 1e-8)
        clip_ratio = min(clip_ratio, 1.0)

        for key in gradients:
            clipped_gradients[key] = gradients[key] * clip_ratio

        clip_stats['clip_ratio'] = clip_ratio
        clip_stats['clipped_norm'] = min(total_norm, max_norm)

    elif clip_type == 'value':
        # Clip individual gradient values
        for key in gradients:
            clipped_gradients[key] = np.clip(gradients[key], -max_norm, max_norm)
            clip_stats['original_norm'] += np.sum(gradients[key] ** 2)
            clip_stats['clipped_norm'] += np.sum(clipped_gradients[key] ** 2)

        clip_stats['original_norm'] = np.sqrt(clip_stats['original_norm'])
        clip_stats['clipped_norm'] = np.sqrt(clip_stats['clipped_norm'])
        clip_stats['clip_ratio'] = clip_stats['clipped_norm'] / (clip_stats['original_norm'] + 1e-8)

    else:
        raise ValueError(f"Unknown clip_type: {clip_type}")

    return clipped_gradients, clip_stats
