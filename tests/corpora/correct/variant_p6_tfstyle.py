# Part 6 the way tf.nn.batch_normalization computes it: one scale and one offset per feature,
# out = Z * scale + (beta - mu * scale); the running statistics updated as a lerp,
# running + (1 - momentum) * (batch - running).
import numpy as np


class BatchNormNetwork(BatchNormNetwork):
    def batch_normalize(self, Z, layer_num, mode='train'):
        if not self.use_batch_norm:
            return Z
        if layer_num == self.num_layers:
            return Z
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
        scale = gamma * inv_std
        return Z * scale + (beta - mu * scale)
