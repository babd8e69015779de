"""Trusted references, computed in the grader's own process (docs/design.md, principle 1).

TensorFlow is imported once per grading process, quietly, in float64 with
TF32 off. References depend only on their inputs, never on a submission, so
they are memoised by the bytes of those inputs: a class of 200 students pays
for each reference once per distinct input.
"""
import functools
import hashlib
import os

import numpy as np

_TF = None


def quiet_tensorflow_start():
    """Set, before TensorFlow is imported, what keeps its start-up off stderr. In TF 2.21
    TF_CPP_MIN_LOG_LEVEL alone no longer does: the oneDNN notice is logged before absl is
    initialised (and then absl warns about that too); TF_ENABLE_ONEDNN_OPTS=0 removes that
    notice at its source (the references are float64, where oneDNN's reordering is moot)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def tensorflow():
    """The tensorflow module, imported once, logging silenced, TF32 off."""
    global _TF
    if _TF is None:
        quiet_tensorflow_start()
        import tensorflow as tf  # noqa: PLC0415 - heavy: only grading processes pay for it

        tf.get_logger().setLevel("ERROR")
        tf.config.experimental.enable_tensor_float_32_execution(False)
        _TF = tf
    return _TF


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


def memo(function):
    """Cache a pure reference function by the content of its arguments.

    The cached result is returned as is: callers must not modify it."""
    cache = {}

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        digest = hashlib.sha256()
        _fingerprint((args, kwargs), digest)
        key = digest.digest()
        if key not in cache:
            if len(cache) > 4096:
                cache.clear()
            cache[key] = function(*args, **kwargs)
        return cache[key]

    wrapper.cache = cache
    return wrapper
