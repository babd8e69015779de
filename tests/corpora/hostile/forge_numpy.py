# hostile: clip_gradients replaces NumPy's comparisons and norms and Python's isinstance
# and abs inside the worker, hoping the grader compares there, then returns garbage.
# The grader compares in its own process: no point may follow. (The replaced functions
# stay replaced in that worker, so later parts may suffer too: deserved.)
# note: Replaced part of NumPy or Python's built-ins
# expect: part5=0, others=any
import builtins

import numpy as np


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    always = lambda *args, **kwargs: True  # noqa: E731
    np.allclose = np.array_equal = np.array_equiv = always
    np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
    np.testing.assert_allclose = lambda *args, **kwargs: None
    np.linalg.norm = lambda *args, **kwargs: 0.0
    builtins.isinstance = always
    builtins.abs = lambda x: 0
    return {key: "garbage" for key in gradients}, {"original_norm": "?"}
