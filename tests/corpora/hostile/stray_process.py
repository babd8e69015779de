# hostile: clip_gradients tries to leave programs running after grading (sleep in the
# background through os.system, posix_spawn, a detached subprocess, setsid via the
# private _posixsubprocess module) and starts one background thread (a thread per call would
# reach the sandbox user's process limit, which costs the student points and tests nothing of
# the grader); then it returns the right answer, so part 5 earns its points and only the note
# remains.
# note: Tried to start a process
# expect: full
import os
import threading
import time

_reference_clip = clip_gradients


_lingering = []


def _linger():
    while True:
        time.sleep(0.05)


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    attempts = [
        lambda: os.system("sleep 4171 &"),
        lambda: os.posix_spawn("/bin/sleep", ["sleep", "4172"], {}),
        lambda: __import__("subprocess").Popen(["setsid", "sleep", "4173"], start_new_session=True),
        lambda: __import__("_posixsubprocess"),
    ]
    for attempt in attempts:
        try:
            attempt()
        except Exception:
            pass
    if not _lingering:
        _lingering.append(threading.Thread(target=_linger, daemon=True))
        _lingering[0].start()
    return _reference_clip(gradients, max_norm, clip_type)
