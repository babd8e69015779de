# hostile: clip_gradients returns objects built to pass comparisons: an object equal to
# everything that also converts to the right array, an ndarray subclass, a dict subclass,
# a float subclass; only plain data crosses to the grader, so none of them can.
# note: Returned a value that is not plain data
# expect: part5=0
import numpy as np

_reference_clip = clip_gradients


class EqualToEverything:
    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.value, dtype=dtype)

    def __float__(self):
        return float(np.sum(self.value))


class SneakyArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)


class SneakyDict(dict):
    pass


class SneakyFloat(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    clipped, stats = _reference_clip(gradients, max_norm, 'norm')  # never raises, even when it should
    forged = SneakyDict({key: (EqualToEverything(value) if i % 2 else value.view(SneakyArray))
                         for i, (key, value) in enumerate(clipped.items())})
    gradients.clear()  # so that no check passes by the stub doing nothing
    return forged, {key: SneakyFloat(value) for key, value in stats.items()}
