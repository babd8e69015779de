# Part 6 written feature by feature with Python loops and sums; inverse std precomputed.
import numpy as np


class BatchNormNetwork(BatchNormNetwork):
    def batch_normalize(self, Z, layer_num, mode='train'):
        if (not self.use_batch_norm) or layer_num >= self.num_layers:
            return Z
        gamma = self.parameters['gamma%d' % layer_num]
        beta = self.parameters['beta%d' % layer_num]
        n, m = Z.shape
        out = np.empty((n, m))
        if mode == 'test':
            for i in range(n):
                inv = 1.0 / np.sqrt(self.running_var[layer_num][i, 0] + self.epsilon)
                out[i, :] = gamma[i, 0] * (Z[i, :] - self.running_mean[layer_num][i, 0]) * inv + beta[i, 0]
            return out
        mu = np.zeros((n, 1))
        var = np.zeros((n, 1))
        Z_norm = np.zeros((n, m))
        for i in range(n):
            row = Z[i, :]
            mean = sum(float(x) for x in row) / m
            variance = sum((float(x) - mean) ** 2 for x in row) / m
            inv = 1.0 / np.sqrt(variance + self.epsilon)
            for j in range(m):
                Z_norm[i, j] = (row[j] - mean) * inv
                out[i, j] = gamma[i, 0] * Z_norm[i, j] + beta[i, 0]
            mu[i, 0] = mean
            var[i, 0] = variance
        self.cache['Z_norm' + str(layer_num)] = Z_norm
        self.cache['mu' + str(layer_num)] = mu
        self.cache['var' + str(layer_num)] = var
        new_mean = np.zeros((n, 1))
        new_var = np.zeros((n, 1))
        for i in range(n):
            new_mean[i, 0] = self.momentum * self.running_mean[layer_num][i, 0] + (1 - self.momentum) * mu[i, 0]
            new_var[i, 0] = self.momentum * self.running_var[layer_num][i, 0] + (1 - self.momentum) * var[i, 0]
        self.running_mean[layer_num] = new_mean
        self.running_var[layer_num] = new_var
        return out
