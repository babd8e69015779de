# hostile: clip_gradients tries to kill the grader and every process it can reach.
# note: Tried to send a signal to a process
# expect: part5=0
import os
import signal


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    for attempt in (lambda: os.kill(os.getppid(), signal.SIGKILL), lambda: os.kill(-1, signal.SIGKILL),
                    lambda: os.killpg(0, signal.SIGKILL), lambda: os.kill(1, signal.SIGTERM)):
        try:
            attempt()
        except OSError:
            pass
    gradients.clear()  # so that no check passes by the stub doing nothing
    return gradients, {}
