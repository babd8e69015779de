"""The registry of checks: small records, one module per graded part.

A check is a function `check(student, ctx)` that returns None when the stub
passes and raises `CheckFailed` with student-facing feedback when it does not.
Points live in grading.toml; scoring and reporting iterate over this list in
registration order, which is the order feedback is shown in.
"""
import importlib
from dataclasses import dataclass
from typing import Callable, Optional

from autograder.parts import PARTS

# Order matters: parts are shown in lab order, checks in the order they register.
PART_MODULES = tuple(part.checks for part in PARTS)

# The stub each part grades.
PART_STUBS = {part.id: part.stub for part in PARTS}


@dataclass(frozen=True)
class Check:
    part: str
    name: str
    summary: str  # what is checked, one sentence for the student
    hidden: bool
    function: Callable  # function(student: sandbox.student.Student, ctx: checks.common.Context) -> None
    # The sentence of the stub's docstring this check grades, word for word (whitespace aside):
    # tests/test_student_loop.py finds it in the released docstring, so no check grades an unstated rule.
    contract: str = ""


class CheckFailed(Exception):
    """The stub gave a wrong answer; `feedback` says what, where and probably why."""

    def __init__(self, feedback, mistake: Optional[str] = None):
        super().__init__(feedback)
        self.feedback = feedback
        self.mistake = mistake  # short id of a known mistake pattern, for the class report


REGISTRY = []


def check(part, name, summary, hidden=False, contract=""):
    """Register the decorated function as check `name` of `part`, grading the docstring
    sentence `contract`."""

    def register(function):
        if any(c.part == part and c.name == name for c in REGISTRY):
            raise ValueError(f"check {part}.{name} registered twice")
        REGISTRY.append(Check(part, name, summary, hidden, function, contract))
        return function

    return register


def all_checks():
    """Every registered check, importing the part modules on first use."""
    for module in PART_MODULES:
        importlib.import_module(f"{__name__}.{module}")
    return list(REGISTRY)
