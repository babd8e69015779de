# Part 9 with NumPy arrays and boolean masks; flow ratio through np.divide under errstate.
import numpy as np


def diagnose_gradient_health(network, X, Y, threshold_vanishing=0.01, threshold_exploding=100):
    network.forward_propagation(X)
    gradients = network.backward_propagation(X, Y)
    L = network.num_layers
    norms = np.array([np.linalg.norm(gradients[f'dW{l}']) for l in range(1, L + 1)])
    layer_ids = np.arange(1, L + 1)
    low = norms < threshold_vanishing
    high = norms > threshold_exploding
    diagnosis = {
        'vanishing_layers': layer_ids[low].tolist(),
        'exploding_layers': layer_ids[high].tolist(),
        'healthy_layers': layer_ids[~low & ~high].tolist(),
    }
    recommendations = []
    if high.any():
        recommendations.append("Gradient clipping (clipnorm=1.0) will stop the explosion.")
    if low.any():
        recommendations.append("Batch normalization or a ReLU activation keeps gradients alive.")
    diagnosis['recommendations'] = recommendations or ["All layers are within the thresholds."]
    with np.errstate(divide='ignore', invalid='ignore'):
        ratio = np.divide(norms[0], norms[-1])
    diagnosis['flow_ratio'] = float(ratio) if norms[-1] > 0 else np.inf
    diagnosis['gradient_norms'] = {f'layer_{l}': norms[l - 1] for l in layer_ids}
    return diagnosis
