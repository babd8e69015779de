# The lab's definitions with the reference solutions of the four stubs.
# This is the code of solutions/lab4_3/lab4_3.ipynb (classes and functions
# only, no demos), kept as a plain file so the corpora and tests can use it.
import numpy as np


class DeepNeuralNetwork:
    """Deep neural network with gradient tracking capabilities"""

    def __init__(self, layer_dims, activation='sigmoid', init_type='random'):
        self.layer_dims = layer_dims
        self.num_layers = len(layer_dims) - 1
        self.activation = activation
        self.init_type = init_type
        self.parameters = self._initialize_parameters()
        self.gradient_norms = {}
        self.activation_stats = {}
        self.cache = {}

    def _initialize_parameters(self):
        parameters = {}
        for l in range(1, self.num_layers + 1):
            n_prev = self.layer_dims[l - 1]
            n_curr = self.layer_dims[l]
            if self.init_type == 'random':
                parameters[f'W{l}'] = np.random.randn(n_curr, n_prev) * 0.01
            elif self.init_type == 'xavier':
                parameters[f'W{l}'] = np.random.randn(n_curr, n_prev) * np.sqrt(1.0 / n_prev)
            elif self.init_type == 'he':
                parameters[f'W{l}'] = np.random.randn(n_curr, n_prev) * np.sqrt(2.0 / n_prev)
            else:
                raise ValueError(f"Unknown initialization type: {self.init_type}")
            parameters[f'b{l}'] = np.zeros((n_curr, 1))
        return parameters

    def _activate(self, Z, activation):
        if activation == 'sigmoid':
            return 1 / (1 + np.exp(-np.clip(Z, -500, 500)))
        elif activation == 'tanh':
            return np.tanh(Z)
        elif activation == 'relu':
            return np.maximum(0, Z)
        else:
            raise ValueError(f"Unknown activation: {activation}")

    def _activate_derivative(self, Z, activation):
        if activation == 'sigmoid':
            A = self._activate(Z, 'sigmoid')
            return A * (1 - A)
        elif activation == 'tanh':
            A = self._activate(Z, 'tanh')
            return 1 - A ** 2
        elif activation == 'relu':
            return (Z > 0).astype(float)
        else:
            raise ValueError(f"Unknown activation: {activation}")

    def forward_propagation(self, X, mode='train'):
        self.cache = {'A0': X}
        A = X
        for l in range(1, self.num_layers + 1):
            W = self.parameters[f'W{l}']
            b = self.parameters[f'b{l}']
            Z = np.dot(W, A) + b
            if l == self.num_layers:
                A = self._activate(Z, 'sigmoid')
            else:
                A = self._activate(Z, self.activation)
            self.cache[f'Z{l}'] = Z
            self.cache[f'A{l}'] = A
            self.activation_stats[f'layer_{l}'] = {
                'mean': np.mean(A), 'std': np.std(A), 'min': np.min(A), 'max': np.max(A)
            }
        return A

    def backward_propagation(self, X, Y):
        m = X.shape[1]
        L = self.num_layers
        gradients = {}
        AL = self.cache[f'A{L}']
        # Derivative of compute_cost (with its 1e-8 guards) with respect to AL.
        dA = -(Y / (AL + 1e-8) - (1 - Y) / (1 - AL + 1e-8))
        for l in reversed(range(1, L + 1)):
            A_prev = self.cache[f'A{l-1}']
            Z = self.cache[f'Z{l}']
            W = self.parameters[f'W{l}']
            activation = 'sigmoid' if l == L else self.activation
            dZ = dA * self._activate_derivative(Z, activation)
            dW = (1 / m) * np.dot(dZ, A_prev.T)
            db = (1 / m) * np.sum(dZ, axis=1, keepdims=True)
            dA = np.dot(W.T, dZ)
            gradients[f'dW{l}'] = dW
            gradients[f'db{l}'] = db
            self.gradient_norms[f'layer_{l}'] = {
                'dW_norm': np.linalg.norm(dW),
                'db_norm': np.linalg.norm(db),
                'dZ_norm': np.linalg.norm(dZ),
            }
        return gradients

    def compute_cost(self, AL, Y):
        m = Y.shape[1]
        cost = -(1 / m) * np.sum(Y * np.log(AL + 1e-8) + (1 - Y) * np.log(1 - AL + 1e-8))
        return np.squeeze(cost)


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    if clip_type not in ('norm', 'value'):
        raise ValueError(f"Unknown clip_type: {clip_type!r} (use 'norm' or 'value')")
    original_norm = np.sqrt(sum(np.sum(g ** 2) for g in gradients.values()))
    if clip_type == 'norm':
        scale = max_norm / original_norm if original_norm > max_norm else 1.0
        clipped = {key: g * scale for key, g in gradients.items()}
    else:
        clipped = {key: np.clip(g, -max_norm, max_norm) for key, g in gradients.items()}
    clipped_norm = np.sqrt(sum(np.sum(g ** 2) for g in clipped.values()))
    clip_ratio = clipped_norm / original_norm if original_norm > 0 else 1.0
    stats = {'original_norm': float(original_norm), 'clipped_norm': float(clipped_norm),
             'clip_ratio': float(clip_ratio)}
    return clipped, stats


class BatchNormNetwork(DeepNeuralNetwork):
    """Neural network with batch normalization before each hidden activation"""

    def __init__(self, layer_dims, activation='relu', init_type='he', use_batch_norm=True,
                 momentum=0.9, epsilon=1e-5):
        super().__init__(layer_dims, activation, init_type)
        self.use_batch_norm = use_batch_norm
        self.momentum = momentum
        self.epsilon = epsilon
        self.running_mean = {}
        self.running_var = {}
        if use_batch_norm:
            for l in range(1, self.num_layers):
                self.parameters[f'gamma{l}'] = np.ones((layer_dims[l], 1))
                self.parameters[f'beta{l}'] = np.zeros((layer_dims[l], 1))
                self.running_mean[l] = np.zeros((layer_dims[l], 1))
                self.running_var[l] = np.ones((layer_dims[l], 1))

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
        return gamma * Z_norm + beta

    def forward_propagation(self, X, mode='train'):
        self.cache = {'A0': X}
        A = X
        for l in range(1, self.num_layers + 1):
            W = self.parameters[f'W{l}']
            b = self.parameters[f'b{l}']
            Z = self.batch_normalize(np.dot(W, A) + b, l, mode)
            if l == self.num_layers:
                A = self._activate(Z, 'sigmoid')
            else:
                A = self._activate(Z, self.activation)
            self.cache[f'Z{l}'] = Z
            self.cache[f'A{l}'] = A
            self.activation_stats[f'layer_{l}'] = {
                'mean': np.mean(A), 'std': np.std(A), 'min': np.min(A), 'max': np.max(A)
            }
        return A

    def backward_propagation(self, X, Y):
        m = X.shape[1]
        L = self.num_layers
        gradients = {}
        AL = self.cache[f'A{L}']
        dA = -(Y / (AL + 1e-8) - (1 - Y) / (1 - AL + 1e-8))
        for l in reversed(range(1, L + 1)):
            A_prev = self.cache[f'A{l-1}']
            activation = 'sigmoid' if l == L else self.activation
            dZ = dA * self._activate_derivative(self.cache[f'Z{l}'], activation)
            if self.use_batch_norm and l < L:
                # Back through gamma * Z_norm + beta, then through the normalisation.
                Z_norm = self.cache[f'Z_norm{l}']
                inv_std = 1.0 / np.sqrt(self.cache[f'var{l}'] + self.epsilon)
                gradients[f'dgamma{l}'] = np.sum(dZ * Z_norm, axis=1, keepdims=True) / m
                gradients[f'dbeta{l}'] = np.sum(dZ, axis=1, keepdims=True) / m
                dZ_norm = dZ * self.parameters[f'gamma{l}']
                dZ = inv_std * (dZ_norm - np.mean(dZ_norm, axis=1, keepdims=True)
                                - Z_norm * np.mean(dZ_norm * Z_norm, axis=1, keepdims=True))
            dW = np.dot(dZ, A_prev.T) / m
            db = np.sum(dZ, axis=1, keepdims=True) / m
            dA = np.dot(self.parameters[f'W{l}'].T, dZ)
            gradients[f'dW{l}'] = dW
            gradients[f'db{l}'] = db
            self.gradient_norms[f'layer_{l}'] = {
                'dW_norm': np.linalg.norm(dW),
                'db_norm': np.linalg.norm(db),
                'dZ_norm': np.linalg.norm(dZ),
            }
        return gradients


def diagnose_gradient_health(network, X, Y, threshold_vanishing=0.01, threshold_exploding=100):
    network.forward_propagation(X)
    gradients = network.backward_propagation(X, Y)
    L = network.num_layers
    norms = {f'layer_{l}': float(np.linalg.norm(gradients[f'dW{l}'])) for l in range(1, L + 1)}
    diagnosis = {'healthy_layers': [], 'vanishing_layers': [], 'exploding_layers': [],
                 'recommendations': []}
    for l in range(1, L + 1):
        norm = norms[f'layer_{l}']
        if norm < threshold_vanishing:
            diagnosis['vanishing_layers'].append(l)
        elif norm > threshold_exploding:
            diagnosis['exploding_layers'].append(l)
        else:
            diagnosis['healthy_layers'].append(l)
    if diagnosis['vanishing_layers']:
        diagnosis['recommendations'].append(
            f"Vanishing gradients in layers {diagnosis['vanishing_layers']}: use ReLU-family "
            "activations, Xavier/He initialization, or batch normalization.")
    if diagnosis['exploding_layers']:
        diagnosis['recommendations'].append(
            f"Exploding gradients in layers {diagnosis['exploding_layers']}: apply gradient "
            "clipping, lower the learning rate, and check the initialization.")
    if not diagnosis['recommendations']:
        diagnosis['recommendations'].append("Gradient flow looks healthy; keep the configuration.")
    first, last = norms['layer_1'], norms[f'layer_{L}']
    diagnosis['flow_ratio'] = first / last if last > 0 else float('inf')
    diagnosis['gradient_norms'] = norms
    return diagnosis
