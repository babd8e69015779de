"""Steps 1-3 of the pipeline for one submission: load -> restore -> extract.

Nothing here runs student code. `make grade` (pipeline/batch.py), the
notebook's test cells (integrations/notebook.py), nbgrader autograde and
Gradescope all prepare a submission through `prepare`, so they grade the
same definitions.
"""
import dataclasses
import hashlib
from pathlib import Path

from autograder import config
from autograder.pipeline import extract, load, release, restore

PACKAGE = Path(__file__).resolve().parent.parent  # autograder/: its code is part of the grader's hash


@dataclasses.dataclass
class Prepared:
    id: str
    safe_id: str
    statements: list
    problems: list       # the file could not be used at all: no check runs
    notes: list          # restored cells, syntax errors: shown, but grading goes on
    fingerprint: str


def prepare(submission, grader, grader_hash=""):
    """Steps 1-3 for one submission: read, restore locked cells (the grader's release), extract
    definitions. grader_hash: what the cache fingerprint adds (grader_hash() below; "" for none)."""
    grading = grader.settings
    load.read(submission)
    statements, notes = [], []
    if not submission.problems:
        cells, notes = restore.restore(submission.cells, grader.release)
        statements, syntax = extract.extract(cells)
        notes = notes + syntax
        if not statements:
            submission.problems.append("No definitions were found in the file (no functions or classes).")
    inputs = grader.inputs.secret.fingerprint if grader.inputs.graded else "public"
    key = f"{submission.digest}/{grader_hash}/{grading.seed}/{inputs}/{grading.max_examples}"
    return Prepared(submission.id, submission.safe_id, statements, list(submission.problems), notes,
                    hashlib.sha256(key.encode()).hexdigest())


def grader_hash(grading_path):
    """Changes whenever the grader's code, grading.toml or the release changes."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.read_bytes())
    digest.update(Path(grading_path).read_bytes())
    release_path = release.notebook_path(config.load(grading_path))
    if release_path.exists():
        digest.update(release_path.read_bytes())
    return digest.hexdigest()
