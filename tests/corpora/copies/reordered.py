# copy of: mix1
# stubs: backward_propagation clip_gradients batch_normalize diagnose_gradient_health
# disguise: independent statements reordered, some variables renamed
import math

import numpy as np


class DeepNeuralNetwork(DeepNeuralNetwork):
    def backward_propagation(self, X, Y):
        m = Y.shape[1]
        L = self.num_layers
        store = self.cache
        gradients = {}
        AL = store['A%d' % L]
        dAL = -(np.divide(Y, AL + 1e-8) - np.divide(1 - Y, 1 - AL + 1e-8))
        dZ = dAL * AL * (1 - AL)
        for l in reversed(range(1, L + 1)):
            if l != L:
                A = store['A%d' % l]
                if self.activation == 'sigmoid':
                    g_prime = A * (1 - A)
                elif self.activation == 'tanh':
                    g_prime = 1 - A * A
                else:
                    g_prime = (A > 0) * 1.0
                dZ = dA * g_prime
            gradients['db%d' % l] = dZ.sum(axis=1, keepdims=True) / m
            gradients['dW%d' % l] = dZ @ store['A%d' % (l - 1)].T / m
            self.gradient_norms['layer_%d' % l] = {
                'dW_norm': np.linalg.norm(gradients['dW%d' % l]),
                'db_norm': np.linalg.norm(gradients['db%d' % l]),
                'dZ_norm': np.linalg.norm(dZ),
            }
            dA = self.parameters['W%d' % l].T @ dZ
        return gradients


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    pairs = []
    squares = 0.0
    for key, g in gradients.items():
        squares += float((g * g).sum())
    before = squares ** 0.5
    if clip_type == 'value':
        for key, g in gradients.items():
            pairs.append((key, np.clip(g, a_min=-max_norm, a_max=max_norm)))
        result = dict(pairs)
        after = sum(float((g * g).sum()) for g in result.values()) ** 0.5
        ratio = after / before if before != 0 else 1.0
    elif clip_type == 'norm':
        factor = 1.0
        if before > max_norm:
            factor = max_norm / before
        for key, g in gradients.items():
            pairs.append((key, factor * g))
        result = dict(pairs)
        ratio = factor
        after = before * factor
    else:
        raise ValueError(clip_type)
    return result, dict(original_norm=before, clipped_norm=after, clip_ratio=ratio)


class BatchNormNetwork(BatchNormNetwork):
    def batch_normalize(self, Z, layer_num, mode='train'):
        last = layer_num == self.num_layers
        if last or not self.use_batch_norm:
            return Z
        m = Z.shape[1]
        l = layer_num
        if mode == 'train':
            mu = np.einsum('ij->i', Z)[:, None] / m
            var = np.maximum(np.einsum('ij,ij->i', Z, Z)[:, None] / m - mu * mu, 0.0)
            self.running_var[l] = self.running_var[l].copy()
            self.running_var[l] *= self.momentum
            self.running_var[l] += (1 - self.momentum) * var
            self.running_mean[l] = self.running_mean[l].copy()
            self.running_mean[l] *= self.momentum
            self.running_mean[l] += (1 - self.momentum) * mu
        elif mode == 'test':
            mu, var = self.running_mean[l], self.running_var[l]
        else:
            raise ValueError(f"mode must be train or test, not {mode!r}")
        Z_norm = (Z - mu) / np.sqrt(var + self.epsilon)
        if mode == 'train':
            self.cache.update({f'Z_norm{l}': Z_norm, f'mu{l}': mu, f'var{l}': var})
        return np.einsum('ij,ij->ij', np.broadcast_to(self.parameters[f'gamma{l}'], Z.shape), Z_norm) \
            + self.parameters[f'beta{l}']


def diagnose_gradient_health(network, X, Y, threshold_vanishing=0.01, threshold_exploding=100):
    network.forward_propagation(X)
    grads = network.backward_propagation(X, Y)
    layers = set(range(1, network.num_layers + 1))
    norms = {l: math.sqrt(float(np.sum(np.square(grads['dW' + str(l)])))) for l in layers}
    exploding = {l for l in layers if norms[l] > threshold_exploding}
    vanishing = {l for l in layers if norms[l] < threshold_vanishing}
    healthy = layers - vanishing - exploding
    tips = []
    if vanishing:
        tips.append('Use ReLU instead of sigmoid, He initialisation, or batch normalisation.')
    if exploding:
        tips.append('Clip gradients with tf.clip_by_global_norm, or lower the learning rate.')
    if not tips:
        tips.append('Nothing to fix.')
    last = norms[network.num_layers]
    return {
        'exploding_layers': sorted(exploding),
        'healthy_layers': sorted(healthy),
        'vanishing_layers': sorted(vanishing),
        'gradient_norms': {'layer_%d' % l: norms[l] for l in sorted(layers)},
        'flow_ratio': norms[1] / last if last != 0 else math.inf,
        'recommendations': tips,
    }
