"""The released notebook: the source of locked cells and of the kit's own code.

The kit's classes (DeepNeuralNetwork, BatchNormNetwork, ...) that a stub is
graded inside come from the release, never from the student's notebook.
"""
import os
from pathlib import Path

from autograder.config import REPO, package_data
from autograder.pipeline.extract import extract
from autograder.pipeline.load import Submission, read


# nbgrader's cell markers: spelled in two pieces, so that the kit's own files never hold what
# `make wheel` and `make gradescope` refuse to ship.
SOLUTION_MARKERS = ("### BEGIN " + "SOLUTION", "### BEGIN " + "HIDDEN TESTS")


def notebook_path(grading):
    """assignment/<id>/<notebook> in a checkout, else the wheel's packed copy of the release;
    $GRADLAB_RELEASE overrides both."""
    override = os.environ.get("GRADLAB_RELEASE")
    if override:
        return Path(override)
    checkout = REPO / "assignment" / grading.assignment / grading.notebook
    return checkout if checkout.is_file() or (REPO / "grading.toml").is_file() else package_data(grading.notebook)


def solution_path(grading):
    """The kit's own solution, the source notebook: solutions/<assignment>/<notebook> in a
    checkout, else the staff kit's packed copy (autograder/data/solutions/<notebook>; the
    student wheel never holds one)."""
    checkout = REPO / "solutions" / grading.assignment / grading.notebook
    return checkout if checkout.is_file() else package_data(f"solutions/{grading.notebook}")


def is_student_release(text):
    """True when a notebook's text holds no solution or hidden-test cell."""
    return not any(marker in text for marker in SOLUTION_MARKERS)


def cells(grading):
    """The released notebook's cells, read from its file (a Grader reads them once)."""
    path = notebook_path(grading)
    submission = read(Submission("release", Path(path)))
    if submission.problems or not submission.cells:
        raise FileNotFoundError(f"the released notebook {path} is missing or unreadable: "
                                f"{' '.join(submission.problems)} (run `make release`)")
    return submission.cells


def definitions(release_cells):
    """The release's definitions, run in every worker before the student's."""
    statements, problems = extract(release_cells)
    if problems:
        raise ValueError(f"the released notebook does not parse: {problems}")
    return statements


def kit_statements(grading):
    """The release's definitions, read from its file."""
    return definitions(cells(grading))
