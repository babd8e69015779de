"""The checks, as small records, and the loader that gives a tool one whole part.

A check is a function `check(student, ctx)` that returns None when the stub
passes and raises `CheckFailed` with student-facing feedback when it does not;
`@check(...)` marks it. Points live in grading.toml. A part's checks are the
marked functions of its checks module, in definition order, and parts come in
the manifest's order (autograder/parts.py): the order feedback shows them in.

`load_parts()` gives, for each row of the manifest, everything the part's two
modules (checks/<module>.py and references/<module>.py) declare about it: its
checks, its mistakes table, how `make mutants` decides a survivor's equivalence,
its optional plot probe, the kit code its checks need in the worker, and the
mutation survivors it lets through on purpose. Tools iterate these; none imports
a part's module by name.
"""
import importlib
from dataclasses import dataclass
from typing import Callable, Optional

from autograder.mistakes import Mistakes
from autograder.parts import PARTS, GradedPart


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


def check(part, name, summary, hidden=False, contract=""):
    """Mark the decorated function as check `name` of `part`, grading the docstring sentence
    `contract`; the loader collects it from its module."""

    def mark(function):
        function.check = Check(part, name, summary, hidden, function, contract)
        return function

    return mark


@dataclass(frozen=True)
class Equivalence:
    """How `make mutants` tells whether a surviving mutant of a part's stub is equivalent to
    the reference (autograder/tools/mutants/equivalence.py)."""

    cases: Callable      # cases(rng, count) -> [(description, case)], edge cases first, then `count` random
    observe: Callable    # observe(student, case) -> plain data: what the stub returned and changed
    tolerance: tuple     # (rtol, atol, atol as a share of an array's largest entry)


@dataclass(frozen=True)
class LoadedPart:
    """One row of the manifest with what its modules declare."""

    row: GradedPart
    checks: tuple                     # Check records, in definition order
    mistakes: Mistakes                # the references module's MISTAKES table
    equivalence: Optional[Equivalence] = None   # the checks module's EQUIVALENCE
    probe: Optional[Callable] = None  # the checks module's PROBE: probe(student, memo) -> Chart or None
    kit_code: str = ""                # the checks module's KIT_CODE: source run in the worker's kit namespace
    survivors: tuple = ()             # the checks module's SURVIVORS: [{"line", "why"}] let through on purpose

    @property
    def id(self):
        return self.row.id

    @property
    def stub(self):
        return self.row.stub


def load_part(row):
    """The LoadedPart of manifest row `row`, importing its two modules."""
    module = importlib.import_module(f"{__name__}.{row.checks}")
    references = importlib.import_module(f"autograder.references.{row.checks}")
    return LoadedPart(row, _marked(module, row), Mistakes.of(getattr(references, "MISTAKES", None)),
                      getattr(module, "EQUIVALENCE", None), getattr(module, "PROBE", None),
                      getattr(module, "KIT_CODE", ""), tuple(getattr(module, "SURVIVORS", ())))


def load_parts(rows=PARTS):
    """Every part of the manifest, loaded, in lab order."""
    return tuple(load_part(row) for row in rows)


def withheld():
    """{part: names of its hidden checks} this kit leaves out: the student kit's (checks/withheld.py,
    which integrations/student_kit.py writes); {} in the staff kit, which has every check."""
    try:
        from autograder.checks.withheld import WITHHELD  # noqa: PLC0415 - the student kit only
    except ImportError:
        return {}
    return {part: tuple(names) for part, names in WITHHELD.items()}


def all_checks(parts=None):
    """Every check of every part (of `parts`, LoadedPart records, default all), in feedback order."""
    return [c for part in (parts if parts is not None else load_parts()) for c in part.checks]


def _marked(module, row):
    found = [value.check for value in vars(module).values()
             if isinstance(getattr(value, "check", None), Check) and value.check.function is value
             and getattr(value, "__module__", None) == module.__name__]
    names = [c.name for c in found]
    for c in found:
        if c.part != row.id:
            raise ValueError(f"{module.__name__}: check {c.name} is marked for {c.part}, but the manifest "
                             f"gives this module to {row.id}")
        if names.count(c.name) > 1:
            raise ValueError(f"check {c.part}.{c.name} is defined twice")
    return tuple(found)
