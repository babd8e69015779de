# part: part6
# mistake: cache_entries_missing
# named: yes
# Stores nothing in the cache.
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
            self.running_mean[layer_num] = (self.momentum * self.running_mean[layer_num]
                                            + (1 - self.momentum) * mu)
            self.running_var[layer_num] = (self.momentum * self.running_var[layer_num]
                                           + (1 - self.momentum) * var)
        else:
            mu = self.running_mean[layer_num]
            var = self.running_var[layer_num]
            Z_norm = (Z - mu) / np.sqrt(var + self.epsilon)
        return gamma * Z_norm + beta
