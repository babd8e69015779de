"""The released notebook: the source of locked cells and of the kit's own code.

The kit's classes (DeepNeuralNetwork, BatchNormNetwork, ...) that a stub is
graded inside come from the release, never from the student's notebook.
"""
import os
from functools import lru_cache
from pathlib import Path

from autograder.config import REPO
from autograder.pipeline.extract import extract
from autograder.pipeline.load import Submission, read


def notebook_path(grading):
    """assignment/<id>/<notebook>, or $GRADLAB_RELEASE when the kit is installed elsewhere."""
    override = os.environ.get("GRADLAB_RELEASE")
    if override:
        return Path(override)
    return REPO / "assignment" / grading.assignment / grading.notebook


@lru_cache(maxsize=4)
def _cells(path):
    submission = read(Submission("release", Path(path)))
    if submission.problems or not submission.cells:
        raise FileNotFoundError(f"the released notebook {path} is missing or unreadable: "
                                f"{' '.join(submission.problems)} (run `make release`)")
    return submission.cells


def cells(grading):
    return _cells(str(notebook_path(grading)))


def kit_statements(grading):
    """The release's definitions, run in every worker before the student's."""
    statements, problems = extract(cells(grading))
    if problems:
        raise ValueError(f"the released notebook does not parse: {problems}")
    return statements
