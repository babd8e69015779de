import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")
# The tests' grading secret (autograder/secret.py), for every path that grades, subprocesses included:
# fixed, so results are reproducible, and never a course's own.
TEST_SECRET = "7e57" * 16
os.environ["GRADLAB_SECRET"] = TEST_SECRET
os.environ.pop("GRADLAB_SECRET_FILE", None)
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def harness():
    """Real checks against real workers; TensorFlow loads once per test session."""
    from harness import Harness

    h = Harness()
    yield h
    h.close()


@pytest.fixture(scope="session")
def student_wheel(tmp_path_factory):
    """(the wheel, the folder it is unpacked in) of `python -m autograder wheel`: what students get.

    Built once per test process (about a minute: it records the self-checks' answers)."""
    import subprocess
    import zipfile

    root = tmp_path_factory.mktemp("student_wheel")
    repo = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(repo), "TF_CPP_MIN_LOG_LEVEL": "3"}
    built = subprocess.run([sys.executable, "-m", "autograder", "wheel", str(root / "dist")], cwd=repo, env=env,
                           capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stderr
    wheel = next((root / "dist").glob("*.whl"))
    with zipfile.ZipFile(wheel) as opened:
        opened.extractall(root / "kit")
    return wheel, root / "kit"
