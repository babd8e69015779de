"""Every mistake id a failed check can carry, with what it means for a TA.

A failed check names the mistake it recognised (a short id, stored in
OUT/state/<id>.json and counted in report.html). The ids that any part can
produce are the named constants below; a part's known mistakes are the
entries of its references module's MISTAKES table (a `Mistakes` of `Mistake`
records: the hint a student reads, a one-line summary, and the small function
that replays the mistake where it can be replayed). This module and those
tables are the one catalogue; `describe` gives the class report one line for any of them.
tests/test_checks.py shows that every id the corpora produce is described
here or in a references module. A check that timed out, crashed, did not
run or met a grader error carries no mistake: that is its status
(autograder/outcomes.py).

Plain Python (no NumPy): every layer may import it.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable, Optional


# -- produced by any part's comparators (checks/common.py) ----------------------------------------
MISSING = "missing"            # None where an array or value was expected
MISSING_KEYS = "missing_keys"  # a dict without keys the contract names
EXTRA_KEYS = "extra_keys"      # a dict with keys the contract does not allow
WRONG_TYPE = "wrong_type"
WRONG_SHAPE = "wrong_shape"
TRANSPOSE = "transpose"        # the shape, transposed
KEEPDIMS = "keepdims"          # a (n,) array where (n, 1) was expected
WRONG_DTYPE = "wrong_dtype"
NOT_FINITE = "not_finite"
WRONG_VALUES = "wrong_values"  # values differ and no known mistake explains how

# -- produced by the grading step itself (pipeline/grade.py) --------------------------------------
RAISED = "raised"              # the stub raised an exception (NotImplementedError included)

GENERIC = {
    MISSING: "returned None",
    MISSING_KEYS: "a dict misses keys the contract names",
    EXTRA_KEYS: "a dict has keys the contract does not allow",
    WRONG_TYPE: "returned the wrong type",
    WRONG_SHAPE: "an array has the wrong shape",
    TRANSPOSE: "an array is transposed",
    KEEPDIMS: "an array lost its second axis (keepdims)",
    WRONG_DTYPE: "an array is not float64",
    NOT_FINITE: "inf or NaN in the result",
    WRONG_VALUES: "wrong values, no known pattern",
    RAISED: "the stub raised an exception",
}

def describe(mistake, known=None):
    """One line for the class report: the generic text, or a part's mistake's summary (known: {id:
    Mistake or hint} from the parts' MISTAKES tables), else the id itself."""
    if mistake in GENERIC:
        return GENERIC[mistake]
    entry = (known or {}).get(mistake)
    if isinstance(entry, Mistake):
        return entry.line
    return first_clause(entry) if entry else mistake.replace("_", " ")


def first_clause(hint):
    """The start of a hint, up to its first stop, at most 90 characters: a class report's line."""
    first = min((hint.find(stop) for stop in (": ", ". ", "; ") if stop in hint), default=len(hint))
    text = hint[:first].rstrip(".")
    return text if len(text) <= 90 else text[:89] + "…"


# -- a part's mistakes table -----------------------------------------------------------------------

@dataclass(frozen=True)
class Mistake:
    """One known mistake of a part: what a student reads, and how to replay it where it can be.

    wrong: a small function taking exactly the arguments of the reference it varies (the Grader's
    memo first) and returning what the mistake computes there, in that reference's shape, or None
    where the mistake cannot run on that input; None for a mistake the checks recognise from what
    changed or what was raised. It never shares code with the truth: an edit to a mistake must not
    be able to change what every student is graded against."""

    id: str
    hint: str                         # the sentence after "Likely mistake:" in the feedback
    wrong: Optional[Callable] = None
    summary: str = ""                 # the class report's line; default: the hint's first clause

    @property
    def line(self):
        return self.summary or first_clause(self.hint)


class Mistakes(Mapping):
    """A part's mistakes table, {id: Mistake} in the order candidates are tried (the first that
    fits is named). varies: the reference functions whose arguments the `wrong` functions take."""

    def __init__(self, *entries, varies=()):
        self._entries = {}
        for entry in entries:
            if entry.id in self._entries:
                raise ValueError(f"mistake {entry.id!r} is in the table twice")
            self._entries[entry.id] = entry
        self.varies = tuple(varies)

    @classmethod
    def of(cls, table):
        """A references module's MISTAKES, or an empty table for a part that declares none."""
        if table is None:
            return cls()
        if not isinstance(table, Mistakes):
            raise TypeError(f"MISTAKES must be a Mistakes table, not {type(table).__name__}")
        return table

    def __getitem__(self, key):
        return self._entries[key]

    def __iter__(self):
        return iter(self._entries)

    def __len__(self):
        return len(self._entries)

    def hint(self, key):
        return self._entries[key].hint

    def replayable(self):
        """The mistakes that can be replayed, in order."""
        return [entry for entry in self._entries.values() if entry.wrong is not None]
