# Correct variant of backward_propagation: the lab's own code from the seed
# notebook (uses the kit's _activate_derivative; skips dA for layer 1).
import numpy as np


class DeepNeuralNetwork(DeepNeuralNetwork):
    def backward_propagation(self, X, Y):
        """Backward propagation with gradient tracking"""
        m = X.shape[1]
        gradients = {}

        # Output layer gradient
        AL = self.cache[f'A{self.num_layers}']
        dAL = -(Y / (AL + 1e-8) - (1 - Y) / (1 - AL + 1e-8))

        # Backward through layers
        dA = dAL
        for l in reversed(range(1, self.num_layers + 1)):
            A_prev = self.cache[f'A{l-1}']
            Z = self.cache[f'Z{l}']
            W = self.parameters[f'W{l}']

            # Compute gradients
            if l == self.num_layers:
                dZ = dA * self._activate_derivative(Z, 'sigmoid')
            else:
                dZ = dA * self._activate_derivative(Z, self.activation)

            dW = (1/m) * np.dot(dZ, A_prev.T)
            db = (1/m) * np.sum(dZ, axis=1, keepdims=True)

            if l > 1:
                dA = np.dot(W.T, dZ)

            gradients[f'dW{l}'] = dW
            gradients[f'db{l}'] = db

            # Track gradient norms
            self.gradient_norms[f'layer_{l}'] = {
                'dW_norm': np.linalg.norm(dW),
                'db_norm': np.linalg.norm(db),
                'dZ_norm': np.linalg.norm(dZ)
            }

        return gradients
