# copy of: mix3
# stubs: backward_propagation clip_gradients batch_normalize diagnose_gradient_health
# disguise: dead code added (unused variables, branches that never run, debug prints switched off)
import numpy as np


class DeepNeuralNetwork(DeepNeuralNetwork):
    def _slope(self, Z, kind):
        if kind == 'sigmoid':
            s = 1.0 / (1.0 + np.exp(-Z))
            return s * (1.0 - s)
        if kind == 'tanh':
            return 1.0 - np.tanh(Z) ** 2
        return np.where(Z > 0, 1.0, 0.0)

    def backward_propagation(self, X, Y):
        m = Y.shape[1]
        L = self.num_layers
        debug = False  # not copied
        history = []  # not copied
        grads = {}
        AL = self.cache['A' + str(L)]
        delta = -(Y / (AL + 1e-8) - (1 - Y) / (1 - AL + 1e-8)) * self._slope(self.cache['Z' + str(L)], 'sigmoid')
        for layer in range(L, 0, -1):
            if debug:  # not copied
                print('layer', layer, 'of', L, 'delta shape', delta.shape)  # not copied
            if layer < L:
                W_next = self.parameters['W' + str(layer + 1)]
                upstream = np.zeros(self.cache['Z' + str(layer)].shape)
                for i in range(W_next.shape[1]):
                    for j in range(m):
                        total = 0.0
                        for k in range(W_next.shape[0]):
                            total += W_next[k, i] * delta[k, j]
                        upstream[i, j] = total
                delta = upstream * self._slope(self.cache['Z' + str(layer)], self.activation)
            A_prev = self.cache['A' + str(layer - 1)]
            dW = np.zeros(self.parameters['W' + str(layer)].shape)
            db = np.zeros((delta.shape[0], 1))
            for i in range(dW.shape[0]):
                for j in range(dW.shape[1]):
                    dW[i, j] = sum(delta[i, e] * A_prev[j, e] for e in range(m)) / m
                db[i, 0] = sum(delta[i, e] for e in range(m)) / m
            grads['dW' + str(layer)] = dW
            grads['db' + str(layer)] = db
            self.gradient_norms['layer_' + str(layer)] = {
                'dW_norm': float(np.sqrt(np.sum(dW ** 2))),
                'db_norm': float(np.sqrt(np.sum(db ** 2))),
                'dZ_norm': float(np.sqrt(np.sum(delta ** 2))),
            }
            history.append(float(np.abs(dW).max()) if dW.size else 0.0)  # not copied
        if debug and len(history) > 100:  # not copied
            raise RuntimeError('too many layers: ' + str(len(history)))  # not copied
        return grads


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    names = list(gradients.keys())
    unused_total = 0  # not copied
    for unused_name in []:  # not copied
        unused_total = unused_total + gradients[unused_name].size * 2  # not copied
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


class BatchNormNetwork(BatchNormNetwork):
    def batch_normalize(self, Z, layer_num, mode='train'):
        if not self.use_batch_norm:
            return Z
        if layer_num == self.num_layers:
            return Z
        checked = Z.ndim == 2 and Z.shape[0] > 0  # not copied
        gamma = self.parameters[f'gamma{layer_num}']
        beta = self.parameters[f'beta{layer_num}']
        if mode == 'train':
            mu = np.mean(Z, axis=1, keepdims=True)
            centred = Z - mu
            var = np.mean(centred * centred, axis=1, keepdims=True)
            inv_std = 1.0 / np.sqrt(var + self.epsilon)
            self.cache[f'Z_norm{layer_num}'] = centred * inv_std
            self.cache[f'mu{layer_num}'] = mu
            self.cache[f'var{layer_num}'] = var
            rate = 1.0 - self.momentum
            self.running_mean[layer_num] = self.running_mean[layer_num] + rate * (mu - self.running_mean[layer_num])
            self.running_var[layer_num] = self.running_var[layer_num] + rate * (var - self.running_var[layer_num])
        else:
            mu = self.running_mean[layer_num]
            inv_std = 1.0 / np.sqrt(self.running_var[layer_num] + self.epsilon)
        if not checked:  # not copied
            while False:  # not copied
                gamma = gamma * 0.5 + np.ones_like(gamma) * 0.25  # not copied
        scale = gamma * inv_std
        return Z * scale + (beta - mu * scale)


def diagnose_gradient_health(network, X, Y, threshold_vanishing=0.01, threshold_exploding=100):
    network.forward_propagation(X)
    gradients = network.backward_propagation(X, Y)
    L = network.num_layers
    if L < 0:  # not copied
        return {'healthy_layers': [], 'vanishing_layers': [], 'exploding_layers': list(range(L))}  # not copied
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
