# part: part6
# mistake: test_updates_running_stats
# named: yes
# Also updates the running statistics in 'test' mode, after using them.
import numpy as np


class BatchNormNetwork(BatchNormNetwork):
    def batch_normalize(self, Z, layer_num, mode='train'):
        if not self.use_batch_norm or layer_num == self.num_layers:
            return Z
        gamma = self.parameters[f'gamma{layer_num}']
        beta = self.parameters[f'beta{layer_num}']
        if mode == 'train':
            mu = np.mean(Z, axis=1, keepdims=True)
            var = np.var(Z, axis=1, keepdims=True)
            Z_norm = (Z - mu) / np.sqrt(var + self.epsilon)
            self.cache[f'Z_norm{layer_num}'] = Z_norm
            self.cache[f'mu{layer_num}'] = mu
            self.cache[f'var{layer_num}'] = var
            self.running_mean[layer_num] = (self.momentum * self.running_mean[layer_num]
                                            + (1 - self.momentum) * mu)
            self.running_var[layer_num] = (self.momentum * self.running_var[layer_num]
                                           + (1 - self.momentum) * var)
        else:
            mu = self.running_mean[layer_num]
            var = self.running_var[layer_num]
            Z_norm = (Z - mu) / np.sqrt(var + self.epsilon)
            self.running_mean[layer_num] = (self.momentum * mu
                                            + (1 - self.momentum) * np.mean(Z, axis=1, keepdims=True))
            self.running_var[layer_num] = (self.momentum * var
                                           + (1 - self.momentum) * np.var(Z, axis=1, keepdims=True))
        return gamma * Z_norm + beta
