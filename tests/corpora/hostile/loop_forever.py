# hostile: clip_gradients never returns (an infinite loop).
# note: Timed out in part5
# expect: part5=0
# status: part5=timed_out


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    while True:
        pass
