# Part 9 reading the norms the backward pass records in network.gradient_norms.
import numpy as np


def diagnose_gradient_health(network, X, Y, threshold_vanishing=0.01, threshold_exploding=100):
    _ = network.forward_propagation(X)
    network.backward_propagation(X, Y)
    result = {'healthy_layers': [], 'vanishing_layers': [], 'exploding_layers': [], 'recommendations': [],
              'gradient_norms': {}}
    for l in range(1, network.num_layers + 1):
        norm = network.gradient_norms[f'layer_{l}']['dW_norm']
        result['gradient_norms'][f'layer_{l}'] = norm
        if norm > threshold_exploding:
            result['exploding_layers'].append(l)
        elif norm >= threshold_vanishing:
            result['healthy_layers'].append(l)
        else:
            result['vanishing_layers'].append(l)
    if result['vanishing_layers']:
        result['recommendations'].append('Vanishing gradients: try ReLU activations or Xavier/He initialization.')
    if result['exploding_layers']:
        result['recommendations'].append('Exploding gradients: use gradient clipping.')
    if len(result['recommendations']) == 0:
        result['recommendations'].append('Healthy gradient flow.')
    first = result['gradient_norms']['layer_1']
    last = result['gradient_norms'][f'layer_{network.num_layers}']
    result['flow_ratio'] = float('inf') if last == 0 else first / last
    return result
