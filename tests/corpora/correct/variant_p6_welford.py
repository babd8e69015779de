# Part 6 with Welford's running mean and variance over the examples (all features at once).
import numpy as np


class BatchNormNetwork(BatchNormNetwork):
    def batch_normalize(self, Z, layer_num, mode='train'):
        if not (self.use_batch_norm and 1 <= layer_num < self.num_layers):
            return Z
        key = str(layer_num)
        if mode == 'train':
            mean = np.zeros((Z.shape[0], 1))
            m2 = np.zeros((Z.shape[0], 1))
            for count in range(1, Z.shape[1] + 1):
                x = Z[:, count - 1:count]
                delta = x - mean
                mean = mean + delta / count
                m2 = m2 + delta * (x - mean)
            var = m2 / Z.shape[1]
            self.cache['mu' + key], self.cache['var' + key] = mean, var
            self.running_mean[layer_num] = self.momentum * self.running_mean[layer_num] + (1 - self.momentum) * mean
            self.running_var[layer_num] = self.momentum * self.running_var[layer_num] + (1 - self.momentum) * var
        else:
            mean, var = self.running_mean[layer_num], self.running_var[layer_num]
        Z_norm = (Z - mean) / (var + self.epsilon) ** 0.5
        if mode == 'train':
            self.cache['Z_norm' + key] = Z_norm
        return self.parameters['gamma' + key] * Z_norm + self.parameters['beta' + key]
