# part: part2
# mistake: dA_not_updated
# named: yes
# A realistic mistake: dA is never passed back: every layer uses the output's dA.
import numpy as np

class DeepNeuralNetwork(DeepNeuralNetwork):
    def backward_propagation(self, X, Y):
        m = X.shape[1]
        L = self.num_layers
        gradients = {}
        AL = self.cache[f'A{L}']
        dA = -(Y / (AL + 1e-8) - (1 - Y) / (1 - AL + 1e-8))
        for l in reversed(range(1, L + 1)):
            A_prev = self.cache[f'A{l-1}']
            Z = self.cache[f'Z{l}']
            W = self.parameters[f'W{l}']
            activation = 'sigmoid' if l == L else self.activation
            dZ = dA * self._activate_derivative(Z, activation)
            dW = (1 / m) * np.dot(dZ, A_prev.T)
            db = (1 / m) * np.sum(dZ, axis=1, keepdims=True)
            dA_prev = np.dot(W.T, dZ)
            gradients[f'dW{l}'] = dW
            gradients[f'db{l}'] = db
            self.gradient_norms[f'layer_{l}'] = {
                'dW_norm': np.linalg.norm(dW),
                'db_norm': np.linalg.norm(db),
                'dZ_norm': np.linalg.norm(dZ),
            }
        return gradients
