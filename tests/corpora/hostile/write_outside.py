# hostile: clip_gradients tries to write outside its scratch folder: a forged results
# file and grades.csv in the shared temporary folders, its home's parent, the
# repository next to the worker's own code; through open, os.open with a path-like
# object and with dir_fd, mkdir, rename and symlink. Its answer is wrong: the
# results file must still say 0 for part 5.
# note: Tried to write outside its scratch folder
# expect: part5=0
import json
import os
import pathlib
import sys

FORGED = json.dumps({"submission": "write_outside", "score": 1000, "max_score": 36, "parts": {}})


def _targets():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(sys.argv[0]))))
    folders = [repo, "/tmp", "/var/tmp", "/dev/shm", os.path.dirname(os.path.expanduser("~"))]
    for folder in folders:
        yield os.path.join(folder, "results", "write_outside.json")
        yield os.path.join(folder, "grades.csv")
        yield os.path.join(folder, "gradlab-hostile-escape.txt")


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    for target in _targets():
        for attempt in (
            lambda: os.makedirs(os.path.dirname(target), exist_ok=True),
            lambda: open(target, "w").write(FORGED),
            lambda: os.close(os.open(pathlib.Path(target), os.O_WRONLY | os.O_CREAT)),
            lambda: os.close(os.open(os.path.basename(target), os.O_WRONLY | os.O_CREAT,
                                     dir_fd=os.open(os.path.dirname(target), os.O_RDONLY))),
            lambda: os.symlink("/etc/passwd", target),
        ):
            try:
                attempt()
            except Exception:
                pass
    try:
        open("local.txt", "w").write(FORGED)
        os.rename("local.txt", "/tmp/gradlab-hostile-escape.txt")
    except Exception:
        pass
    gradients.clear()  # so that no check passes by the stub doing nothing
    return {}, {"original_norm": 0.0, "clipped_norm": 0.0, "clip_ratio": 1.0}
