"""Step 5 of the pipeline: turn check outcomes into the results record.

The record's shape is fixed (docs/design.md section 5, format version
outcomes.RESULTS_FORMAT); other tools read it:
{"submission", "score", "max_score", "parts": {part: {"title", "score",
"max_score", "checks": [{"name", "score", "max_score", "passed", "status",
"feedback"}]}}, "errors": [...], "inputs", "flags", "grader_version", "format_version"}.
Every registered check is listed, with 0 points when it did not run. "inputs" says what the
inputs were drawn from (pipeline/inputs.py: fingerprints, never the seed or the secret);
"flags" are for the TA (a check passing the published inputs only, a large literal table)
and cost no points: the pages students read show neither.
"""
from autograder import __version__
from autograder.outcomes import RESULTS_FORMAT, Status


def record(submission_id, outcomes, errors, checks, grading, inputs, flags=(), unrunnable=""):
    """The results record; inputs: Inputs.describe() of the submission; flags: for the TA;
    `unrunnable` explains why no check could run, if so."""
    by_key = {(o.part, o.name): o for o in outcomes}
    parts = {}
    for pid, part in grading.parts.items():
        rows = []
        for check in (c for c in checks if c.part == pid):
            outcome = by_key.get((pid, check.name))
            passed = bool(outcome and outcome.passed)
            points = part.checks[check.name]
            if outcome:
                status, feedback = outcome.status, outcome.feedback
            elif unrunnable:
                status, feedback = Status.SKIPPED, unrunnable  # the file could not be graded
            else:
                status, feedback = Status.NOT_RUN, "This check did not run."
            rows.append({"name": check.name, "score": points if passed else 0, "max_score": points,
                         "passed": passed, "status": Status(status).value, "feedback": feedback})
        parts[pid] = {"title": part.title, "score": _round(sum(r["score"] for r in rows)),
                      "max_score": part.points, "checks": rows}
    return {
        "submission": submission_id,
        "score": _round(sum(p["score"] for p in parts.values())),
        "max_score": grading.max_score,
        "parts": parts,
        "errors": list(errors),
        "inputs": dict(inputs),
        "flags": list(flags),
        "grader_version": __version__,
        "format_version": RESULTS_FORMAT,
    }


def mistakes(outcomes):
    """{check key: mistake id} of the failed checks, for the class report."""
    return {f"{o.part}.{o.name}": o.mistake for o in outcomes if not o.passed and o.mistake}


def _round(value):
    return round(float(value), 6)
