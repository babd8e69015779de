# Part 9 with sets: the vanishing and exploding layers first, healthy = the rest, each sorted;
# norms as math.sqrt of a sum of squares.
import math

import numpy as np


def diagnose_gradient_health(network, X, Y, threshold_vanishing=0.01, threshold_exploding=100):
    network.forward_propagation(X)
    grads = network.backward_propagation(X, Y)
    layers = set(range(1, network.num_layers + 1))
    norms = {l: math.sqrt(float(np.sum(np.square(grads['dW' + str(l)])))) for l in layers}
    vanishing = {l for l in layers if norms[l] < threshold_vanishing}
    exploding = {l for l in layers if norms[l] > threshold_exploding}
    healthy = layers - vanishing - exploding
    advice = []
    if exploding:
        advice.append('Clip the gradients (tf.clip_by_global_norm or clipnorm) and lower the learning rate.')
    if vanishing:
        advice.append('Switch sigmoid/tanh for ReLU, use He initialisation, add BatchNormalization.')
    if not advice:
        advice.append('No problem found.')
    last = norms[network.num_layers]
    return {
        'healthy_layers': sorted(healthy),
        'vanishing_layers': sorted(vanishing),
        'exploding_layers': sorted(exploding),
        'recommendations': advice,
        'flow_ratio': norms[1] / last if last != 0 else math.inf,
        'gradient_norms': {'layer_%d' % l: norms[l] for l in sorted(layers)},
    }
