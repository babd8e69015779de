# Correct variant of backward_propagation: derivatives computed from the cached
# activations A (sigmoid A(1-A), tanh 1-A^2, ReLU A > 0), the @ operator, the
# output layer before the loop, and m taken from Y.
import numpy as np


class DeepNeuralNetwork(DeepNeuralNetwork):
    def backward_propagation(self, X, Y):
        caches = self.cache
        L = self.num_layers
        m = Y.shape[1]
        AL = caches['A%d' % L]
        dAL = -(np.divide(Y, AL + 1e-8) - np.divide(1 - Y, 1 - AL + 1e-8))
        dZ = dAL * AL * (1 - AL)
        gradients = {}
        for l in reversed(range(1, L + 1)):
            if l != L:
                A = caches['A%d' % l]
                if self.activation == 'sigmoid':
                    g_prime = A * (1 - A)
                elif self.activation == 'tanh':
                    g_prime = 1 - A * A
                else:
                    g_prime = (A > 0) * 1.0
                dZ = dA * g_prime
            gradients['dW%d' % l] = dZ @ caches['A%d' % (l - 1)].T / m
            gradients['db%d' % l] = dZ.sum(axis=1, keepdims=True) / m
            dA = self.parameters['W%d' % l].T @ dZ
            self.gradient_norms['layer_%d' % l] = {
                'dW_norm': np.linalg.norm(gradients['dW%d' % l]),
                'db_norm': np.linalg.norm(gradients['db%d' % l]),
                'dZ_norm': np.linalg.norm(dZ),
            }
        return gradients
