"""What grading produces, as types every layer may import: a check's outcome and its status,
one submission's graded run, and the chart records behind the feedback page's plots.

A check outcome has one status (`Status`), a mistake id when a failed check recognised one
(autograder/mistakes.py, or a part's MISTAKES table), the feedback the student reads, its
seconds and a detail for the TA. Outputs read the status, never the feedback's words.

Plain Python only (no NumPy): the grader, the outputs and the integrations all import it.
"""
from dataclasses import dataclass, field
from enum import Enum

# The version of OUT/results/<id>.json's format (docs/design.md section 5). 1: before checks
# carried a "status" and records a "format_version"; 2: both; 3: "inputs" (what the graded inputs
# were drawn from, as fingerprints) in place of "seed", and "flags" for the TA.
RESULTS_FORMAT = 3


class Status(str, Enum):
    """How a check ended. The value is what results/<id>.json stores."""

    PASSED = "passed"
    FAILED = "failed"              # it ran, and the answer was wrong (an exception included)
    SKIPPED = "skipped"            # a precondition is missing: the stub is not defined, the file
                                   # could not be loaded or graded
    TIMED_OUT = "timed_out"        # a call into the worker did not finish in time
    CRASHED = "crashed"            # the worker died in the check
    NOT_RUN = "not_run"            # the grader chose not to run it: the part's time budget was used
                                   # up after timeouts, the part was stopped after two crashes, the
                                   # submission's total time was used up
    GRADER_ERROR = "grader_error"  # the grader failed, not the student

    @property
    def ran_to_the_end(self):
        """False when the check stopped early or never started (the notebook names these)."""
        return self not in (Status.SKIPPED, Status.NOT_RUN, Status.TIMED_OUT, Status.CRASHED)


# What the TA, not the student, should look at first (the class report's "Needs a TA's attention").
FOR_THE_TA = {Status.TIMED_OUT: "timed out", Status.CRASHED: "worker crashed", Status.GRADER_ERROR: "grader error"}

# The code of the sandbox note every submission gets when its worker ran without the allowlist
# root: {"kind": "sandbox", "code": PARTIAL_SANDBOX, "message": ...} in a record's errors.
PARTIAL_SANDBOX = "partial_sandbox"

# The kinds of a record's "flags": reasons for a TA to look that cost no points (like the similarity
# report). A check that fails on the submission's graded inputs but passes on the published ones
# (pipeline/grade.py), and a stub cell carrying a large literal table (pipeline/flags.py).
FLAG_PUBLISHED_ONLY = "published_inputs_only"
FLAG_LITERAL_BLOB = "literal_blob"


@dataclass
class Outcome:
    """One check's result for one submission."""

    part: str
    name: str
    status: Status
    feedback: str
    mistake: str = ""   # short id of the mistake, for the class report
    seconds: float = 0.0
    detail: str = ""    # for the TA only: what went wrong inside the grader

    @property
    def passed(self):
        return self.status is Status.PASSED


@dataclass
class Graded:
    """One submission's checks, as one grading process ran them."""

    outcomes: list          # [Outcome], in the checks' order
    errors: list            # [{"kind", "message"}] (+ "code" for the sandbox's notes)
    output: str = ""        # the start of what the student's code printed
    artifacts: dict = field(default_factory=dict)  # "probe.<part id>": a chart record (Chart as a dict)
    seconds: float = 0.0
    flags: list = field(default_factory=list)  # [{"kind", "check", "message"}]: for the TA, no points
    inputs: dict = field(default_factory=dict)  # Inputs.describe() of what this run drew from


@dataclass(frozen=True)
class Chart:
    """A plot of the student's numbers against the grader's, drawn by outputs/plots.py.

    kind: "log_lines" (one value per x, on a log scale; a None value is a gap) or "scatter"
    (points against the grader's value, with the line y = x); series: [{"label", "role",
    "values" (log_lines, one per x) or "points" ([x, y] pairs, scatter)}], role "expected" or
    "student" (log_lines) or "group" (scatter); values: the table under the plot,
    {"headers": [...], "rows": [[text, ...], ...]}."""

    kind: str
    title: str      # the plot's name, for a screen reader
    caption: str
    x_label: str
    y_label: str
    series: list
    values: dict
    x: list = field(default_factory=list)  # log_lines: the x positions, labelled as they are


def chart_number(value):
    """A plotted number for a chart's table: 3 significant digits with a typographic minus,
    "missing" where the plot has a gap."""
    if not isinstance(value, (int, float)) or value != value or value in (float("inf"), float("-inf")):
        return "missing" if value is None else str(value)
    return f"{value:.3g}".replace("-", "−")
