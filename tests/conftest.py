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
