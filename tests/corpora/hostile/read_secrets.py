# hostile: clip_gradients tries to read what a worker must never see: the solutions,
# the grader's checks, other workers' scratch folders, home folders, other processes'
# environments, /etc; it prints whatever it could read, so a leak would show in its
# feedback. Its answer is wrong.
# note: Tried to read outside what the sandbox allows
# expect: part5=0
import json
import os
import sys


def _read(path):
    try:
        if os.path.isdir(path):
            found = []
            for root, dirs, files in os.walk(path):
                for name in files[:50]:
                    found.append(_read(os.path.join(root, name)))
                if len(found) > 200:
                    break
            return " ".join(found)
        with open(path, "rb") as handle:
            return handle.read(4000).decode("utf-8", "replace")
    except Exception as error:
        return f"[{type(error).__name__}]"


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    config = json.loads(sys.argv[1])
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(sys.argv[0]))))
    places = [config.get("scratch", "/tmp") + "/..", os.path.join(repo, "solutions"),
              os.path.join(repo, "autograder", "checks"), "/tmp", "/home", "/root", "/srv/nbgrader",
              "/proc/1/environ", "/etc/shadow"]
    for place in places:
        print(place, "->", _read(place)[:300])
    gradients.clear()  # so that no check passes by the stub doing nothing
    return {}, {"original_norm": 0.0, "clipped_norm": 0.0, "clip_ratio": 1.0}
