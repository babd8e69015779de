"""The student kit's references: answers recorded for the published inputs, nothing that computes them.

The student wheel must not hand over the solutions (docs/design.md, principle 8), yet its
self-checks compare against the references. So `make wheel` (integrations/student_kit.py)
runs the public checks on the kit's own solution with the published seed, through a
`Recorder` (a Memo that writes down every reference result it gives, and every known
mistake's replay on the same inputs), stores the table as autograder/data/recorded.json,
and replaces each part's references module by stand-ins (`recorded(name)`) that look
answers up there. An input outside the table (the shrinker's, a graded one) is a
`NotRecorded`: the self-check treats it as an input it cannot judge; a mistake's replay
answers None there ("cannot run on that input"). The table answers only inputs anyone
with the wheel can draw, and graded inputs are drawn from the course's secret
(pipeline/inputs.py), so it is no answer key. The staff kit computes everything.
"""
import base64
import functools
import hashlib
import json

import numpy as np

from autograder.references import Memo, _fingerprint

TABLE = "recorded.json"   # in autograder/data/ of the student wheel


class NotRecorded(LookupError):
    """The student kit has no recorded answer for these inputs (only the published ones)."""


def inputs_key(args, kwargs):
    """The key of a reference call, as hex: its arguments' content with floats rounded to float32.
    Some arguments are computed (the kit's forward pass runs in the student's worker), and their
    last bits depend on the machine's BLAS kernel and threads; the student's machine is not the
    one `make wheel` ran on. Values a few ulps apart round alike but for about 1 in 10^9."""
    digest = hashlib.sha256()
    _fingerprint(_rounded((args, kwargs)), digest)
    return digest.hexdigest()


def _rounded(value):
    if isinstance(value, np.ndarray) and value.dtype.kind in "fc":
        return value.astype(np.complex64 if value.dtype.kind == "c" else np.float32)
    if isinstance(value, (float, np.floating)) and not isinstance(value, bool):
        return float(np.float32(value))
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_rounded(item) for item in value) if type(value) in (list, tuple) else value
    return value


def name_of(function):
    return f"{function.__module__}.{function.__qualname__}"


class Recorder(Memo):
    """A Memo that records each result it gives, and, for a reference some mistakes vary (a
    part's `Mistakes.varies`), each of those mistakes' replays on the same inputs: a failing
    self-check replays them to name the mistake."""

    def __init__(self, replays):
        super().__init__()
        self.replays = replays  # {reference function (unwrapped): [the mistakes' wrong functions]}
        self.table = {}         # {name: {inputs key: encoded result}}

    def result(self, function, args, kwargs):
        value = super().result(function, args, kwargs)
        self.table.setdefault(name_of(function), {})[inputs_key(args, kwargs)] = encode(value)
        for wrong in self.replays.get(function, ()):
            try:
                wrong(self, *args, **kwargs)  # memoised too: recorded by the line above
            except Exception:  # noqa: BLE001 - a replay that cannot run here is not recorded
                pass
        return value


def recorded(name, when_missing=NotRecorded):
    """A stand-in for the memoised reference `name`: `f(memo, *args)` answers from the table.

    when_missing: NotRecorded (raise it) or a value to return (None for a mistake's replay)."""

    def lookup(memo, *args, **kwargs):
        entries, key = _table().get(name, {}), inputs_key(args, kwargs)
        if key in entries:
            return decode(entries[key])
        if when_missing is NotRecorded:
            raise NotRecorded(f"the student kit records {name.rsplit('.', 1)[-1]} for the published inputs only")
        return when_missing

    lookup.recorded = name
    return lookup


@functools.lru_cache(maxsize=1)
def _table():
    from autograder.config import package_data  # noqa: PLC0415 - the student kit only

    return json.loads(package_data(TABLE).read_text(encoding="utf-8"))


# -- the table's format: plain JSON, arrays as their bytes ----------------------------------

def encode(value):
    """`value` (what a reference returns) as JSON data that `decode` gives back exactly."""
    if value is None or isinstance(value, (bool, str)) or type(value) in (int, float):
        return value
    if isinstance(value, np.ndarray):
        return {"nd": value.dtype.str, "shape": list(value.shape),
                "bytes": base64.b64encode(np.ascontiguousarray(value).tobytes()).decode()}
    if isinstance(value, np.generic):
        return {"np": value.dtype.str, "bytes": base64.b64encode(value.tobytes()).decode()}
    if isinstance(value, tuple):
        return {"tuple": [encode(item) for item in value]}
    if isinstance(value, list):
        return {"list": [encode(item) for item in value]}
    if isinstance(value, dict):
        return {"dict": [[encode(key), encode(item)] for key, item in value.items()]}
    raise TypeError(f"a reference returned a {type(value).__name__}, which the student kit cannot record")


def decode(data):
    if not isinstance(data, dict):
        return data
    if "nd" in data:
        raw = base64.b64decode(data["bytes"])
        return np.frombuffer(raw, dtype=np.dtype(data["nd"])).reshape(data["shape"]).copy()
    if "np" in data:
        return np.frombuffer(base64.b64decode(data["bytes"]), dtype=np.dtype(data["np"]))[0]
    if "tuple" in data:
        return tuple(decode(item) for item in data["tuple"])
    if "list" in data:
        return [decode(item) for item in data["list"]]
    return {_hashable(decode(key)): decode(item) for key, item in data["dict"]}


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key
