"""The notebook's test cells: `check_part("part2")` grades that part's stub
with the same checks, the same isolated worker and the same points as
`make grade`, and shows feedback under the cell: as the cell's last line it returns a
PartResult, whose output is the feedback table (text/html) with the score alone as its
text/plain. So the score shows once. The released cell has only the public call; the
source notebook's version adds `check_part(part, hidden=True)` as its last line (a hidden
test) for `nbgrader validate`.

The code graded is what this kernel has executed (IPython's input history), taken
through the same extraction as `make grade` takes a notebook file. A grade never comes
from here: under `nbgrader autograde` the test cells are not run in a kernel at all, and
their points come from grading the submitted file outside it
(autograder/integrations/nbgrader.py, GradeFromFile). If a kernel does run a test cell
with NBGRADER_EXECUTION set to "autograde", the notebook file in the working directory is
graded instead of the history, through the very steps `make grade` uses. Nothing here
writes to stderr: nbgrader gives 0 points to a test cell with any stderr output.

Each call grades with a Grader of its own (not warm: its one or two workers start when
needed; no plots), so nothing is kept between calls: a cell run again is graded again.
"""
import contextlib
import io
import os
import sys
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from autograder import config
from autograder.checks import withheld
from autograder.outcomes import Status
from autograder.pipeline.extract import extract
from autograder.pipeline.grader import Grader
from autograder.pipeline.load import Submission


# Inline styles only: JupyterLab, Notebook 7 and VS Code style output HTML with their own CSS
# (right-aligned table cells, `pre` that breaks words anywhere), and an inline style is the one
# thing no host stylesheet overrides. overflow-wrap: anywhere breaks a token only when it cannot
# fit on a line by itself, so numbers stay whole; word-break: break-all would split them.
_TEXT = "text-align:left;word-break:normal;overflow-wrap:anywhere;"
_BOX = f"{_TEXT}max-width:100%;box-sizing:border-box;font-family:system-ui,sans-serif;line-height:1.4"
_CELL = f"{_TEXT}vertical-align:top;padding:2px 8px 2px 0;border:none;white-space:normal"
_PRE = (f"{_TEXT}white-space:pre-wrap;margin:2px 0 8px;padding:6px 8px;background:rgba(127,127,127,.08);"
        "border:none;border-radius:4px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
        "font-size:0.92em;overflow-x:visible")


@dataclass(frozen=True)
class Row:
    """One check of a PartResult."""

    name: str
    status: Status
    earned: float     # points earned
    points: float     # points the check is worth
    feedback: str
    hidden: bool

    @property
    def passed(self):
        return self.status is Status.PASSED

    @classmethod
    def of(cls, check, hidden):
        """The row of a results record's check ({"name", "score", "max_score", "status", ...})."""
        return cls(check["name"], Status(check["status"]), check["score"], check["max_score"],
                   str(check["feedback"]), hidden)


@dataclass
class PartResult:
    """One part's feedback. In a notebook its output is the feedback table (text/html) and,
    as text/plain, the score alone: nbgrader reads a test cell's score from that text, and a
    front-end shows the table, so the score appears once, in the table's header."""

    part: str
    title: str
    score: float
    max_score: float
    public_only: bool
    rows: list  # [Row]
    skipped: list = field(default_factory=list)  # names of checks that did not run to the end

    def header(self):
        """The header, e.g. "public checks: 5/5 passed (5 of 10 points); 5 more points from hidden
        checks at grading": what passed, the score, and what the hidden checks add."""
        passed = sum(1 for row in self.rows if row.passed)
        which = "public checks" if self.public_only else "all checks"
        text = f"{which}: {passed}/{len(self.rows)} passed ({self.score:g} of {self.max_score:g} points)"
        rest = self.max_score - sum(row.points for row in self.rows)
        if self.public_only and rest > 0:
            text += f"; {rest:g} more points from hidden checks at grading"
        return text

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self._repr_html_(), "text/plain": f"{self.score:g}"}

    def _repr_html_(self):
        rows = []
        for row in self.rows:
            colour = "#1a7f37" if row.passed else "#cf222e"
            rows.append(f"<tr><td style='{_CELL};color:{colour};font-weight:600'>"
                        f"{'pass' if row.passed else 'fail'}</td>"
                        f"<td style='{_CELL};font-family:ui-monospace,monospace'>{_breakable(row.name)}</td>"
                        f"<td style='{_CELL};white-space:nowrap'>{row.earned:g} / {row.points:g}</td></tr>")
            if not row.passed:
                rows.append(f"<tr><td colspan='3' style='{_CELL}'><pre style='{_PRE}'>{escape(row.feedback)}</pre>"
                            "</td></tr>")
        head = "".join(f"<th style='{_CELL};font-weight:600'>{h}</th>" for h in ("result", "check", "points"))
        return (f"<div class='gradlab-feedback' style='{_BOX}'>"
                f"<p style='{_TEXT};margin:0 0 6px'><b>{escape(self.title)}</b> &mdash; {escape(self.header())}</p>"
                f"<table style='{_TEXT};border-collapse:collapse;margin:0;table-layout:auto;width:auto;"
                f"max-width:100%'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
                f"<p style='{_TEXT};margin:6px 0 0'>{escape(self._footer())}</p></div>")

    def __str__(self):
        lines = [f"{self.title} - {self.header()}"]
        for row in self.rows:
            lines.append(f"  [{'pass' if row.passed else 'FAIL'}] {row.name} ({row.earned:g}/{row.points:g})")
            if not row.passed:
                lines.extend("      " + line for line in row.feedback.splitlines())
        lines.append(self._footer())
        return "\n".join(lines)

    def _footer(self):
        which = "public checks" if self.public_only else "checks"
        if self.skipped:
            text = f"Not run to the end: {', '.join(self.skipped)} (see their feedback above)."
        else:
            text = f"All {len(self.rows)} {which} of this part ran."
        if self.public_only:
            text += (" Hidden checks run when your notebook is graded; they test the same contract "
                     "(the docstring) on other inputs.")
        text += (" At grading every check runs on inputs drawn for your submission, not these: code that "
                 "computes the answers passes both.")
        return text


def _breakable(name):
    """A check's name that a narrow screen wraps after an underscore, not mid-word."""
    return escape(name).replace("_", "_<wbr>")


def check_part(part, hidden=False, grading_path=config.DEFAULT_PATH):
    """Grade `part` (e.g. "part2") of this notebook and return the result.

    hidden=False runs the public checks; hidden=True (the autograder's version of
    the cell) runs all of them in the staff kit; the student kit has none to run. Either
    way the inputs are the published ones, the same for everyone: grading draws its own
    for each submission from the course's secret (pipeline/inputs.py). The result is what a
    test cell shows: as its last line the cell displays the feedback table, and nbgrader
    reads the score from it."""
    stdout = sys.stdout
    with _stderr_to(stdout), Grader.load(grading_path, warm=False, plots=False) as grader:
        return _grade_part(grader, part, hidden)


def _grade_part(grader, part, hidden):
    grading = grader.settings
    if part not in grading.parts:
        raise ValueError(f"unknown part {part!r}; grading.toml has {', '.join(grading.parts)}")
    chosen = [c for c in grader.checks if c.part == part and (hidden or not c.hidden)]
    missing = None if _autograding(grading) else _missing_text(grading, part)
    graded = grader.grade(_graded_statements(grader), parts=[part], missing_text=missing, hidden=hidden)
    outcomes = {o.name: o for o in graded.outcomes}
    points = grading.parts[part].checks
    rows = []
    for c in chosen:
        outcome = outcomes[c.name]
        rows.append(Row(c.name, outcome.status, points[c.name] if outcome.passed else 0, points[c.name],
                        outcome.feedback, c.hidden))
    skipped = [row.name for row in rows if not row.status.ran_to_the_end]
    score = round(sum(row.earned for row in rows), 6)
    # The student kit holds no hidden check (checks/withheld.py): hidden=True there is still public only.
    public_only = not hidden or part in withheld()
    return PartResult(part, grading.parts[part].title, score, grading.parts[part].points, public_only, rows,
                      skipped)


def _missing_text(grading, part):
    """What to do when this kernel has not defined the part's stub: most often its cell exists
    but has not run since the kernel started (or restarted)."""
    where = grading.parts[part].title.split(":")[0]  # "Part 2"

    def text(stub):
        if _notebook_defines(grading, stub) is False:
            return (f"`{stub}` is not defined in your notebook, so this check could not run: "
                    f"its cell in {where} seems to be missing.")
        return (f"`{stub}` is not defined in this kernel yet (a restarted kernel forgets every cell run "
                f"before): run the cell that defines `{stub}` ({where}) first, then this cell again.")
    return text


def _notebook_defines(grading, stub):
    """True/False: the notebook file next to this kernel defines `stub`; None: no such file."""
    notebook = Path.cwd() / grading.notebook
    try:
        import nbformat

        cells = nbformat.read(notebook, as_version=4).cells
    except Exception:  # no notebook here, or not readable: nothing to tell
        return None
    return any(c.cell_type == "code" and f"def {stub}(" in c.source for c in cells)


def _graded_statements(grader):
    """The statements to grade: the autograded notebook file, else this kernel's history."""
    if _autograding(grader.settings):
        from autograder.pipeline.prepare import prepare  # make grade's steps; the fingerprint is unused here

        return prepare(Submission("autograde", Path.cwd() / grader.settings.notebook), grader).statements
    statements, _problems = extract(_executed_cells())
    return statements


def _autograding(grading):
    """True under `nbgrader autograde`, where the notebook file, not this kernel, is graded."""
    return os.environ.get("NBGRADER_EXECUTION") == "autograde" and (Path.cwd() / grading.notebook).is_file()


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
