"""What every part's checks share: seeds, Hypothesis settings, ordered
comparisons with feedback that names the variable and both values, and
known-mistake matching.

Feedback follows a fixed order and stops at the first failure:
defined -> type -> shape -> dtype -> finite -> values.
"""
import copy
import functools
import hashlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis.errors import HypothesisException
from hypothesis.internal.conjecture import providers as _providers

from autograder import mistakes as M
from autograder.references import Memo
from autograder.references.recorded import NotRecorded
from autograder.sandbox.workers import StubMissing, StudentError, WorkerProblem
from autograder.checks import CheckFailed

# Tolerances, named so feedback and tests can quote them.
RTOL = 1e-6         # relative error allowed against an exact float64 reference
ATOL = 1e-9         # absolute floor, for entries that are (nearly) zero
FD_RTOL = 1e-5      # relative error allowed against central finite differences


@dataclass
class Context:
    """Per-check settings (the seed and what derives from it) and the grading process's caches,
    which the grader (autograder/pipeline/grader.py) holds and lends to every check."""

    seed: int
    part: str
    check: str
    max_examples: int = 12
    memo: Memo = field(default_factory=Memo)  # reference results, by the content of their inputs
    # (part, check, property number, seed, max_examples) -> the examples Hypothesis draws
    examples: dict = field(default_factory=dict)
    properties: int = 0  # run_property calls so far: each draws its own examples

    def derived_seed(self, tag=""):
        text = f"{self.seed}/{self.part}/{self.check}/{tag}".encode()
        return int.from_bytes(hashlib.sha256(text).digest()[:8], "big") >> 1

    def rng(self, tag=""):
        """A NumPy generator that depends only on the seed, the part, the check and `tag`."""
        return np.random.default_rng(self.derived_seed(tag))


# -- running properties with Hypothesis ---------------------------------------

def _seed_only_examples():
    """Make what Hypothesis draws depend on the seed and the strategy only.

    Hypothesis mixes constants it finds in the source of every "local" module
    loaded in the process into what it draws (and caches them in .hypothesis/).
    The modules loaded differ between make grade, pytest, a notebook kernel,
    nbgrader and Gradescope, and change when a module is imported late, so the
    examples, and the smallest failing input a student is shown, would too."""
    empty = _providers.Constants(integers=_providers.SortedSet(),
                                 floats=_providers.SortedSet(key=_providers.float_to_int),
                                 bytes=_providers.SortedSet(), strings=_providers.SortedSet())
    _providers._get_local_constants = lambda: empty


_seed_only_examples()


def run_property(ctx, strategy, test: Callable, describe: Callable = repr):
    """Run `test(example)` on examples from `strategy`; on failure, shrink and
    raise CheckFailed naming the smallest failing input.

    Hypothesis runs seeded from ctx, without an example database, so the same
    submission gets the same examples and the same verdict every time. A
    timeout or crash of the worker is not shrunk: it ends the property at once.

    Seeded so, Hypothesis draws the same examples for every submission that
    passes them, and drawing costs about 2 ms an example: as much as a check's
    calls into the worker. So the examples are drawn once per grading process
    (`_examples`, kept in ctx.examples) and replayed; only when one fails does Hypothesis run, from the
    start, to find and shrink the failure exactly as it would have anyway.
    """
    ctx.properties += 1
    for example in _examples(ctx, strategy):
        try:
            test(copy.deepcopy(example))  # a test that changed a shared example would change the next student's
        except (CheckFailed, StudentError) as error:
            _hypothesis(ctx, strategy, test, describe)  # finds the failure again, and shrinks it
            # Not found again (code that answers differently each call): the replayed failure stands.
            raise _with_example(error, describe(example)) from None


def _examples(ctx, strategy):
    key = (ctx.part, ctx.check, ctx.properties, ctx.derived_seed("hypothesis"), ctx.max_examples)
    if key not in ctx.examples:
        drawn = []
        _given(ctx, strategy, drawn.append)()  # handed out only as copies (run_property)
        ctx.examples[key] = drawn
    return ctx.examples[key]


def _given(ctx, strategy, test):
    """`test` as a Hypothesis property with the grader's settings, seeded from ctx."""
    @settings(max_examples=ctx.max_examples, database=None, deadline=None,
              derandomize=False, suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.generate, Phase.shrink],
              verbosity=Verbosity.quiet, print_blob=False, report_multiple_bugs=False)
    @seed(ctx.derived_seed("hypothesis"))
    @given(strategy)
    def prop(example):
        test(example)

    return prop


def _hypothesis(ctx, strategy, test, describe):
    failures = []  # (example, exception); the last one is the shrunk example
    problem = []

    def watched(example):
        if problem:
            raise problem[0]
        try:
            test(example)
        except NotRecorded:
            return  # the student kit's references answer the published inputs only: one the shrinker made is not judged
        except WorkerProblem as error:
            problem.append(error)
            raise
        except (CheckFailed, StudentError) as error:
            failures.append((example, error))
            raise

    try:
        _given(ctx, strategy, watched)()
    except WorkerProblem:
        raise problem[0] from None
    except StubMissing:
        raise
    except (CheckFailed, StudentError, HypothesisException, BaseExceptionGroup):
        if problem:
            raise problem[0] from None
        if not failures:
            raise
        example, error = failures[-1]
        raise _with_example(error, describe(example)) from None


def _with_example(error, example_text):
    if isinstance(error, StudentError) and error.is_a("NotImplementedError"):
        return error  # an unfinished stub: grade.py says so plainly, no input needed
    if isinstance(error, StudentError):
        return CheckFailed(f"Your code raised {error.type}: {error.message}\n"
                           f"Smallest input found that does this: {example_text}", M.RAISED)
    return CheckFailed(f"{error.feedback}\nSmallest input found: {example_text}", error.mistake)


def fixed_case(describe_text, test: Callable):
    """Run one fixed case, adding its description to any failure."""
    try:
        test()
    except CheckFailed as error:
        raise CheckFailed(f"{error.feedback}\nInput: {describe_text}", error.mistake) from None
    except StudentError as error:
        if error.is_a("NotImplementedError"):
            raise  # an unfinished stub: grade.py says so plainly
        raise CheckFailed(f"Your code raised {error.type}: {error.message}\nInput: {describe_text}",
                          M.RAISED) from None


# -- ordered comparisons ---------------------------------------------------------

def subject(name):
    """`name` as a sentence's subject: code in backticks (`dW1`, `self.cache['mu1']`), a plain
    phrase as words ("The output of batch_normalize"), never a phrase in code quotes."""
    if " " in name.strip():
        return name[:1].upper() + name[1:]
    return f"`{name}`"


def expect_dict(name, value, keys=None):
    """`value` must be a dict holding `keys`; returns it."""
    if type(value) is not dict:
        raise CheckFailed(f"{subject(name)} should be a dict, got {kind(value)}.", M.WRONG_TYPE)
    missing = [k for k in (keys or ()) if k not in value]
    if missing:
        raise CheckFailed(f"{subject(name)} is missing the key{'s' if len(missing) > 1 else ''} "
                          f"{', '.join(repr(k) for k in missing)}; it has {_keys(value)}.", M.MISSING_KEYS)
    return value


def expect_number(name, value, finite=False, nonfinite=None):
    """`value` must be a real number (Python or NumPy scalar, or a 0-d/1-element array); returns a float.

    finite: also refuse inf and NaN; nonfinite(value) -> (text, mistake id) or None names a
    known cause (a part's own knowledge, such as 0 / 0 for all-zero gradients)."""
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        value = value.reshape(())[()]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise CheckFailed(f"{subject(name)} should be a number, got {kind(value)}.", M.WRONG_TYPE)
    value = float(value)
    if finite and not np.isfinite(value):
        known = nonfinite(value) if nonfinite else None
        if known:
            raise CheckFailed(*known)
        raise CheckFailed(f"{subject(name)} is {value}; expected a finite number.", M.NOT_FINITE)
    return value


def expect_array_form(name, got, shape, *, shape_note="", known_shape=None, nonfinite=None, expected=None):
    """An array the student returned, checked in the fixed order: None -> type -> shape ->
    dtype (float64) -> finite. The values are the caller's (or expect_array's) to compare.

    shape_note: said after the expected shape ("(the shape of `W1`)"); known_shape(got) ->
    (hint, mistake id) or None names a part's known mistake behind a wrong shape, tried before
    the generic ones (transposed, keepdims dropped); nonfinite(got, index) -> (text, mistake id)
    or None does the same for an inf or NaN; expected: the reference, quoted at a bad entry."""
    if got is None:
        raise CheckFailed(f"{subject(name)} is None; expected an array of shape {shape}.", M.MISSING)
    if type(got) is not np.ndarray:
        raise CheckFailed(f"{subject(name)} should be a NumPy array of shape {shape}, got {kind(got)}.",
                          M.WRONG_TYPE)
    if got.shape != shape:
        text = f"{subject(name)} has shape {got.shape}, expected {shape}{shape_note}."
        known = known_shape(got) if known_shape else None
        if known is None and got.ndim == 2 and got.shape == shape[::-1]:
            known = (" It looks transposed.", M.TRANSPOSE)
        elif known is None and got.ndim == 1 and len(shape) == 2 and got.size == shape[0] * shape[1]:
            known = (" Keep the second axis (keepdims=True).", M.KEEPDIMS)
        raise CheckFailed(text + known[0], known[1]) if known else CheckFailed(text, M.WRONG_SHAPE)
    if got.dtype != np.float64:
        raise CheckFailed(f"{subject(name)} has dtype {got.dtype}, expected float64.", M.WRONG_DTYPE)
    bad = ~np.isfinite(got)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        known = nonfinite(got, index) if nonfinite else None
        if known:
            raise CheckFailed(*known)
        there = f" (expected {expected[index]:.6g} there)" if expected is not None else ""
        raise CheckFailed(f"{subject(name)} contains {got[index]} at index {index}; expected finite "
                          f"values{there}.", M.NOT_FINITE)
    return got


def within(got, expected, rtol, atol):
    """Elementwise: |got - expected| <= rtol * max(|got|, |expected|) + atol (symmetric, overflow-quiet)."""
    with np.errstate(all="ignore"):
        return np.abs(got - expected) <= rtol * np.maximum(np.abs(got), np.abs(expected)) + atol


def worst_entry(got, expected, ok, atol):
    """(index, relative error) of the largest mismatch among the entries `ok` marks False."""
    with np.errstate(all="ignore"):
        error = np.abs(got - expected) / np.maximum(np.maximum(np.abs(got), np.abs(expected)), atol)
    index = tuple(int(i) for i in np.unravel_index(np.argmax(np.where(ok, 0, error)), got.shape))
    return index, error[index]


def expect_array(name, got, expected, rtol=RTOL, atol=ATOL, mistakes=()):
    """Compare an array the student returned with the reference, in the fixed order.

    `mistakes` is a sequence of Candidate records tried when the values differ.
    """
    expect_array_form(name, got, expected.shape, expected=expected)
    close = within(got, expected, rtol, atol)
    if close.all():
        return
    index, error = worst_entry(got, expected, close, atol)
    text = (f"{subject(name)} differs from the expected value: at index {index} you have {got[index]:.6g}, "
            f"expected {expected[index]:.6g} (relative error {error:.2g}; "
            f"{int((~close).sum())} of {got.size} entries differ).")
    mistake = identify(got, mistakes)
    if mistake:
        raise CheckFailed(f"{text}\nLikely mistake: {mistake.hint}", mistake.name)
    raise CheckFailed(text, M.WRONG_VALUES)


# -- known mistakes ----------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """A wrong answer a known mistake (a part's MISTAKES entry) gives on this input, to name it in
    feedback when the student's answer is that one."""

    name: str    # short id, counted in the class report
    hint: str    # one sentence for the student
    value: object  # what that mistake produces (array or number) for this input


def replayed(reference, memo, *args):
    """reference(memo, *args) for a mistake's replay, or None where the student kit has no recorded
    answer (references/recorded.py): a hint it cannot check is a hint it does not give."""
    try:
        return reference(memo, *args)
    except NotRecorded:
        return None


def identify(got, mistakes, rtol=1e-6, atol=1e-9):
    """The first mistake whose wrong answer matches what the student returned."""
    for mistake in mistakes:
        wrong = mistake.value
        try:
            if np.shape(wrong) == np.shape(got) and np.allclose(got, wrong, rtol=rtol, atol=atol):
                return mistake
        except (TypeError, ValueError):
            continue
    return None


def kind(value):
    """How feedback names what a student returned: "an array of shape (2, 3)", "dict", ..."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return getattr(value, "type_name", type(value).__name__)


def quiet_overflow(function):
    """Run `function` with NumPy's floating-point warnings off: it does arithmetic on the
    student's values, which may be huge; a wrong answer is reported as such, not as a warning."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"):
            return function(*args, **kwargs)

    return wrapper


def _keys(mapping):
    keys = list(mapping)
    text = ", ".join(repr(k) for k in keys[:12])
    return text + (", ..." if len(keys) > 12 else "") if keys else "no keys"
