# Correct variant of backward_propagation: explicit Python loops over units and
# examples instead of matrix products, the output layer handled before the loop,
# and its own helper for the derivative.
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
        grads = {}
        AL = self.cache['A' + str(L)]
        delta = -(Y / (AL + 1e-8) - (1 - Y) / (1 - AL + 1e-8)) * self._slope(self.cache['Z' + str(L)], 'sigmoid')
        for layer in range(L, 0, -1):
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
        return grads
