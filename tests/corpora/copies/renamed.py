# copy of: mix0
# stubs: backward_propagation clip_gradients batch_normalize diagnose_gradient_health
# disguise: every variable, parameter and helper renamed
import numpy as np


class DeepNeuralNetwork(DeepNeuralNetwork):
    def _deriv(self, pre, kind):
        if kind == 'relu':
            return (pre >= 0).astype(np.float64)
        if kind == 'tanh':
            return 1.0 / np.cosh(pre) ** 2
        sg = 0.5 * (1.0 + np.tanh(0.5 * pre))
        return sg * (1.0 - sg)

    def backward_propagation(self, inputs, labels):
        count = inputs.shape[1]
        L = self.num_layers
        grads = {}
        delta = (self.cache[f'A{L}'] - labels) / count
        for layer in range(L, 0, -1):
            prev_act = self.cache[f'A{layer - 1}']
            grads[f'dW{layer}'] = np.einsum('im,jm->ij', delta, prev_act)
            grads[f'db{layer}'] = np.einsum('im->i', delta)[:, None]
            self.gradient_norms[f'layer_{layer}'] = {
                'dW_norm': np.linalg.norm(grads[f'dW{layer}'], 'fro'),
                'db_norm': np.linalg.norm(grads[f'db{layer}']),
                'dZ_norm': np.linalg.norm(delta),
            }
            if layer > 1:
                back = np.einsum('ji,jm->im', self.parameters[f'W{layer}'], delta)
                delta = back * self._deriv(self.cache[f'Z{layer - 1}'], self.activation)
        return grads


def clip_gradients(grads, max_norm=5.0, clip_type='norm'):
    result = {}
    info = {'original_norm': 0, 'clipped_norm': 0, 'clip_ratio': 1.0}

    if clip_type == 'norm':
        norm = 0
        for name in grads:
            norm += np.sum(grads[name] ** 2)
        norm = np.sqrt(norm)

        info['original_norm'] = norm

        factor = max_norm / (norm + 1e-8)
        factor = min(factor, 1.0)

        for name in grads:
            result[name] = grads[name] * factor

        info['clip_ratio'] = factor
        info['clipped_norm'] = min(norm, max_norm)

    elif clip_type == 'value':
        for name in grads:
            result[name] = np.clip(grads[name], -max_norm, max_norm)
            info['original_norm'] += np.sum(grads[name] ** 2)
            info['clipped_norm'] += np.sum(result[name] ** 2)

        info['original_norm'] = np.sqrt(info['original_norm'])
        info['clipped_norm'] = np.sqrt(info['clipped_norm'])
        info['clip_ratio'] = info['clipped_norm'] / (info['original_norm'] + 1e-8)

    else:
        raise ValueError(f"bad clip type {clip_type}")

    return result, info


class BatchNormNetwork(BatchNormNetwork):
    def batch_normalize(self, Z, idx, mode='train'):
        if (not self.use_batch_norm) or idx >= self.num_layers:
            return Z
        g = self.parameters['gamma%d' % idx]
        b = self.parameters['beta%d' % idx]
        rows, cols = Z.shape
        res = np.empty((rows, cols))
        if mode == 'test':
            for r in range(rows):
                inverse = 1.0 / np.sqrt(self.running_var[idx][r, 0] + self.epsilon)
                res[r, :] = g[r, 0] * (Z[r, :] - self.running_mean[idx][r, 0]) * inverse + b[r, 0]
            return res
        means = np.zeros((rows, 1))
        variances = np.zeros((rows, 1))
        normed = np.zeros((rows, cols))
        for r in range(rows):
            vals = Z[r, :]
            avg = sum(float(v) for v in vals) / cols
            spread = sum((float(v) - avg) ** 2 for v in vals) / cols
            inverse = 1.0 / np.sqrt(spread + self.epsilon)
            for c in range(cols):
                normed[r, c] = (vals[c] - avg) * inverse
                res[r, c] = g[r, 0] * normed[r, c] + b[r, 0]
            means[r, 0] = avg
            variances[r, 0] = spread
        self.cache['Z_norm' + str(idx)] = normed
        self.cache['mu' + str(idx)] = means
        self.cache['var' + str(idx)] = variances
        rm = np.zeros((rows, 1))
        rv = np.zeros((rows, 1))
        for r in range(rows):
            rm[r, 0] = self.momentum * self.running_mean[idx][r, 0] + (1 - self.momentum) * means[r, 0]
            rv[r, 0] = self.momentum * self.running_var[idx][r, 0] + (1 - self.momentum) * variances[r, 0]
        self.running_mean[idx] = rm
        self.running_var[idx] = rv
        return res


def diagnose_gradient_health(net, X, Y, threshold_vanishing=0.01, threshold_exploding=100):
    _ = net.forward_propagation(X)
    net.backward_propagation(X, Y)
    report = {'healthy_layers': [], 'vanishing_layers': [], 'exploding_layers': [], 'recommendations': [],
              'gradient_norms': {}}
    for k in range(1, net.num_layers + 1):
        size = net.gradient_norms[f'layer_{k}']['dW_norm']
        report['gradient_norms'][f'layer_{k}'] = size
        if size > threshold_exploding:
            report['exploding_layers'].append(k)
        elif size >= threshold_vanishing:
            report['healthy_layers'].append(k)
        else:
            report['vanishing_layers'].append(k)
    if report['vanishing_layers']:
        report['recommendations'].append('Gradients vanish: ReLU or He init might help.')
    if report['exploding_layers']:
        report['recommendations'].append('Gradients explode: clip them.')
    if len(report['recommendations']) == 0:
        report['recommendations'].append('All good.')
    top = report['gradient_norms']['layer_1']
    bottom = report['gradient_norms'][f'layer_{net.num_layers}']
    report['flow_ratio'] = float('inf') if bottom == 0 else top / bottom
    return report
