# part: part2
# mistake: wrong_layer_W
# named: yes
# A realistic mistake: dA for layer l is computed at the top of the next iteration with
# W{l} (the current layer's weights) instead of W{l+1}.
import numpy as np


class DeepNeuralNetwork(DeepNeuralNetwork):
    def backward_propagation(self, X, Y):
        m = X.shape[1]
        L = self.num_layers
        gradients = {}
        AL = self.cache[f'A{L}']
        dZ = AL - Y
        for l in reversed(range(1, L + 1)):
            if l < L:
                dA = np.dot(self.parameters[f'W{l}'].T, dZ)
                dZ = dA * self._activate_derivative(self.cache[f'Z{l}'], self.activation)
            dW = np.dot(dZ, self.cache[f'A{l-1}'].T) / m
            db = np.sum(dZ, axis=1, keepdims=True) / m
            gradients[f'dW{l}'] = dW
            gradients[f'db{l}'] = db
            self.gradient_norms[f'layer_{l}'] = {
                'dW_norm': np.linalg.norm(dW),
                'db_norm': np.linalg.norm(db),
                'dZ_norm': np.linalg.norm(dZ),
            }
        return gradients
