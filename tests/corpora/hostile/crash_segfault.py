# hostile: clip_gradients reads far outside an array's memory, a segmentation fault.
# note: The Python process running your code crashed in part5 (killed by signal SIGSEGV
# expect: part5=0
# status: part5=crashed
import numpy as np


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    wild = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(4,), strides=(1 << 44,))
    return {"sum": wild.sum()}, {}
