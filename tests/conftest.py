import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def harness():
    """Real checks against real workers; TensorFlow loads once per test session."""
    from harness import Harness

    h = Harness()
    yield h
    h.close()
