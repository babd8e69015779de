# hostile: clip_gradients recurses without end after raising the recursion limit.
# note: Recursed too deeply (RecursionError)
# expect: part5=0
import sys


def _deeper(n):
    return _deeper(n + 1) + 1


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    sys.setrecursionlimit(20_000)
    return _deeper(0), {}
