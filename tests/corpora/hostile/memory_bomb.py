# hostile: clip_gradients asks for a terabyte, then for a list of 2**34 items.
# note: Used more than the memory limit
# expect: part5=0


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    try:
        hoard = bytearray(1 << 40)
    except MemoryError:
        pass
    hoard = [0] * (1 << 34)
    return hoard, {}
