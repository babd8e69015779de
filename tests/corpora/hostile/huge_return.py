# hostile: clip_gradients returns a 512 MB array for every gradient, hoping to exhaust
# the grader's memory; arrays over the wire's limit stay in the worker.
# note: Returned a value that is not plain data (numpy.ndarray (too large))
# expect: part5=0
import numpy as np


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    huge = np.zeros((8192, 8192))
    forged = {key: huge for key in gradients}
    gradients.clear()  # so that no check passes by the stub doing nothing
    return forged, {}
