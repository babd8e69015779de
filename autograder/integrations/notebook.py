"""The notebook's test cells: `check_part("part2")` grades that part's stub
with the same checks, the same isolated worker and the same points as
`make grade`, and shows feedback under the cell.

While a student works, the code graded is what this kernel has executed
(IPython's input history), taken through the same extraction as `make grade`
takes a notebook file. Under `nbgrader autograde` (NBGRADER_EXECUTION is
"autograde", the working directory is the student's autograded folder) the
code graded is the notebook file being autograded, read through the very
steps `make grade` uses (load -> restore -> extract), so both give the same
score, part by part, even when a stub killed the kernel earlier and
nbgrader went on in a fresh one (autograder/integrations/nbgrader.py). Nothing
here writes to stderr: nbgrader gives 0 points to a test cell with any
stderr output.
"""
import contextlib
import hashlib
import io
import os
import sys
from dataclasses import dataclass
from html import escape
from pathlib import Path

from autograder import config
from autograder.pipeline import release
from autograder.checks import all_checks
from autograder.pipeline.extract import extract
from autograder.pipeline.grade import WorkerSupply, grade
from autograder.pipeline.load import Submission

_CACHE = {}  # (statements digest, seed, part, check) -> Outcome: public and hidden runs share work


@dataclass
class PartResult:
    part: str
    title: str
    score: float
    max_score: float
    public_only: bool
    rows: list  # (check name, passed, points earned, points, feedback, hidden)

    def _repr_html_(self):
        body = "".join(
            f"<tr><td style='color:{'#1a7f37' if ok else '#cf222e'};font-weight:600'>"
            f"{'pass' if ok else 'fail'}</td><td>{escape(name)}</td><td>{got:g} / {pts:g}</td>"
            f"<td><pre style='white-space:pre-wrap;margin:0'>{escape(text)}</pre></td></tr>"
            for name, ok, got, pts, text, _ in self.rows)
        return (f"<b>{escape(self.title)}: {self.score:g} / {self.max_score:g}</b>"
                f"<table><tr><th>result</th><th>check</th><th>points</th><th>feedback</th></tr>{body}</table>"
                f"<p>{escape(self._footer())}</p>")

    def __repr__(self):
        lines = [f"{self.title}: {self.score:g} / {self.max_score:g}"]
        for name, ok, got, pts, text, _ in self.rows:
            lines.append(f"  [{'pass' if ok else 'FAIL'}] {name} ({got:g}/{pts:g})")
            if not ok:
                lines.extend("      " + line for line in text.splitlines())
        lines.append(self._footer())
        return "\n".join(lines)

    def _footer(self):
        if not self.public_only:
            return "All checks of this part ran."
        rest = self.max_score - sum(pts for *_, pts, _t, _h in self.rows)
        return (f"These are the public checks. Hidden checks worth {rest:g} more points run when "
                "your notebook is graded; they test the same contract on other inputs.")


def check_part(part, hidden=False, grading_path=config.DEFAULT_PATH):
    """Grade `part` (e.g. "part2") of this notebook, display the feedback, return the result.

    hidden=False runs the public checks; hidden=True (the autograder's version of
    the cell) runs all of them."""
    stdout = sys.stdout
    with _stderr_to(stdout):
        result = _grade_part(part, hidden, grading_path)
    try:
        from IPython.display import display

        display(result)
    except ImportError:
        print(repr(result))
    return result


def _grade_part(part, hidden, grading_path):
    checks = all_checks()
    grading = config.load(grading_path, registry=checks)
    if part not in grading.parts:
        raise ValueError(f"unknown part {part!r}; grading.toml has {', '.join(grading.parts)}")
    chosen = [c for c in checks if c.part == part and (hidden or not c.hidden)]
    statements = _graded_statements(grading)
    digest = hashlib.sha256(repr(statements).encode()).hexdigest()
    keys = {c.name: (digest, grading.seed, part, c.name) for c in chosen}
    todo = [c for c in chosen if keys[c.name] not in _CACHE]
    if todo:
        supply = WorkerSupply(grading.limits, hide=[str(config.REPO), os.getcwd()], warm=False)
        try:
            graded = grade(statements, todo, grading, release.kit_statements(grading), supply, parts=[part])
        finally:
            supply.close()
        for outcome in graded.outcomes:
            _CACHE[keys[outcome.name]] = outcome
    points = grading.parts[part].checks
    rows = []
    for c in chosen:
        outcome = _CACHE[keys[c.name]]
        rows.append((c.name, outcome.passed, points[c.name] if outcome.passed else 0, points[c.name],
                     outcome.feedback, c.hidden))
    score = round(sum(r[2] for r in rows), 6)
    return PartResult(part, grading.parts[part].title, score, grading.parts[part].points, not hidden, rows)


def _graded_statements(grading):
    """The statements to grade: the autograded notebook file, else this kernel's history."""
    notebook = Path.cwd() / grading.notebook
    if os.environ.get("NBGRADER_EXECUTION") == "autograde" and notebook.is_file():
        from autograder.pipeline.prepare import prepare  # make grade's steps; the fingerprint is unused here

        return prepare(Submission("autograde", notebook), grading, "").statements
    statements, _problems = extract(_executed_cells())
    return statements


def _executed_cells():
    """This kernel's input history, oldest first, as cells."""
    try:
        from IPython import get_ipython

        history = get_ipython().user_ns.get("In", [])
    except (ImportError, AttributeError):
        history = []
    return [{"index": i - 1, "source": src, "nbgrader": {}} for i, src in enumerate(history)
            if i > 0 and isinstance(src, str)]


@contextlib.contextmanager
def _stderr_to(stream):
    """Send Python- and C-level stderr (TensorFlow's log lines) to `stream` meanwhile."""
    saved_fd = None
    try:
        sys.stderr.flush()
        saved_fd = os.dup(2)
        os.dup2(1, 2)
    except (OSError, ValueError, io.UnsupportedOperation):
        saved_fd = None
    try:
        with contextlib.redirect_stderr(stream):
            yield
    finally:
        if saved_fd is not None:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
