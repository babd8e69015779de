"""The operations a worker performs for the grader, inside the sandbox.

Each operation builds the object the lab's contract describes from the kit's
own code (the release notebook's definitions), puts the student's stub on it,
calls the stub, and returns what it produced as plain values. Everything
around the stub is the kit's, so a bug in one stub cannot cost another part
(docs/design.md, principle 3). NumPy only: this file must never import the
grader's checks or TensorFlow.
"""
import ast
import copy
import importlib.util
import os
import sys
import traceback

import numpy as np



def _manifest():
    """autograder/parts.py, read by path: the worker runs as a script, outside the package,
    and imports it (like everything it needs) before the sandbox closes."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "parts.py")
    spec = importlib.util.spec_from_file_location("gradlab_parts", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses looks its module up while building the class
    spec.loader.exec_module(module)
    return module.PARTS


# Names the lab's contract fixes: (namespace entry, attribute) per stub, from the part manifest.
STUBS = {part.stub: part.location for part in _manifest()}


class StubMissing(Exception):
    """The submission does not define a stub the grader asked for."""


class Session:
    """The kit's and the student's namespaces, loaded once per worker."""

    def __init__(self):
        self.kit = {"__name__": "__kit__"}
        self.student = {"__name__": "__main__"}
        self.confinement = []

    # -- loading -----------------------------------------------------------
    def load(self, kit, student):
        """Execute statement lists; a failing statement costs only what it defines.

        kit, student: lists of {"cell": int, "line": int, "source": str}.
        Returns the student's statement errors and which stubs exist.
        """
        for statement in kit:
            _run_statement(statement, self.kit, set())
        unavailable = set()  # names the student's failed imports would have bound
        errors = [e for e in (_run_statement(s, self.student, unavailable) for s in student) if e]
        return {"errors": errors, "stubs": {name: self._has_stub(name) for name in STUBS},
                "confinement": list(self.confinement)}

    def _has_stub(self, stub):
        try:
            self.student_stub(stub)
            return True
        except StubMissing:
            return False

    # -- finding stubs -----------------------------------------------------
    def student_stub(self, stub):
        if stub not in STUBS:
            raise StubMissing(f"`{stub}` is not a stub of the part manifest (autograder/parts.py)")
        holder, attribute = STUBS[stub]
        value = self.student.get(holder)
        if attribute is None:
            if not callable(value):
                raise StubMissing(f"`{holder}` is not defined as a function")
            return value
        if not isinstance(value, type):
            raise StubMissing(f"class `{holder}` is not defined")
        method = getattr(value, attribute, None)
        if method is None:
            raise StubMissing(f"`{holder}.{attribute}` is not defined")
        return value

    def graded_class(self, stub):
        """The kit's class with the student's stub and the student's own helpers on it."""
        holder, attribute = STUBS[stub]
        kit_class = self.kit[holder]
        student_class = self.student_stub(stub)
        extras = {}
        for klass in reversed(student_class.__mro__):
            if klass is object:
                continue
            for name, value in vars(klass).items():
                if name.startswith("__") and name.endswith("__"):
                    continue
                # Helpers the student added come along; the kit's own methods stay the kit's.
                if name == attribute or not hasattr(kit_class, name):
                    extras[name] = value
        return type(holder, (kit_class,), extras)

    # -- operations ----------------------------------------------------------
    # call_function and call_method serve any stub of the part manifest: a new part's checks
    # use them, so adding a part needs no operation here (the four below predate them and set
    # up the lab's own networks around their stubs).
    def call_function(self, stub, args, kwargs=None):
        """The student's module-level stub called on copies of `args`; returns what it returned
        and the arguments after the call (to see whether it changed them)."""
        given, named = copy.deepcopy(list(args)), copy.deepcopy(dict(kwargs or {}))
        result = self.student_stub(stub)(*given, **named)
        return {"result": result, "args_after": given, "kwargs_after": named}

    def call_method(self, stub, init, attributes, args, kwargs=None, read=()):
        """The stub as a method of the kit's class (with the student's helpers): the instance is
        built with `init`, given `attributes`, then the stub is called on copies of `args`.
        Returns what it returned, the arguments after the call and the attributes named in `read`."""
        instance = self.graded_class(stub)(*copy.deepcopy(list(init)))
        for name, value in dict(attributes).items():
            setattr(instance, name, copy.deepcopy(value))
        given, named = copy.deepcopy(list(args)), copy.deepcopy(dict(kwargs or {}))
        result = getattr(instance, stub)(*given, **named)
        return {"result": result, "args_after": given, "kwargs_after": named,
                "read": {name: getattr(instance, name, None) for name in read}}

    def backprop(self, layer_dims, activation, parameters, X, Y):
        cls = self.graded_class("backward_propagation")
        net = cls(list(layer_dims), activation, "xavier")
        net.parameters = _copy(parameters)
        net.forward_propagation(X.copy())
        gradients = net.backward_propagation(X.copy(), Y.copy())
        return {"gradients": gradients, "gradient_norms": net.gradient_norms,
                "parameters": net.parameters}

    def clip(self, gradients, max_norm, clip_type):
        fn = self.student_stub("clip_gradients")
        given = _copy(gradients)
        # None leaves an argument out, so the stub's own defaults apply (max_norm=5.0, clip_type='norm').
        args = (given,) + tuple(a for a in (max_norm, clip_type) if a is not None)
        result = fn(*args)
        return {"result": result, "input_after": given}

    def batchnorm(self, layer_dims, activation, use_batch_norm, momentum, epsilon,
                  parameters, running_mean, running_var, Z, layer_num, mode, cache=None):
        net = self._batchnorm_network(layer_dims, activation, use_batch_norm, momentum,
                                      epsilon, parameters, running_mean, running_var)
        net.cache = _copy(cache or {})
        given = Z.copy()
        out = net.batch_normalize(given, layer_num, mode)
        return {"out": out, "Z_after": given, "cache": net.cache,
                "running_mean": net.running_mean, "running_var": net.running_var,
                "parameters": net.parameters}

    def batchnorm_network(self, layer_dims, activation, momentum, epsilon, parameters,
                          running_mean, running_var, X, Y, mode):
        """Forward (and in 'train' mode backward) through the kit's batch-norm network."""
        net = self._batchnorm_network(layer_dims, activation, True, momentum, epsilon,
                                      parameters, running_mean, running_var)
        AL = net.forward_propagation(X.copy(), mode)
        result = {"AL": AL, "running_mean": net.running_mean, "running_var": net.running_var}
        if mode == "train":
            result["gradients"] = net.backward_propagation(X.copy(), Y.copy())
        return result

    def _batchnorm_network(self, layer_dims, activation, use_batch_norm, momentum, epsilon,
                           parameters, running_mean, running_var):
        cls = self.graded_class("batch_normalize")
        net = cls(list(layer_dims), activation, "he", use_batch_norm)
        net.momentum = momentum
        net.epsilon = epsilon
        net.parameters = _copy(parameters)
        net.running_mean = _copy(running_mean)
        net.running_var = _copy(running_var)
        return net

    def diagnose(self, layer_dims, activation, parameters, fresh, stale, X, Y, AL,
                 thresholds=None):
        fn = self.student_stub("diagnose_gradient_health")
        net = SuppliedNetwork(layer_dims, activation, parameters, fresh, stale, X, AL, Y)
        args = (net, X.copy(), Y.copy()) + tuple(thresholds or ())
        result = fn(*args)
        return {"result": result, "calls": net.calls}


class SuppliedNetwork:
    """A network whose gradients the grader chose, standing in for the kit's.

    Until forward_propagation sees the X under diagnosis, backward_propagation
    returns the stale gradients of an earlier batch, as a real network's cache
    would: a diagnosis that skips the fresh forward pass classifies those.
    """

    def __init__(self, layer_dims, activation, parameters, fresh, stale, X, AL, Y=None):
        self.layer_dims = list(layer_dims)
        self.num_layers = len(layer_dims) - 1
        self.activation = activation
        self.parameters = _copy(parameters)
        self.gradient_norms = {}
        self.activation_stats = {}
        self.cache = {}
        self.calls = []
        self._fresh, self._stale, self._X, self._AL = fresh, stale, X, AL
        self._Y = Y
        self._current = stale

    def forward_propagation(self, X, mode="train"):
        same = isinstance(X, np.ndarray) and X.shape == self._X.shape and np.array_equal(X, self._X)
        self.calls.append({"method": "forward_propagation", "same_X": bool(same)})
        self._current = self._fresh if same else self._stale
        self.cache = {"A0": X, f"A{self.num_layers}": self._AL.copy()}
        return self._AL.copy()

    def backward_propagation(self, X, Y):
        self.calls.append({"method": "backward_propagation", "same_X": _same(X, self._X),
                           "same_Y": None if self._Y is None else _same(Y, self._Y)})
        gradients = _copy(self._current)
        for l in range(1, self.num_layers + 1):
            self.gradient_norms[f"layer_{l}"] = {
                "dW_norm": np.linalg.norm(gradients[f"dW{l}"]),
                "db_norm": np.linalg.norm(gradients[f"db{l}"]),
                "dZ_norm": np.linalg.norm(gradients[f"dW{l}"]) * 2.0,
            }
        return gradients

    def compute_cost(self, AL, Y):
        m = Y.shape[1]
        return np.squeeze(-(1 / m) * np.sum(Y * np.log(AL + 1e-8) + (1 - Y) * np.log(1 - AL + 1e-8)))


def _same(a, b):
    return bool(isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and np.array_equal(a, b))


def _copy(mapping):
    return {key: (value.copy() if isinstance(value, np.ndarray) else value)
            for key, value in mapping.items()}


def _run_statement(statement, namespace, unavailable):
    try:
        code = compile(statement["source"], f"<cell {statement['cell']}>", "exec")
        exec(code, namespace)
        return None
    except ImportError as error:
        # Packages the worker does not offer (TensorFlow, matplotlib, ...) serve the demos,
        # which are not graded; a stub that needs one fails later with a clear NameError.
        if statement["source"].lstrip().startswith(("import ", "from ")):
            unavailable.update(_names(statement["source"], (ast.Import, ast.ImportFrom)))
            return None
        return {"cell": statement["cell"], "line": statement["line"], **describe(error)}
    except NameError as error:
        # A demo class built on such a package (class Monitor(callbacks.Callback)) is not graded
        # either; a stub that fails so is still reported, or it would just seem to be missing.
        if getattr(error, "name", None) in unavailable and \
                not _names(statement["source"], (ast.FunctionDef, ast.ClassDef)) & set(STUB_HOLDERS):
            return None
        return {"cell": statement["cell"], "line": statement["line"], **describe(error)}
    except BaseException as error:  # noqa: B902 - a student's SystemExit must not end the load
        return {"cell": statement["cell"], "line": statement["line"], **describe(error)}


STUB_HOLDERS = {holder for holder, _ in STUBS.values()}


def _names(source, kinds):
    """Names the top-level statements of `source` of the given kinds bind."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    names = set()
    for node in tree.body:
        if not isinstance(node, kinds):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        else:
            names.add(node.name)
    return names


def describe(error):
    """What the grader needs to know about an exception, as plain data."""
    builtin_types = [c.__name__ for c in type(error).__mro__ if c.__module__ == "builtins"]
    try:
        message = str(error)[:2000]
    except BaseException:  # noqa: B902 - str() of a student's exception is student code
        message = "(the exception's message could not be read)"
    try:
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__, limit=-4))
    except BaseException:  # noqa: B902
        trace = ""
    return {"type": type(error).__name__[:100], "builtin_types": builtin_types,
            "message": message, "traceback": trace[-4000:]}
