# hostile: clip_gradients tries to switch the sandbox off: raise its own resource
# limits, empty the audit hook's lists through the sandbox module, find the hook
# through the garbage collector, reach C code through the ctypes module the sandbox
# itself imported; then it tries to start a shell. Its answer is wrong.
# note: Tried to change the sandbox
# expect: part5=0
import os
import sys


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    sandbox = sys.modules.get("sandbox")
    attempts = [
        lambda: __import__("resource").setrlimit(__import__("resource").RLIMIT_AS, (-1, -1)),
        lambda: setattr(sandbox, "PROCESS_EVENTS", ()),
        lambda: setattr(sandbox, "WRITE_EVENTS", {}),
        lambda: __import__("gc").get_objects(),
        lambda: sandbox.ctypes.CDLL(None).fork(),
        lambda: os.system("echo escaped > /tmp/gradlab-hostile-escape.txt"),
    ]
    for attempt in attempts:
        try:
            attempt()
        except Exception:
            pass
    gradients.clear()  # so that no check passes by the stub doing nothing
    return gradients, {}
