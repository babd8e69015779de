# copy of: mix2
# stubs: backward_propagation clip_gradients batch_normalize diagnose_gradient_health
# disguise: comments and docstrings rewritten, whitespace, blank lines and line breaks changed
import math
import numpy as np


class DeepNeuralNetwork(DeepNeuralNetwork):
    def backward_propagation(self, X, Y):
        """My own backprop: goes from the last layer to the first one."""
        m = X.shape[1]
        gradients = {}
        # start at the output
        AL = self.cache[f'A{self.num_layers}']
        dAL = -(Y / (AL + 1e-8) -
                (1 - Y) / (1 - AL + 1e-8))
        dA = dAL
        for l in reversed(range(1, self.num_layers + 1)):
            A_prev = self.cache[f'A{l-1}']   # activation of the layer before
            Z = self.cache[f'Z{l}']
            W = self.parameters[f'W{l}']
            if l == self.num_layers:   # sigmoid at the top
                dZ = dA * self._activate_derivative(Z, 'sigmoid')
            else:
                dZ = dA * self._activate_derivative(Z, self.activation)
            dW = (1/m) * np.dot(dZ, A_prev.T)
            db = (1/m) * np.sum(dZ, axis=1,
                                keepdims=True)
            if l > 1:
                dA = np.dot(W.T, dZ)   # pass it down
            gradients[f'dW{l}'] = dW
            gradients[f'db{l}'] = db
            # the norms the lab asks for
            self.gradient_norms[f'layer_{l}'] = {'dW_norm': np.linalg.norm(dW),
                                                 'db_norm': np.linalg.norm(db),
                                                 'dZ_norm': np.linalg.norm(dZ)}
        return gradients


def _global_l2(arrays):
    # one norm over everything
    return math.sqrt(sum(float(np.vdot(a, a)) for a in arrays))


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    """Clips by the global norm like TensorFlow does."""
    if clip_type not in {'norm', 'value'}:
        raise ValueError("clip_type must be 'norm' or 'value', got " + repr(clip_type))

    out = {k: np.array(v, dtype=np.float64, copy=True)
           for k, v in gradients.items()}      # copies, so the input stays as it was

    before = _global_l2(out.values())

    if clip_type == 'value':
        for k in out:
            np.clip(out[k], -max_norm, max_norm, out=out[k])
    elif before > 0:
        # TF's formula
        factor = max_norm * min(1.0 / before, 1.0 / max_norm)
        for k in out:
            out[k] *= factor

    after = _global_l2(out.values())
    stats = {'original_norm': np.float64(before),
             'clipped_norm': np.float64(after),
             'clip_ratio': np.float64(after / before if before else 1.0)}
    return out, stats


class BatchNormNetwork(BatchNormNetwork):
    def _stats(self, Z):
        # mean and (biased) variance of each row
        mean = Z.mean(axis=1).reshape(-1, 1)
        std = Z.std(axis=1).reshape(-1, 1)
        return mean, std ** 2

    def batch_normalize(self, Z, layer_num, mode='train'):
        """Batch norm, train and test."""
        if self.use_batch_norm and layer_num < self.num_layers:
            training = mode != 'test'
            if training:
                mean, var = self._stats(Z)
            else:
                # running statistics at test time
                mean, var = self.running_mean[layer_num], self.running_var[layer_num]
            denominator = np.sqrt(var + self.epsilon)
            normalised = np.divide(Z - mean, denominator)
            if training:
                self.cache[f'Z_norm{layer_num}'] = normalised
                self.cache[f'mu{layer_num}'] = mean
                self.cache[f'var{layer_num}'] = var
                decay = self.momentum
                self.running_mean[layer_num] = (decay * self.running_mean[layer_num]
                                                + (1.0 - decay) * mean)
                self.running_var[layer_num] = (decay * self.running_var[layer_num]
                                               + (1.0 - decay) * var)
            return (np.multiply(self.parameters[f'gamma{layer_num}'], normalised)
                    + self.parameters[f'beta{layer_num}'])
        return Z


def _classify(norm, low, high):
    if norm < low:
        return 'vanishing_layers'
    if norm > high:
        return 'exploding_layers'
    return 'healthy_layers'


def diagnose_gradient_health(network, X, Y, threshold_vanishing=0.01, threshold_exploding=100):
    """Looks at the norm of each layer's dW."""
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
        tips.append(f"vanishing in {out['vanishing_layers']}: ReLU and a better init")
    if out['exploding_layers']:
        tips.append(f"exploding in {out['exploding_layers']}: clip the gradients")
    out['recommendations'] = tips if tips else ['fine']

    first, last = norms[f'layer_{layers[0]}'], norms[f'layer_{layers[-1]}']
    out['flow_ratio'] = first / last if last > 0.0 else float('inf')
    out['gradient_norms'] = norms
    return out
