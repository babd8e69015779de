"""The operations a worker performs for the grader, inside the sandbox.

Two generic calls serve every part: `call` runs a module-level stub, `call_method` an
instance of the kit's class holding a method stub (the release notebook's definitions,
with the student's stub and own helpers on it) through a sequence of method calls. An
argument may be a kit object built here from the kit's namespace (the release's
definitions and kit code the grader supplies with them), read back after the call.
Everything around the stub is the kit's, so a bug in one stub cannot cost another part
(docs/design.md, principle 3). Which stubs exist, and where, comes from the part manifest;
this file names no part, stub or lab class. NumPy only: it must never import the grader's
checks or TensorFlow.
"""
import ast
import copy
import importlib.util
import os
import sys
import traceback

import numpy as np

import wire  # the worker's directory is on sys.path (main.py puts it there)


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
    """The submission does not define a stub the grader asked for.

    The grader's side has its own StubMissing (autograder/sandbox/workers.py), raised when this
    one's reply arrives: the two run in different processes, and this file imports nothing of
    the package."""


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
            _run_statement(statement, self.kit, set(), kit=True)
        unavailable = set()  # names the student's failed imports would have bound
        errors = [e for e in (_run_statement(s, self.student, unavailable) for s in student) if e]
        return {"errors": errors, "stubs": {name: self._has_stub(name) for name in STUBS},
                "confinement": list(self.confinement)}

    def kit_spaces(self):
        """[(label, namespace)]: the kit's namespace and each class it defines, which student
        code must leave as they are (main.py's Integrity watches them after the load)."""
        classes = [(f"kit.{name}", vars(value)) for name, value in self.kit.items() if isinstance(value, type)]
        return [("kit", self.kit), *classes]

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
    def call(self, stub, args, kwargs=None, objects=None):
        """The student's module-level stub called on copies of `args` and `kwargs`; returns what it
        returned and the arguments after the call (to see whether it changed them).

        objects: {position in args: {"name", "args", "kwargs", "read"}}, kit objects to build."""
        given, named, built = self._arguments(args, kwargs, objects)
        result = self.student_stub(stub)(*given, **named)
        return {"result": result, **_after(given, built, args, named)}

    def call_method(self, stub, init, attributes, calls, read=()):
        """The stub's class (graded_class) built with copies of `init` and given copies of
        `attributes`; then each of `calls` ({"method", "args", "kwargs", "objects"}) on it, in
        order. Returns each call's result and arguments after it, and the attributes in `read`."""
        instance = self.graded_class(stub)(*_copied(list(init)))
        for name, value in dict(attributes).items():
            setattr(instance, name, _copied(value))
        answers = []
        for request in calls:
            given, named, built = self._arguments(request["args"], request.get("kwargs"), request.get("objects"))
            result = getattr(instance, request["method"])(*given, **named)
            answers.append({"result": result, **_after(given, built, request["args"], named)})
        return {"calls": answers, "read": {name: getattr(instance, name, None) for name in read}}

    def _arguments(self, args, kwargs, objects):
        """Copies of the arguments, with the kit objects built in their places; and
        {position: (object, attributes to read back)}."""
        given, named = _copied(list(args)), _copied(dict(kwargs or {}))
        built = {}
        for position, spec in dict(objects or {}).items():
            # The request was decoded for this call alone: the kit object may keep its arguments.
            made = self.kit[spec["name"]](*spec.get("args", ()), **dict(spec.get("kwargs") or {}))
            built[position] = (made, list(spec.get("read", ())))
            given[position] = made
        return given, named, built


def _copied(value):
    """A copy of plain data as the wire decodes it (arrays copied, containers rebuilt; numbers and
    strings are immutable), cheaper than copy.deepcopy for the same result."""
    kind = type(value)
    if kind is np.ndarray:
        return value.copy()
    # Arrays inline: most values are dicts and lists of arrays, and a call per item costs more.
    if kind is dict:
        return {key: item.copy() if type(item) is np.ndarray else _copied(item) for key, item in value.items()}
    if kind is list:
        return [item.copy() if type(item) is np.ndarray else _copied(item) for item in value]
    if kind is tuple:
        return tuple(_copied(item) for item in value)
    return value if value is None or kind in (bool, int, float, str) or isinstance(value, np.generic) \
        else copy.deepcopy(value)


def _after(given, built, sent, named):
    """{"args_after": the arguments after a call, each kit object replaced by the attributes to
    read from it; "same": the positions of the arguments the call left as they were sent}, which
    come back as None: the grader has them already, and sending them back costs more than
    comparing them here; "kwargs_after": the keyword arguments after the call}. Empty parts are
    left out (the grader's Student fills them in)."""
    after, same = [], []
    for i, value in enumerate(given):
        if i in built:
            after.append({name: getattr(built[i][0], name, None) for name in built[i][1]})
        elif _unchanged(value, sent[i]):
            after.append(None)
            same.append(i)
        else:
            after.append(value)
    answer = {"args_after": after}
    if same:
        answer["same"] = same
    if named:
        answer["kwargs_after"] = named
    return answer


def _unchanged(after, before):
    """True when `after` is `before` as plain data: same types, shapes, dtypes, keys in the same
    order, and equal values (a NaN counts as changed: it is sent back, which is always right)."""
    kind = type(before)
    if type(after) is not kind:
        return False
    if kind is np.ndarray:
        return after.shape == before.shape and after.dtype == before.dtype and bool(np.array_equal(after, before))
    if kind is dict:
        return list(after) == list(before) and all(_unchanged(after[k], before[k]) for k in before)
    if kind is list or kind is tuple:
        return len(after) == len(before) and all(_unchanged(a, b) for a, b in zip(after, before))
    return kind in (type(None), bool, int, float, str) and after == before


def _run_statement(statement, namespace, unavailable, kit=False):
    try:
        # The kit's statements come compiled by the grader (wire.with_code); a student's never do.
        code = wire.code_of(statement) if kit else compile(statement["source"], f"<cell {statement['cell']}>", "exec")
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
