"""Trusted references, computed in the grader's own process (docs/design.md, principle 1).

TensorFlow is imported on first use, quietly, in float64 with TF32 off.
References depend only on their inputs, never on a submission, so they are
memoised by the bytes of those inputs: a class of 200 students pays for each
reference once per distinct input. The cache is a `Memo` the caller holds (a
grading process's Grader, autograder/pipeline/grader.py), passed as the first
argument of every memoised reference; nothing here keeps state of its own.
"""
import functools
import hashlib
import os

import numpy as np

MEMO_LIMIT = 4096  # cached results per reference function; a full cache starts again empty


def quiet_tensorflow_start():
    """Set, before TensorFlow is imported, what keeps its start-up off stderr. In TF 2.21
    TF_CPP_MIN_LOG_LEVEL alone no longer does: the oneDNN notice is logged before absl is
    initialised (and then absl warns about that too); TF_ENABLE_ONEDNN_OPTS=0 removes that
    notice at its source (the references are float64, where oneDNN's reordering is moot)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def tensorflow():
    """The tensorflow module, logging silenced, TF32 off. Python imports it once per process;
    the settings are idempotent flags, so setting them again on every (memo-missing) call is
    cheaper than remembering that they were set."""
    quiet_tensorflow_start()
    import tensorflow as tf  # noqa: PLC0415 - heavy: only grading processes pay for it

    tf.get_logger().setLevel("ERROR")
    tf.config.experimental.enable_tensor_float_32_execution(False)
    return tf


def _fingerprint(value, digest):
    if isinstance(value, np.ndarray):
        digest.update(f"nd{value.dtype.str}{value.shape}".encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, dict):
        digest.update(b"{")
        for key in sorted(value, key=repr):
            digest.update(repr(key).encode())
            _fingerprint(value[key], digest)
        digest.update(b"}")
    elif isinstance(value, (list, tuple)):
        digest.update(b"[")
        for item in value:
            _fingerprint(item, digest)
        digest.update(b"]")
    else:
        digest.update(repr(value).encode())


class Memo:
    """A grading process's reference results, by the content of their inputs, and the objects
    the references build once (a Keras layer per width: building one costs about 50 ms)."""

    def __init__(self, limit=MEMO_LIMIT):
        self.limit = limit
        self.results = {}  # function -> {digest of the arguments: result}
        self.objects = {}

    def result(self, function, args, kwargs):
        """function(self, *args, **kwargs), computed once per distinct content of the arguments.

        The cached result is returned as is: callers must not modify it."""
        digest = hashlib.sha256()
        _fingerprint((args, kwargs), digest)
        key = digest.digest()
        cache = self.results.setdefault(function, {})
        if key not in cache:
            if len(cache) > self.limit:
                cache.clear()
            cache[key] = function(self, *args, **kwargs)
        return cache[key]

    def built(self, key, build, *args):
        """The object build(*args) made the first time `key` was asked for."""
        if key not in self.objects:
            self.objects[key] = build(*args)
        return self.objects[key]


def memoised(function):
    """Make `function(memo, *args)` look its result up in `memo` (a Memo) by the content of args."""

    @functools.wraps(function)
    def cached(memo, *args, **kwargs):
        return memo.result(function, args, kwargs)

    cached.memoised = True  # the student kit records these (references/recorded.py)
    return cached
