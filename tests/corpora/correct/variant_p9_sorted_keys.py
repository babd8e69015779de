# Part 9 finding the layers from the gradient keys (sorted as numbers), norms by einsum,
# classification through a small helper.
import numpy as np


def _classify(norm, low, high):
    if norm < low:
        return 'vanishing_layers'
    if norm > high:
        return 'exploding_layers'
    return 'healthy_layers'


def diagnose_gradient_health(network, X, Y, threshold_vanishing=0.01, threshold_exploding=100):
    network.forward_propagation(X, mode='train')
    grads = network.backward_propagation(X, Y)
    layers = sorted(int(key[2:]) for key in grads if key.startswith('dW'))
    out = {'healthy_layers': [], 'vanishing_layers': [], 'exploding_layers': []}
    norms = {}
    for l in layers:
        g = grads[f'dW{l}']
        norms[f'layer_{l}'] = float(np.einsum('ij,ij->', g, g) ** 0.5)
        out[_classify(norms[f'layer_{l}'], threshold_vanishing, threshold_exploding)].append(l)
    tips = []
    if out['vanishing_layers']:
        tips.append(f"Layers {out['vanishing_layers']} vanish: prefer LeakyReLU, Glorot initialization.")
    if out['exploding_layers']:
        tips.append(f"Layers {out['exploding_layers']} explode: CLIP gradients by global norm.")
    out['recommendations'] = tips if tips else ['Gradients look fine.']
    first, last = norms[f'layer_{layers[0]}'], norms[f'layer_{layers[-1]}']
    out['flow_ratio'] = first / last if last > 0.0 else float('inf')
    out['gradient_norms'] = norms
    return out
