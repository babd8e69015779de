"""Plain-data wire format between the grader and a worker.

Both sides import this file; it needs only the standard library and NumPy.
Messages are length-prefixed JSON. Arrays travel as raw bytes + dtype + shape,
and only numeric dtypes are accepted, so nothing a worker sends can become
code or an arbitrary object on the grader side (design.md, principle 2).
"""
import base64
import json
import struct

import numpy as np

HEADER = struct.Struct(">Q")
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
MAX_STRING = 20_000
MAX_DEPTH = 12
NUMERIC_KINDS = "biufc"  # bool, int, uint, float, complex: never object or void


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


def encode(value, depth=0):
    """Turn a value into JSON-ready plain data; unknown objects become tagged text."""
    if depth > MAX_DEPTH:
        return {"__opaque__": "nesting", "text": "nested too deeply"}
    if value is None or type(value) in (bool, int, str):
        return value[:MAX_STRING] if type(value) is str else value
    if type(value) is float:
        return {"__float__": repr(value)} if value != value or value in (float("inf"), float("-inf")) else value
    if type(value) is np.ndarray and value.dtype.kind in NUMERIC_KINDS:
        data = np.ascontiguousarray(value)
        return {"__ndarray__": base64.b64encode(data.tobytes()).decode("ascii"),
                "dtype": data.dtype.str, "shape": list(data.shape)}
    if isinstance(value, np.generic) and type(value).__module__ == "numpy" and np.asarray(value).dtype.kind in NUMERIC_KINDS:
        return {"__scalar__": encode(value.item(), depth + 1), "dtype": np.asarray(value).dtype.str}
    if type(value) is tuple:
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if type(value) is list:
        return [encode(v, depth + 1) for v in value]
    if type(value) is dict:
        return {"__dict__": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    return {"__opaque__": _type_name(value), "text": _safe_repr(value)}


def decode(data, depth=0):
    """Rebuild plain values from wire data, refusing anything unexpected."""
    if depth > MAX_DEPTH + 2:
        raise WireError("message nested too deeply")
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [decode(v, depth + 1) for v in data]
    if type(data) is not dict or len(data) not in (1, 2, 3):
        raise WireError(f"unexpected value on the wire: {type(data).__name__}")
    if "__ndarray__" in data:
        dtype = np.dtype(str(data["dtype"]))
        if dtype.kind not in NUMERIC_KINDS:
            raise WireError(f"refused array dtype {dtype}")
        shape = tuple(int(n) for n in data["shape"])
        raw = base64.b64decode(data["__ndarray__"])
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if "__float__" in data:
        return float(data["__float__"])
    if "__scalar__" in data:
        dtype = np.dtype(str(data["dtype"]))
        if dtype.kind not in NUMERIC_KINDS:
            raise WireError(f"refused scalar dtype {dtype}")
        return dtype.type(decode(data["__scalar__"], depth + 1))
    if "__tuple__" in data:
        return tuple(decode(v, depth + 1) for v in data["__tuple__"])
    if "__dict__" in data:
        return {_key(decode(k, depth + 1)): decode(v, depth + 1) for k, v in data["__dict__"]}
    if "__opaque__" in data:
        return Opaque(str(data["__opaque__"]), str(data.get("text", "")))
    raise WireError(f"unknown tag {sorted(data)}")


def _key(key):
    # Dictionary keys must be hashable plain values; arrays and lists are not.
    if key is None or type(key) in (bool, int, float, str, tuple) or isinstance(key, np.generic):
        return key
    raise WireError(f"unhashable dictionary key of type {type(key).__name__}")


def _type_name(value):
    try:
        cls = type(value)
        return f"{cls.__module__}.{cls.__qualname__}"[:200]
    except Exception:
        return "unknown"


def _safe_repr(value):
    # The repr of a hostile object is student code: it runs here, in the worker, never in the grader.
    try:
        return str(object.__repr__(value))[:200]
    except Exception:
        return "?"


def send(stream, message):
    """Write one message (already plain data) to a binary stream."""
    body = json.dumps(message, allow_nan=False).encode("utf-8")
    if len(body) > MAX_MESSAGE_BYTES:
        body = json.dumps({"error": {"type": "WireError", "message": "reply too large",
                                     "builtin_types": [], "traceback": ""}}).encode("utf-8")
    stream.write(HEADER.pack(len(body)) + body)
    stream.flush()


def read_message(read_exactly):
    """Read one message with read_exactly(n) -> bytes; raises EOFError at end of stream."""
    header = read_exactly(HEADER.size)
    (length,) = HEADER.unpack(header)
    if length > MAX_MESSAGE_BYTES:
        raise WireError(f"message of {length} bytes is over the limit")
    return json.loads(read_exactly(length).decode("utf-8"))
