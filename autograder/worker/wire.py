"""Plain-data wire format between the grader and a worker.

Both sides import this file; it needs only the standard library and NumPy.
Messages are length-prefixed JSON. Arrays and NumPy scalars travel as raw
bytes + dtype + shape, and only numeric dtypes are accepted, so nothing a
worker sends can become code or an arbitrary object on the grader side
(docs/design.md, principle 2): `decode` builds only None, bool, int, float, str,
list, tuple, dict, exact `np.ndarray` (native byte order, owning its data),
exact NumPy scalars and `Opaque`, and turns anything malformed into a
WireError.

`encode` runs in the worker on whatever the student's code returned. It
never calls the student's code: types are compared with `is` (an `==` or
`in` could run a metaclass's __eq__ or __hash__), subclasses of dict, list,
ndarray and float are sent as Opaque, and the text of an Opaque value is
`object.__repr__`, never the object's own __repr__ or __str__.
"""
import base64
import binascii
import json
import marshal
import math
import struct

import numpy as np

HEADER = struct.Struct(">Q")
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
MAX_ARRAY_BYTES = 16 * 1024 * 1024
MAX_ITEMS = 10_000       # elements of one list, tuple or dict
MAX_INT_BITS = 256       # larger Python ints are not plain numbers for this lab
MAX_STRING = 20_000
MAX_DEPTH = 12
MAX_DIMENSIONS = 32
NUMERIC_KINDS = "biufc"  # bool, int, uint, float, complex: never object or void

# The NumPy scalar types that may cross, by identity (see the module docstring).
_SCALAR_TYPES = {id(t): t for t in set(np.sctypeDict.values())
                 if isinstance(t, type) and np.dtype(t).kind in NUMERIC_KINDS}


class WireError(Exception):
    """A message was malformed, too large, or of a type that is not plain data."""


class Opaque:
    """Stands in for a value the worker could not send as plain data."""

    def __init__(self, type_name, text):
        self.type_name = type_name
        self.text = text

    def __repr__(self):
        return f"<{self.type_name}: {self.text}>"

    def __eq__(self, other):
        return isinstance(other, Opaque) and (self.type_name, self.text) == (other.type_name, other.text)

    def __hash__(self):
        return hash((self.type_name, self.text))


# -- worker side: values to plain data ------------------------------------------------

def encode(value, depth=0):
    """Turn a value into JSON-ready plain data; anything else becomes tagged text."""
    kind = type(value)
    if depth > MAX_DEPTH:
        return {"__opaque__": "nesting", "text": "nested too deeply"}
    # The kinds are disjoint (identity of the exact type), so the order only saves time: what
    # crosses most often first.
    if value is None or kind is bool:
        return value
    if kind is float:
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if kind is np.ndarray:
        return _encode_array(value)
    if kind is str:
        return value[:MAX_STRING]
    if kind is dict:
        if len(value) > MAX_ITEMS:
            return {"__opaque__": "dict", "text": f"a dict of {len(value)} items"}
        return {"__dict__": [[k[:MAX_STRING] if type(k) is str else encode(k, depth + 1), encode(v, depth + 1)]
                             for k, v in value.items()]}
    if kind is tuple or kind is list:
        if len(value) > MAX_ITEMS:
            return {"__opaque__": kind.__name__, "text": f"a {kind.__name__} of {len(value)} items"}
        items = [encode(v, depth + 1) for v in value]
        return {"__tuple__": items} if kind is tuple else items
    if kind is int:
        if value.bit_length() > MAX_INT_BITS:
            return {"__opaque__": "int", "text": f"an integer of {value.bit_length()} bits"}
        return value
    if kind is np.str_:  # NumPy's own str subclass, e.g. an element of an array of strings
        return str(value)[:MAX_STRING]
    if id(kind) in _SCALAR_TYPES and _SCALAR_TYPES[id(kind)] is kind:
        return {"__scalar__": base64.b64encode(value.tobytes()).decode("ascii"), "dtype": value.dtype.str}
    return {"__opaque__": _type_name(value), "text": _safe_repr(value)}


def _encode_array(value):
    if value.dtype.kind not in NUMERIC_KINDS:
        return {"__opaque__": "numpy.ndarray (not numeric)", "text": f"an array of dtype {value.dtype.str}"[:200]}
    if value.nbytes > MAX_ARRAY_BYTES:
        return {"__opaque__": "numpy.ndarray (too large)", "text": f"an array of shape {value.shape[:8]} "
                                                                   f"({value.nbytes // 2**20} MB), too large to send"}
    data = np.ascontiguousarray(value)
    return {"__ndarray__": base64.b64encode(data.tobytes()).decode("ascii"),
            "dtype": data.dtype.str, "shape": list(data.shape)}


def _type_name(value):
    # Through `type`'s own descriptors: a metaclass could make `cls.__module__` run code.
    cls = type(value)
    try:
        module = type.__dict__["__module__"].__get__(cls)
        name = type.__dict__["__qualname__"].__get__(cls)
    except Exception:
        return "unknown"
    module = module if type(module) is str else "?"
    name = name if type(name) is str else "?"
    return f"{module}.{name}"[:200]


def _safe_repr(value):
    # Never the object's own __repr__, and no memory address: the same submission must get the
    # same feedback, byte for byte, every time it is graded.
    return f"a {_type_name(value)} object"[:200]


def pack(message):
    """One message (already plain data) as bytes: header + JSON; too large becomes an error."""
    body = json.dumps(message, allow_nan=False).encode("utf-8")
    if len(body) > MAX_MESSAGE_BYTES:
        body = json.dumps({"error": {"type": "WireError", "message": "reply too large",
                                     "builtin_types": [], "traceback": ""},
                           "notes": message.get("notes", [])[:20]}).encode("utf-8")
    return HEADER.pack(len(body)) + body


def send(stream, message):
    """Write one message (already plain data) to a binary stream."""
    stream.write(pack(message))
    stream.flush()


# -- grader side: plain data to values, refusing anything else ------------------------------

def decode(data):
    """Rebuild plain values from wire data; WireError for anything unexpected."""
    try:
        return _decode(data, 0)
    except WireError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError, IndexError,
            binascii.Error, RecursionError, MemoryError) as error:
        raise WireError(f"malformed value on the wire ({type(error).__name__})") from None


def _decode(data, depth):
    if depth > MAX_DEPTH + 2:
        raise WireError("message nested too deeply")
    kind = type(data)
    if data is None or kind is bool or kind is int or kind is float or kind is str:
        return data
    if kind is list:
        return [_decode(v, depth + 1) for v in data]
    if kind is not dict or len(data) not in (1, 2, 3):
        raise WireError(f"unexpected value on the wire: {kind.__name__}")
    # The common tags first: a dict and an array are most of what crosses.
    if "__dict__" in data:
        result = {}
        for pair in _list(data["__dict__"]):
            if type(pair) is not list or len(pair) != 2:
                raise WireError("malformed dict entry")
            key, value = pair
            result[key if type(key) is str else _key(_decode(key, depth + 1))] = _decode(value, depth + 1)
        return result
    if "__ndarray__" in data:
        return _decode_array(data)
    if "__float__" in data:
        text = data["__float__"]
        if type(text) is not str or text not in ("nan", "inf", "-inf"):
            raise WireError("malformed special float")
        return float(text)
    if "__scalar__" in data:
        dtype = _numeric_dtype(data["dtype"])
        raw = _bytes(data["__scalar__"])
        if len(raw) != dtype.itemsize:
            raise WireError("malformed scalar")
        return np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="))[0]
    if "__tuple__" in data:
        return tuple(_decode(v, depth + 1) for v in _list(data["__tuple__"]))
    if "__opaque__" in data:
        return Opaque(str(data["__opaque__"])[:200], str(data.get("text", ""))[:200])
    raise WireError(f"unknown tag {sorted(data)}")


def _decode_array(data):
    dtype = _numeric_dtype(data["dtype"])
    shape = data["shape"]
    if type(shape) is not list or len(shape) > MAX_DIMENSIONS or any(type(n) is not int or n < 0 for n in shape):
        raise WireError("malformed array shape")
    raw = _bytes(data["__ndarray__"])
    if len(raw) != math.prod(shape) * dtype.itemsize:
        raise WireError("array data does not match its shape")
    # A fresh, writable array in native byte order: `dtype == np.float64` then means float64.
    return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _numeric_dtype(text):
    if type(text) is not str or len(text) > 10:
        raise WireError("malformed dtype")
    dtype = np.dtype(text)
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"refused dtype {dtype}")
    return dtype


def _bytes(text):
    if type(text) is not str:
        raise WireError("malformed bytes")
    return base64.b64decode(text, validate=True)


def _list(value):
    if type(value) is not list:
        raise WireError("malformed container")
    return value


def _key(key):
    # Dictionary keys must be hashable; a list (from a tuple holding one) is not.
    try:
        hash(key)
        return key
    except TypeError:
        return Opaque("unhashable key", repr(key)[:200])


# -- the kit's statements, compiled once by the grader ---------------------------------------

def with_code(statement):
    """`statement` ({"cell", "line", "source"}) with "code": its code object, marshalled and in
    base64, so that the workers (one per submission) run the kit without compiling it again
    (a few milliseconds each). Only the grader's own statements carry one; a student's source is
    always compiled in the worker. Workers run the grader's interpreter, whose marshal format it is."""
    code = base64.b64encode(marshal.dumps(compile(statement["source"], f"<cell {statement['cell']}>", "exec")))
    text = code.decode("ascii")  # in pieces: a string on the wire is cut at MAX_STRING characters
    return dict(statement, code=[text[i:i + MAX_STRING] for i in range(0, len(text), MAX_STRING)])


def code_of(statement):
    """The code object of a kit statement: its marshalled code, else its source compiled now."""
    try:
        return marshal.loads(base64.b64decode("".join(statement["code"]), validate=True))
    except (KeyError, TypeError, ValueError, EOFError, binascii.Error):
        return compile(statement["source"], f"<cell {statement['cell']}>", "exec")


def read_message(read_exactly):
    """Read one message with read_exactly(n) -> bytes; raises EOFError at end of stream."""
    header = read_exactly(HEADER.size)
    (length,) = HEADER.unpack(header)
    if length > MAX_MESSAGE_BYTES:
        raise WireError(f"message of {length} bytes is over the limit")
    body = read_exactly(length)
    try:
        return json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise WireError(f"malformed message ({type(error).__name__})") from None
