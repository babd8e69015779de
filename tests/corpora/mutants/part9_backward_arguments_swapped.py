# part: part9
# mistake: backward_on_other_data
# named: yes
# Calls network.backward_propagation(Y, X): a real network would take m and the labels from the
# wrong arrays (found by `make mutants`).
import numpy as np


def diagnose_gradient_health(network, X, Y, threshold_vanishing=0.01, threshold_exploding=100):
    network.forward_propagation(X)
    gradients = network.backward_propagation(Y, X)
    L = network.num_layers
    norms = {f'layer_{l}': float(np.linalg.norm(gradients[f'dW{l}'])) for l in range(1, L + 1)}
    diagnosis = {'healthy_layers': [], 'vanishing_layers': [], 'exploding_layers': [],
                 'recommendations': []}
    for l in range(1, L + 1):
        norm = norms[f'layer_{l}']
        if norm < threshold_vanishing:
            diagnosis['vanishing_layers'].append(l)
        elif norm > threshold_exploding:
            diagnosis['exploding_layers'].append(l)
        else:
            diagnosis['healthy_layers'].append(l)
    if diagnosis['vanishing_layers']:
        diagnosis['recommendations'].append(
            f"Vanishing gradients in layers {diagnosis['vanishing_layers']}: use ReLU-family "
            "activations, Xavier/He initialization, or batch normalization.")
    if diagnosis['exploding_layers']:
        diagnosis['recommendations'].append(
            f"Exploding gradients in layers {diagnosis['exploding_layers']}: apply gradient "
            "clipping, lower the learning rate, and check the initialization.")
    if not diagnosis['recommendations']:
        diagnosis['recommendations'].append("Gradient flow looks healthy; keep the configuration.")
    first, last = norms['layer_1'], norms[f'layer_{L}']
    diagnosis['flow_ratio'] = first / last if last > 0 else float('inf')
    diagnosis['gradient_norms'] = norms
    return diagnosis
