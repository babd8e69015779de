"""The submission as a check sees it: each method is one call into the worker.

Arguments and results are plain data (numbers, strings, lists, dicts, NumPy
arrays); results are whatever the student's code returned, so checks must
verify their types before using them.
"""
from typing import TYPE_CHECKING, Optional

import numpy as np

if TYPE_CHECKING:  # annotations only: the sandbox module imports nothing above it
    from autograder.sandbox.workers import Worker


class Student:
    def __init__(self, worker: "Worker", timeout: float):
        self._worker = worker
        self._timeout = timeout

    def _call(self, op: str, **args) -> object:
        return self._worker.call(op, self._timeout, **args)

    def call(self, stub: str, *args, **kwargs) -> dict:
        """The student's function `stub` (a part of the manifest) called with `args`.

        Returns {"result": what it returned, "args_after", "kwargs_after": the arguments after the call}."""
        return self._call("call_function", stub=stub, args=list(args), kwargs=kwargs)

    def call_method(self, stub: str, init: tuple = (), attributes: Optional[dict] = None, args: tuple = (),
                    kwargs: Optional[dict] = None, read: tuple = ()) -> dict:
        """The student's method `stub` on an instance of the kit's class built with `init`, given
        `attributes`, called with `args`. Returns {"result", "args_after", "kwargs_after",
        "read": {attribute named in `read`: its value after the call}}."""
        return self._call("call_method", stub=stub, init=list(init), attributes=dict(attributes or {}),
                          args=list(args), kwargs=kwargs, read=list(read))

    def backprop(self, layer_dims, activation: str, parameters: dict, X: np.ndarray, Y: np.ndarray) -> dict:
        """Kit network, kit forward pass, the student's backward_propagation.

        Returns {"gradients", "gradient_norms", "parameters"} (parameters after the call)."""
        return self._call("backprop", layer_dims=list(layer_dims), activation=activation,
                          parameters=parameters, X=X, Y=Y)

    def clip(self, gradients: dict, max_norm: Optional[float], clip_type: Optional[str]) -> dict:
        """The student's clip_gradients(gradients, max_norm, clip_type).

        max_norm or clip_type None: left out, so the stub's defaults apply.
        Returns {"result": what it returned, "input_after": the gradients dict after the call}."""
        return self._call("clip", gradients=gradients, max_norm=max_norm, clip_type=clip_type)

    def batchnorm(self, layer_dims, activation, use_batch_norm, momentum, epsilon, parameters,
                  running_mean, running_var, Z, layer_num, mode, cache=None):
        """The student's batch_normalize(Z, layer_num, mode) on a kit BatchNormNetwork.

        running_mean/var: {layer number (int): (n_l, 1) array}. Returns {"out", "Z_after",
        "cache", "running_mean", "running_var", "parameters"} after the call."""
        return self._call("batchnorm", layer_dims=list(layer_dims), activation=activation,
                          use_batch_norm=use_batch_norm, momentum=momentum, epsilon=epsilon,
                          parameters=parameters, running_mean=running_mean, running_var=running_var,
                          Z=Z, layer_num=layer_num, mode=mode, cache=cache or {})

    def batchnorm_network(self, layer_dims, activation, momentum, epsilon, parameters,
                          running_mean, running_var, X, Y, mode):
        """The kit's BatchNormNetwork forward (and, in 'train' mode, backward) pass with the
        student's batch_normalize. Returns {"AL", "running_mean", "running_var"[, "gradients"]}."""
        return self._call("batchnorm_network", layer_dims=list(layer_dims), activation=activation,
                          momentum=momentum, epsilon=epsilon, parameters=parameters,
                          running_mean=running_mean, running_var=running_var, X=X, Y=Y, mode=mode)

    def diagnose(self, layer_dims, activation, parameters, fresh, stale, X, Y, AL, thresholds=None):
        """The student's diagnose_gradient_health(network, X, Y[, *thresholds]) on a network whose
        backward pass returns `fresh` gradients after a forward pass on X, `stale` ones before.

        Returns {"result": what it returned, "calls": [{"method", ...}] in call order}."""
        return self._call("diagnose", layer_dims=list(layer_dims), activation=activation,
                          parameters=parameters, fresh=fresh, stale=stale, X=X, Y=Y, AL=AL,
                          thresholds=list(thresholds) if thresholds is not None else None)
