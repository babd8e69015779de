# hostile: clip_gradients ends the Python process with os._exit(3).
# note: The Python process running your code crashed in part5 (it exited with code 3
# expect: part5=0
# status: part5=crashed
import os


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    os._exit(3)
