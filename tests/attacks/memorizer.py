"""The memorizing student of issue 22, built from the student wheel alone.

A determined student with nothing but the wheel can run every check the wheel ships (public
ones, and hidden ones while it still ships them) at the seed its packaged grading.toml gives,
record every call each check makes to a stub, answer each call once (from a correct
implementation, or from whatever reference code the wheel holds), and submit stubs that hash
their inputs and return the stored answer. Graded on the same inputs, that file looks correct;
graded on any other inputs, it is a stub that returns zeros.

    kit = unpack_wheel(wheel, tmp / "kit")
    records = record_calls(kit, Path("tests/corpora/correct/reference.py").read_text())
    memorizer = memorizer_source(records, base=implementation)       # answers of the implementation
    transcriber = memorizer_source(records, answer_from="wheel")    # answers of the wheel's references
    zeros = zeros_source(implementation)                            # the lower bound

`record_calls` runs in a subprocess whose Python path holds the unpacked wheel and not this
repository (`python -I`, the wheel's directory first, and the driver checks where `autograder`
was imported from). It loads the kit and the implementation into the wheel's own worker
operations (autograder/worker/ops.py of the wheel, `Session`) in-process, behind the wheel's own
grader-side `Student`, so every object a check asks for is built the way the worker builds it,
and every value crosses the same wire encoding. Each stub of the implementation is wrapped: a
call computes its key, runs the stub, and records its answer: what it returned (or raised),
what it changed on `self` (a method stub: `gradient_norms`, `cache`, `running_mean`, ...), and
which methods it called on object arguments (`diagnose_gradient_health` runs the network's
forward and backward pass, a check looks at that).

The key of a call is a sha256 over a canonical encoding of its inputs: the stub's name, the
object a method stub runs on (its attributes), and the bound arguments, defaults applied. Arrays
count by dtype, shape and bytes, dicts by sorted keys, objects by their class name and
attributes. Floats are rounded to float32 first: the grader computes some inputs (a drawn
gradient scaled to a norm, the kit's forward pass) with floating-point math whose last bit
depends on the machine's BLAS kernel (OPENBLAS_CORETYPE) and threads, and a student's machine is
not the grader's. The same code (KEY_CODE) computes the key in the recorder and in the stubs.
"""
import ast
import json
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from pathlib import Path

from autograder.parts import PARTS

# -- code shared by the recorder and the submitted file -------------------------------------------
# Module-level assignments in it are literals only: the grader keeps no assignment that calls
# something (autograder/pipeline/extract.py), and the submission must load as it is written.

KEY_CODE = r'''
import hashlib as _hashlib

import numpy as _np


def _rounded(values):
    """The bytes of float values rounded to float32: the last bits of what the grader computes
    (a norm, a matrix product) depend on the machine's BLAS and its threads, and the grading
    machine is not the student's."""
    with _np.errstate(all="ignore"):
        return _np.ascontiguousarray(values, dtype=_np.float32).tobytes()


def _canon(value, digest, depth=0):
    """Feed `digest` a canonical encoding of `value`: arrays by dtype, shape and bytes (floats
    rounded); dicts by their sorted keys; objects by class name and attributes."""
    kind = type(value)
    if value is None:
        digest.update(b"N")
    elif kind is bool:
        digest.update(b"B1" if value else b"B0")
    elif kind is int:
        digest.update(b"I%d;" % value)
    elif kind is float:
        digest.update(b"F" + _rounded(value))
    elif kind is str:
        data = value.encode("utf-8", "surrogatepass")
        digest.update(b"S%d:" % len(data) + data)
    elif kind is _np.ndarray:
        if value.dtype.kind == "f":
            data = _rounded(value)
        elif value.dtype.kind in "biuc":
            data = _np.ascontiguousarray(value).tobytes()
        else:
            data = repr(value.tolist()).encode()
        digest.update(b"A" + value.dtype.str.encode() + repr(value.shape).encode() + b"%d:" % len(data) + data)
    elif isinstance(value, _np.floating):
        digest.update(b"G" + value.dtype.str.encode() + _rounded(value))
    elif isinstance(value, _np.generic):
        digest.update(b"G" + value.dtype.str.encode() + repr(value.item()).encode() + b";")
    elif depth > 8:
        digest.update(b"X")
    elif isinstance(value, dict):
        items = sorted((_digest(key), key) for key in value)
        digest.update(b"D%d{" % len(items))
        for key_digest, key in items:
            digest.update(key_digest)
            _canon(value[key], digest, depth + 1)
        digest.update(b"}")
    elif isinstance(value, (list, tuple)):
        digest.update((b"L%d[" if isinstance(value, list) else b"T%d[") % len(value))
        for item in value:
            _canon(item, digest, depth + 1)
        digest.update(b"]")
    elif callable(value):
        digest.update(b"C")
    elif hasattr(value, "__dict__"):
        digest.update(b"O" + type(value).__qualname__.encode() + b"(")
        _canon(dict(vars(value)), digest, depth + 1)
        digest.update(b")")
    else:
        digest.update(b"?" + type(value).__qualname__.encode())


def _digest(value):
    digest = _hashlib.sha256()
    _canon(value, digest)
    return digest.digest()


def _key(stub, owner, args):
    """The key of one call: `stub`'s name, the object a method runs on (None for a function)
    and {parameter: argument}, defaults applied."""
    digest = _hashlib.sha256(stub.encode() + b"\0")
    _canon(owner, digest)
    _canon(args, digest)
    return digest.hexdigest()[:32]
'''

PACK_CODE = r'''
import base64 as _base64


def _pack(value):
    """`value` as JSON-ready data, exact: arrays as dtype, shape and base64 of their bytes, NumPy
    scalars likewise, floats by repr (inf and nan included), tuples, lists and dicts tagged."""
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return ["f", repr(value)]
    if kind is _np.ndarray:
        return ["a", value.dtype.str, list(value.shape),
                _base64.b64encode(_np.ascontiguousarray(value).tobytes()).decode("ascii")]
    if isinstance(value, _np.generic):
        return ["g", value.dtype.str, _base64.b64encode(value.tobytes()).decode("ascii")]
    if kind is tuple or kind is list:
        return ["t" if kind is tuple else "l", [_pack(item) for item in value]]
    if kind is dict:
        return ["d", [[_pack(k), _pack(v)] for k, v in value.items()]]
    raise TypeError(f"cannot store a {kind.__qualname__}")


def _unpack(data):
    if type(data) is not list:
        return data
    tag = data[0]
    if tag == "f":
        return float(data[1])
    if tag == "a":
        return _np.frombuffer(_base64.b64decode(data[3]), dtype=_np.dtype(data[1])).reshape(data[2]).copy()
    if tag == "g":
        return _np.frombuffer(_base64.b64decode(data[2]), dtype=_np.dtype(data[1]))[0]
    if tag == "t":
        return tuple(_unpack(item) for item in data[1])
    if tag == "l":
        return [_unpack(item) for item in data[1]]
    return {_unpack(k): _unpack(v) for k, v in data[1]}
'''

# What each of the lab's four stubs returns when it computes nothing: zeros of the right shapes,
# empty lists, zero statistics. The memorizer answers so whatever it has no answer for.
ZEROS_CODE = r'''
import numpy as _np


def _zeros(stub, owner, args):
    return globals()["_zeros_" + stub](owner, args)


def _zeros_backward_propagation(self, args):
    gradients = {}
    for l in reversed(range(1, len(self.layer_dims))):
        shape = _np.shape(self.parameters[f"W{l}"])
        gradients[f"dW{l}"] = _np.zeros(shape)
        gradients[f"db{l}"] = _np.zeros((shape[0], 1))
        self.gradient_norms[f"layer_{l}"] = {"dW_norm": 0.0, "db_norm": 0.0, "dZ_norm": 0.0}
    return gradients


def _zeros_clip_gradients(owner, args):
    clipped = {key: _np.zeros(_np.shape(value)) for key, value in args["gradients"].items()}
    return clipped, {"original_norm": 0.0, "clipped_norm": 0.0, "clip_ratio": 0.0}


def _zeros_batch_normalize(self, args):
    return _np.zeros(_np.shape(args["Z"]))


def _zeros_diagnose_gradient_health(owner, args):
    return {"vanishing_layers": [], "healthy_layers": [], "exploding_layers": [], "recommendations": [],
            "flow_ratio": 0.0, "gradient_norms": {}}
'''

LOOKUP_CODE = r'''
import builtins as _builtins
import json as _json
import zlib as _zlib

_TABLE = []


def _table():
    if not _TABLE:
        data = "".join(globals()[f"_DATA{i}"] for i in range(_DATA_PIECES))
        _TABLE.append(_json.loads(_zlib.decompress(_base64.b64decode(data))))
    return _TABLE[0]


def _memorized(stub, owner, args):
    """The stored answer of this call, replayed (the calls it made on object arguments, what it
    changed on `self`, what it raised or returned); zeros when the call was never recorded."""
    answer = _table().get(_key(stub, owner, args))
    if answer is None:
        return _zeros(stub, owner, args)
    for name, method, positional, named in answer.get("calls", ()):
        getattr(args[name], method)(*[_argument(spec, args) for spec in positional],
                                    **{k: _argument(spec, args) for k, spec in named.items()})
    for effect in answer.get("effects", ()):
        _apply(owner, effect)
    if "raise" in answer:
        kind, message = answer["raise"]
        error = getattr(_builtins, kind, None)
        if not (isinstance(error, type) and issubclass(error, Exception)):
            error = Exception
        raise error(message)
    return _unpack(answer["result"])


def _argument(spec, args):
    return args[spec[1]] if spec[0] == "p" else _unpack(spec[1])


def _apply(owner, effect):
    op, attribute = effect[0], effect[1]
    if op == "setattr":
        setattr(owner, attribute, _unpack(effect[2]))
    elif op == "delattr":
        delattr(owner, attribute)
    elif op == "setitem":
        getattr(owner, attribute)[_unpack(effect[2])] = _unpack(effect[3])
    elif op == "delitem":
        getattr(owner, attribute).pop(_unpack(effect[2]), None)
'''

# -- the recorder: a driver run by the wheel's interpreter, on the wheel's code alone ---------------

DRIVER_CODE = r'''
import copy
import functools
import inspect
import json
import sys
import time
import traceback
from pathlib import Path

KIT = Path(sys.argv[1]).resolve()
IMPLEMENTATION = Path(sys.argv[2]).read_text()
OUT = Path(sys.argv[3])
HIDDEN_TOO = sys.argv[4] == "1"

sys.path.insert(0, str(KIT))
import autograder  # noqa: E402

if not Path(autograder.__file__).resolve().is_relative_to(KIT):
    sys.exit(f"the driver imported autograder from {autograder.__file__}, not from the wheel in {KIT}")
sys.path.insert(0, str(KIT / "autograder" / "worker"))  # as the worker's main.py does
import ops  # noqa: E402
import wire  # noqa: E402

from autograder import config  # noqa: E402
from autograder.checks import load_parts  # noqa: E402
from autograder.checks.common import Context  # noqa: E402
from autograder.pipeline import release  # noqa: E402
from autograder.references import Memo  # noqa: E402
from autograder.sandbox.student import Student  # noqa: E402
from autograder.sandbox.workers import StubMissing, StudentError  # noqa: E402

settings = config.load(KIT / "autograder" / "data" / "grading.toml")
parts = load_parts()
KIT_STATEMENTS = release.definitions(release.cells(settings)) + [
    {"cell": f"kit code of {part.id}", "line": 1, "source": part.kit_code} for part in parts if part.kit_code]


def student_statements(source):
    try:
        from autograder.pipeline.extract import extract
        found, problems = extract([{"index": 0, "source": source}])
        if found and not problems:
            return found
    except Exception:
        pass
    return [{"cell": 1, "line": 1, "source": source}]


class InProcessWorker:
    """A worker's session in this process: requests and replies cross the wire's encoding and
    JSON both ways, and the student's exceptions come back as the grader sees them."""

    def __init__(self, session):
        self.session = session

    def call(self, op, timeout, **args):
        request = wire.decode(json.loads(json.dumps(wire.encode(args), allow_nan=False)))
        try:
            value = getattr(self.session, op)(**request)
        except ops.StubMissing as missing:
            raise StubMissing(str(missing)) from None
        except Exception as error:
            raise StudentError(ops.describe(error)) from None
        return wire.decode(json.loads(json.dumps(wire.encode(value), allow_nan=False)))


# -- recording the stubs' calls ---------------------------------------------------------------
CURRENT = []  # the calls of the check running now


def is_object(value):
    return hasattr(value, "__dict__") and not isinstance(value, (type, dict, list, tuple, str, bytes)) \
        and not callable(value) and type(value).__module__ != "numpy"


def watch(args, log):
    """Log the public method calls made on the object arguments of a call; returns the undo."""
    undo = []
    for name, value in args.items():
        if not is_object(value):
            continue
        for attribute in dir(type(value)):
            if attribute.startswith("_") or not inspect.isfunction(getattr(type(value), attribute, None)):
                continue
            method = getattr(value, attribute)

            def logged(*a, _name=name, _attribute=attribute, _method=method, **kw):
                positional = [spec(item, args) for item in a]
                named = {k: spec(item, args) for k, item in kw.items()}
                result = _method(*a, **kw)
                log.append({"call": [_name, _attribute, positional, named], "result": result})
                return result

            setattr(value, attribute, logged)
            undo.append((value, attribute))
    return lambda: [delattr(value, attribute) for value, attribute in undo]


def spec(item, args):
    """An argument of a method call on an object argument: one of the stub's own arguments, or a value."""
    for name, value in args.items():
        if item is value:
            return ["p", name]
    return ["v", _pack(item)]


def snapshot(owner):
    state = {}
    for attribute, value in vars(owner).items():
        if type(value) is dict:
            state[attribute] = ("dict", {_digest(k): (k, _digest(v)) for k, v in value.items()})
        else:
            state[attribute] = ("value", _digest(value))
    return state


def effects(before, owner):
    """What a method stub changed on its object, as replayable edits."""
    found = []
    now = vars(owner)
    for attribute, value in now.items():
        old = before.get(attribute)
        if old is None:
            found.append(["setattr", attribute, _pack(value)])
        elif type(value) is dict and old[0] == "dict":
            keys = set()
            for k, v in value.items():
                kd = _digest(k)
                keys.add(kd)
                if kd not in old[1] or old[1][kd][1] != _digest(v):
                    found.append(["setitem", attribute, _pack(k), _pack(v)])
            found += [["delitem", attribute, _pack(k)] for kd, (k, _) in old[1].items() if kd not in keys]
        elif old[0] != "value" or old[1] != _digest(value):
            found.append(["setattr", attribute, _pack(value)])
    found += [["delattr", attribute] for attribute in before if attribute not in now]
    return found


def recording(stub, function, method):
    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(*a, **kw):
        bound = signature.bind(*a, **kw)
        bound.apply_defaults()
        args = dict(bound.arguments)
        owner = args.pop(next(iter(signature.parameters))) if method else None
        key = _key(stub, owner, args)
        record = {"stub": stub, "key": key}
        # The wheel's answer first, on copies: the implementation changes its object as it goes.
        record["wheel"], record["wheel_error"] = answer_from_wheel(stub, copy.deepcopy(owner), copy.deepcopy(args))
        before = snapshot(owner) if method else None
        log = []
        undo = watch(args, log)
        try:
            result = function(*a, **kw)
        except Exception as error:
            record["answer"] = {"raise": [type(error).__name__, str(error)]}
            CURRENT.append(record)
            raise
        finally:
            undo()
        answer = {"result": _pack(result)}
        if log:
            answer["calls"] = [entry["call"] for entry in log]
        changed = effects(before, owner) if method else []
        if changed:
            answer["effects"] = changed
        record["answer"] = answer
        CURRENT.append(record)
        return result

    return wrapper


# -- the same answers from the wheel's own reference code -------------------------------------------
WHEEL_MEMO = Memo()


def references(stub):
    import importlib
    for part in parts:
        if part.stub == stub:
            return importlib.import_module(f"autograder.references.{part.row.checks}")
    raise LookupError(stub)


def answer_from_wheel(stub, owner, args):
    """(the answer the wheel's references give for this call, None) or (None, why not): a
    reference that raises (a stand-in that knows only published inputs) leaves the call to zeros.
    owner and args are copies, which the glue below may use up."""
    try:
        answer = globals()["wheel_" + stub](references(stub), owner, args)
        return answer, None
    except Exception as error:
        return None, f"{type(error).__name__}: {error}"[:300]


def wheel_backward_propagation(ref, self, args):
    truth = ref.backprop(WHEEL_MEMO, self.layer_dims, self.activation, self.parameters, args["X"], args["Y"])
    gradients, effects = {}, []
    for l in reversed(range(1, len(self.layer_dims))):
        dW, db = truth["gradients"][f"dW{l}"], truth["gradients"][f"db{l}"]
        gradients[f"dW{l}"], gradients[f"db{l}"] = dW, db
        norms = {"dW_norm": _np.linalg.norm(dW), "db_norm": _np.linalg.norm(db),
                 "dZ_norm": _np.linalg.norm(truth["dZ"][f"dZ{l}"])}
        effects.append(["setitem", "gradient_norms", f"layer_{l}", _pack(norms)])
    return {"result": _pack(gradients), "effects": effects}


def wheel_clip_gradients(ref, owner, args):
    clipped, stats = ref.clip_gradients(WHEEL_MEMO, args["gradients"], args["max_norm"], args["clip_type"])
    return {"result": _pack((dict(clipped), dict(stats)))}


def wheel_batch_normalize(ref, self, args):
    Z, l, mode = args["Z"], args["layer_num"], args["mode"]
    if not self.use_batch_norm or l == self.num_layers:  # the contract's pass-through, no reference needed
        return {"result": _pack(Z)}
    truth = ref.batchnorm(WHEEL_MEMO, Z, self.parameters[f"gamma{l}"], self.parameters[f"beta{l}"],
                          self.running_mean[l], self.running_var[l], self.momentum, self.epsilon, mode)
    effects = []
    if mode == "train":
        effects = [["setitem", "cache", f"{name}{l}", _pack(truth[name])] for name in ("Z_norm", "mu", "var")]
        effects += [["setitem", name, l, _pack(truth[name])] for name in ("running_mean", "running_var")]
    return {"result": _pack(truth["out"]), "effects": effects}


def wheel_diagnose_gradient_health(ref, owner, args):
    # The glue runs the network's own passes (on a copy) for the gradients to diagnose, and the
    # submitted stub runs them again on the network it is given.
    network, X, Y = args["network"], args["X"], args["Y"]
    network.forward_propagation(X)
    gradients = network.backward_propagation(X, Y)
    truth = dict(ref.diagnose(WHEEL_MEMO, gradients, network.num_layers, args["threshold_vanishing"],
                              args["threshold_exploding"]))
    truth.setdefault("recommendations", [])  # the references give none: the zeros answer's
    calls = [["network", "forward_propagation", [["p", "X"]], {}],
             ["network", "backward_propagation", [["p", "X"], ["p", "Y"]], {}]]
    return {"result": _pack(truth), "calls": calls}


# -- running every check ---------------------------------------------------------------------------

def main():
    started = time.monotonic()
    session = ops.Session()
    report = session.load(KIT_STATEMENTS, student_statements(IMPLEMENTATION))
    if report["errors"] or not all(report["stubs"].values()):
        sys.exit(f"the implementation did not load in the wheel's worker session: {report}")
    for stub, (holder, attribute) in ops.STUBS.items():
        if attribute is None:
            session.student[holder] = recording(stub, session.student[holder], method=False)
        else:
            klass = session.student[holder]
            setattr(klass, attribute, recording(stub, vars(klass)[attribute], method=True))
    student = Student(InProcessWorker(session), settings.limits.call_timeout)
    memo, examples, records = Memo(), {}, []
    for part in parts:
        for check in part.checks:
            if check.hidden and not HIDDEN_TOO:
                continue
            CURRENT.clear()
            t0 = time.monotonic()
            status, detail = "passed", ""
            try:
                check.function(student, Context(settings.seed, part.id, check.name, settings.max_examples,
                                                memo, examples))
            except Exception as error:  # skipped, not fatal: the calls made so far are kept
                status = "failed" if type(error).__name__ == "CheckFailed" else "raised"
                detail = (getattr(error, "feedback", "") or traceback.format_exc(limit=-3))[-2000:]
            records.append({"part": part.id, "check": check.name, "hidden": check.hidden, "seed": settings.seed,
                            "status": status, "detail": detail, "seconds": round(time.monotonic() - t0, 3),
                            "calls": list(CURRENT)})
    OUT.write_text(json.dumps(records, allow_nan=False))
    print(f"recorded {sum(len(r['calls']) for r in records)} calls of {len(records)} checks "
          f"in {time.monotonic() - started:.1f} s", file=sys.stderr)


main()
'''


def unpack_wheel(wheel_path, dest):
    """Unzip the wheel (a zip) into `dest`; returns `dest`, the folder that holds `autograder/`."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel_path) as wheel:
        wheel.extractall(dest)
    return dest


def worker_env(kit_dir):
    """The environment the wheel starts its workers with (WORKER_ENV of its sandbox/workers.py),
    read from the file, not imported: this process runs the repository's package."""
    path = Path(kit_dir) / "autograder" / "sandbox" / "workers.py"
    for node in ast.parse(path.read_text()).body if path.is_file() else ():
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "WORKER_ENV" for t in node.targets):
            return dict(ast.literal_eval(node.value))
    return {"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def record_calls(kit_dir, implementation_source, hidden_too=True, timeout=600):
    """Run every check of the unpacked wheel in `kit_dir` (hidden ones too when `hidden_too` and the
    wheel has them) at the seed of its packaged grading.toml, against `implementation_source`, in a
    subprocess that sees the wheel and not this repository. Returns one record per check:

        {"part", "check", "hidden", "seed", "status": "passed" | "failed" | "raised", "detail",
         "seconds", "calls": [{"stub", "key", "answer", "wheel", "wheel_error"}]}

    where an answer is {"result" or "raise", "effects" (what a method changed on its object),
    "calls" (methods called on object arguments)}, its values packed as plain JSON data, and
    "wheel" is the same answer from the wheel's reference code (None where that raised)."""
    kit_dir = Path(kit_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="gradlab-memorizer-") as scratch:
        scratch = Path(scratch)
        driver = scratch / "driver.py"
        driver.write_text(KEY_CODE + PACK_CODE + DRIVER_CODE)
        implementation = scratch / "implementation.py"
        implementation.write_text(implementation_source)
        out = scratch / "records.json"
        # The worker's own environment (NumPy on one thread): a matrix product on more threads can
        # differ in the last bit, and the kit's forward pass feeds the keys of backward_propagation.
        env = dict(worker_env(kit_dir), HOME=str(scratch), TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0")
        done = subprocess.run([sys.executable, "-I", str(driver), str(kit_dir), str(implementation), str(out),
                               "1" if hidden_too else "0"], cwd=scratch, env=env, capture_output=True, text=True,
                              timeout=timeout)
        if done.returncode != 0 or not out.is_file():
            raise RuntimeError(f"the recorder failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        return json.loads(out.read_text())


# -- the submissions ----------------------------------------------------------------------------------

def _stub_nodes(tree):
    """{stub: its FunctionDef in `tree`} for the lab's stubs (the part manifest, autograder/parts.py)."""
    found = {}
    top = {node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    for part in PARTS:
        holder, attribute = part.location
        node = top.get(holder)
        if attribute is not None and isinstance(node, ast.ClassDef):
            node = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == attribute), None)
        if isinstance(node, ast.FunctionDef):
            found[part.stub] = (node, attribute is not None)
    return found


def _replace_stubs(source, body):
    """`source` with each stub's definition replaced by one of the same signature whose body is
    `body(dispatch)`, dispatch the call that hands the stub's name, object and arguments on."""
    tree = ast.parse(source)
    nodes = _stub_nodes(tree)
    missing = [part.stub for part in PARTS if part.stub not in nodes]
    if missing:
        raise ValueError(f"the base source does not define {missing}")
    lines = source.splitlines(keepends=True)
    for stub, (node, method) in sorted(nodes.items(), key=lambda item: -item[1][0].lineno):
        a = node.args
        names = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]
        owner = names.pop(0) if method else "None"
        arguments = "{" + ", ".join(f"{n!r}: {n}" for n in names) + "}"
        indent = " " * node.col_offset
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        text = (f"{indent}def {node.name}({ast.unparse(a)}):\n"
                f"{indent}    return {body}({stub!r}, {owner}, {arguments})\n")
        lines[start - 1:node.end_lineno] = [text]
    return "".join(lines)


def _release_source():
    """The released notebook's definitions, as the repository's kit reads them."""
    from autograder import config
    from autograder.pipeline import release

    return "\n\n".join(s["source"].strip("\n") for s in release.kit_statements(config.load(config.DEFAULT_PATH)))


def zeros_source(implementation_source):
    """`implementation_source` with stubs that compute nothing: zeros of the right shapes, empty
    lists, zero statistics (the lower bound a memorizer must not beat where it has no answer)."""
    header = "# Stubs that compute nothing (tests/attacks/memorizer.py, zeros_source).\n"
    return header + _replace_stubs(implementation_source, "_zeros") + "\n" + ZEROS_CODE


def table(records, answer_from="implementation"):
    """{key: answer} of every recorded call, the first answer of a key kept; answer_from="wheel":
    the answers of the wheel's references, leaving out the calls they could not answer."""
    if answer_from not in ("implementation", "wheel"):
        raise ValueError(f"answer_from is 'implementation' or 'wheel', not {answer_from!r}")
    found = {}
    for record in records:
        for call in record["calls"]:
            answer = call["answer"] if answer_from == "implementation" else call["wheel"]
            if answer is not None:
                found.setdefault(call["key"], answer)
    return found


PIECE = 16_000  # characters of the table per statement


def memorizer_source(records, answer_from="implementation", base=None):
    """A submission whose four stubs look their call up in a table of `records`' answers
    (`answer_from`: "implementation" or "wheel") and answer like zeros_source's stubs otherwise.

    base: the source that carries the lab's classes and the stubs' signatures (the non-stub code
    of the recorded implementation, say); default: the released notebook's definitions."""
    answers = table(records, answer_from)
    blob = __import__("base64").b64encode(__import__("zlib").compress(
        json.dumps(answers, separators=(",", ":"), sort_keys=True).encode(), 9)).decode("ascii")
    # In pieces: the grader sends each statement to its worker as a string of at most 20,000
    # characters (autograder/worker/wire.py, MAX_STRING), so one long literal would arrive cut.
    pieces = [blob[i:i + PIECE] for i in range(0, len(blob), PIECE)] or [""]
    data = f"_DATA_PIECES = {len(pieces)}\n" + "".join(
        f"_DATA{i} = (\n" + "".join(f'    "{line}"\n' for line in textwrap.wrap(piece, 100)) + ")\n"
        for i, piece in enumerate(pieces))
    header = (f"# A memorizing submission (tests/attacks/memorizer.py): {len(answers)} recorded calls, answers "
              f"from the {answer_from}.\n")
    body = _replace_stubs(base if base is not None else _release_source(), "_memorized")
    return header + body + "\n" + KEY_CODE + PACK_CODE + ZEROS_CODE + LOOKUP_CODE + "\n" + data

