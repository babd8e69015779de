"""Part 5: clip_gradients(gradients, max_norm, clip_type) -> (clipped, stats).

Expected values come from tf.clip_by_global_norm and tf.clip_by_value
(references/part5_clipping.py, always through the Grader's memo) and from
properties any correct clipping has (norm bound, direction kept, unchanged below
the threshold, bounds in 'value' mode). Inputs never have an infinite norm,
where tf.clip_by_global_norm returns NaN.

Torch-style clipping (scale = max_norm / (norm + 1e-6)) is correct too: with
max_norm >= 0.5 and norms at least 1% away from max_norm, its scale differs
from the exact max_norm / norm by less than 2e-6 relative, under CLIP_RTOL.
The lab's own version (max_norm / (norm + 1e-8), and a value-mode ratio of
clipped / (original + 1e-8)) passes for the same reason.

Feedback order: returned tuple -> clipped dict keys -> per array type, shape,
dtype, finite -> values -> stats keys -> stats values. Every mistake named is an
entry of the references' MISTAKES table, which also gives its hint.
"""
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from autograder import mistakes as M
from autograder.references import part5_clipping as ref
from autograder.sandbox.workers import StudentError
from autograder.checks import CheckFailed, Equivalence, check, common
from autograder.checks.common import (expect_array_form, expect_number, fixed_case, kind, quiet_overflow, run_property,
                                      within, worst_entry)

CLIP_RTOL = 1e-5      # scaled values and norms after clipping (torch's 1e-6 epsilon fits, see above)
NORM_RTOL = 1e-6      # the original norm: nothing there depends on an epsilon
# clip_ratio: a guard like clipped / (original + 1e-6) is fair; the smallest global norm drawn
# is 0.05 (10% of the smallest max_norm), where that guard is off by 2e-5 relative.
RATIO_RTOL = 1e-4
ATOL = 1e-12          # absolute floor for entries that are 0
BOUND_SLACK = 1e-6    # relative slack on "global norm after <= max_norm"
MIN_MAX_NORM = 0.5    # smallest max_norm drawn (see the torch-style note above)
MIN_NORM_FACTOR = 0.1  # smallest global norm drawn, as a multiple of max_norm
ZERO_RATIOS = (0.0, 1.0)  # clip_ratio accepted when all gradients are 0 (0/0), see zero_gradients
STAT_KEYS = ("original_norm", "clipped_norm", "clip_ratio")


def global_norm(arrays):
    """sqrt of the sum of squares of every entry of every array (float64): for building inputs,
    measuring what a stub returned and quoting in feedback; never an expected value (the
    references give those)."""
    return float(np.sqrt(sum(float(np.sum(np.square(g))) for g in arrays.values())))


@dataclass(frozen=True)
class Clip:
    """One call: the gradients dict, max_norm and clip_type."""

    gradients: dict
    max_norm: float
    clip_type: str

    def describe(self):
        arrays = ", ".join(f"{k} {g.shape}" for k, g in self.gradients.items())
        return (f"gradients {{{arrays}}} with global norm {global_norm(self.gradients):.6g}, "
                f"max_norm={self.max_norm!r}, clip_type={self.clip_type!r}")


# -- inputs ----------------------------------------------------------------------

def layered(rng, dims, norm):
    """dW{l}, db{l} arrays for layer sizes `dims`, scaled to global norm `norm`."""
    gradients = {}
    for l in range(1, len(dims)):
        gradients[f"dW{l}"] = rng.standard_normal((dims[l], dims[l - 1]))
        gradients[f"db{l}"] = rng.standard_normal((dims[l], 1))
    scale = norm / global_norm(gradients)
    return {k: g * scale for k, g in gradients.items()}


@st.composite
def clip_inputs(draw):
    """Gradients of 1 to 3 layers, max_norm >= 0.5, a global norm between 0.1 and 20 times
    max_norm and at least 1% away from it."""
    dims = [draw(st.integers(1, 4)) for _ in range(draw(st.integers(1, 3)) + 1)]
    max_norm = draw(st.sampled_from([MIN_MAX_NORM, 1.0, 5.0])
                    | st.integers(int(MIN_MAX_NORM * 1000), 10_000).map(lambda n: n / 1000))
    ratio = draw(st.integers(int(MIN_NORM_FACTOR * 100), 99).map(lambda n: n / 100)
                 | st.integers(101, 2000).map(lambda n: n / 100))
    clip_type = draw(st.sampled_from(["norm", "value"]))
    data = draw(st.integers(0, 2 ** 32 - 1))
    return Clip(layered(np.random.default_rng(data), dims, ratio * max_norm), float(max_norm), clip_type)


# -- calling the student and checking the structure ----------------------------------

def clip(student, case):
    """{"result": what clip_gradients(gradients, max_norm, clip_type) returned, "input_after": the
    gradients dict after the call}. max_norm or clip_type None is left out of the call, so that
    the stub's own defaults apply."""
    out = student.call("clip_gradients", case.gradients,
                       *(a for a in (case.max_norm, case.clip_type) if a is not None))
    return {"result": out["result"], "input_after": out["args_after"][0]}


def run_clip(student, case):
    """(what clip_gradients returned, the input dict after the call)."""
    out = clip(student, case)
    return out["result"], out["input_after"]


def describe_need(case):
    if case.clip_type == "norm":
        return f"global norm {global_norm(case.gradients):.6g} > max_norm {case.max_norm:g}"
    return f"some entries lie outside [-{case.max_norm:g}, {case.max_norm:g}]"


def named(text, mistake):
    """A CheckFailed naming `mistake` (an id of the references' MISTAKES) with its hint."""
    return CheckFailed(f"{text}\nLikely mistake: {ref.MISTAKES.hint(mistake)}", mistake)


def unpack(result, case):
    """(clipped, stats) after checking the tuple and the clipped arrays' structure."""
    if result is None:
        raise named("`clip_gradients` returned None; it should return the tuple (clipped_gradients, stats).",
                    "returns_none")
    if type(result) is dict:
        raise named("`clip_gradients` returned a single dict; it should return the tuple "
                    "(clipped_gradients, stats).", "returns_only_dict")
    if type(result) not in (tuple, list) or len(result) != 2:
        size = f" of {len(result)} items" if type(result) in (tuple, list) else ""
        raise CheckFailed(f"`clip_gradients` returned {kind(result)}{size}; it should return the tuple "
                          "(clipped_gradients, stats).", M.WRONG_TYPE)
    clipped, stats = result
    if (type(clipped) is dict and type(stats) is dict and all(k in clipped for k in STAT_KEYS)
            and all(k in stats for k in case.gradients)):
        raise named("`clip_gradients` returned (stats, clipped_gradients).", "swapped_return")
    if type(clipped) is not dict:
        raise CheckFailed(f"The first item `clip_gradients` returns should be the dict of clipped "
                          f"gradients, got {kind(clipped)}.", M.WRONG_TYPE)
    missing = [k for k in case.gradients if k not in clipped]
    extra = [k for k in clipped if k not in case.gradients]
    if missing or extra:
        text = "The clipped dict should have exactly the input's keys"
        text += f"; it is missing {', '.join(map(repr, missing))}" if missing else ""
        text += f"; it has extra keys {', '.join(map(repr, extra[:6]))}" if extra else ""
        raise CheckFailed(f"{text}.", M.MISSING_KEYS if missing else M.EXTRA_KEYS)
    for key, sent in case.gradients.items():
        check_array(f"clipped['{key}']", clipped[key], sent.shape, case)
    return clipped, stats


def check_array(name, got, shape, case):
    expect_array_form(name, got, shape, shape_note=" (the input's shape)",
                      nonfinite=lambda wrong, index: zero_norm_nan(f"`{name}` contains {wrong[index]} at index "
                                                                   f"{index}", case))


def zero_norm_nan(what, case):
    """(text, mistake id) when a NaN or inf came from all-zero gradients (0 / 0), else None."""
    if global_norm(case.gradients) == 0:
        failure = named(f"{what} for all-zero gradients.", "zero_norm_nan")
        return failure.feedback, failure.mistake
    return None


def number(name, value, case):
    return expect_number(name, value, finite=True, nonfinite=lambda bad: zero_norm_nan(f"`{name}` is {bad}", case))


def read_stats(stats, case):
    """{stat: float} after checking the stats dict's keys and types."""
    if type(stats) is not dict:
        raise CheckFailed(f"The second item `clip_gradients` returns should be the stats dict, got "
                          f"{kind(stats)}.", M.WRONG_TYPE)
    missing = [k for k in STAT_KEYS if k not in stats]
    if missing:
        raise CheckFailed(f"`stats` is missing {', '.join(map(repr, missing))}; it has "
                          f"{', '.join(map(repr, list(stats)[:8])) or 'no keys'}.", M.MISSING_KEYS)
    return {k: number(f"stats['{k}']", stats[k], case) for k in STAT_KEYS}


# -- comparisons -----------------------------------------------------------------

def close(got, expected, rtol=CLIP_RTOL):
    return within(got, expected, rtol, ATOL)


def same_arrays(got, expected, rtol=CLIP_RTOL):
    return all(got[k].shape == expected[k].shape and bool(close(got[k], expected[k], rtol).all())
               for k in expected)


def truth(memo, case):
    """(clipped, stats) the contract asks for on `case`, and what the arrays are compared with."""
    clipped, stats = ref.clip_gradients(memo, case.gradients, case.max_norm, case.clip_type)
    return clipped, stats, ("tf.clip_by_global_norm" if case.clip_type == "norm" else "tf.clip_by_value")


def replays(memo, case):
    """[(mistake id, (clipped, stats))]: what each replayable mistake returns on `case`, in the
    table's order; mistakes that do not show on it are left out."""
    found = [(entry.id, entry.wrong(memo, case.gradients, case.max_norm, case.clip_type))
             for entry in ref.MISTAKES.replayable()]
    return [(mistake, result) for mistake, result in found if result is not None]


def compare_arrays(memo, clipped, case):
    """Every clipped array equals the reference's; on a mismatch, the worst entry and a named mistake."""
    expected, _, against = truth(memo, case)
    for key in case.gradients:
        ok = close(clipped[key], expected[key])
        if ok.all():
            continue
        got, exp = clipped[key], expected[key]
        index, error = worst_entry(got, exp, ok, ATOL)
        text = (f"Compared with {against}, `clipped['{key}']` is off: at index {index} you have "
                f"{got[index]:.6g}, expected {exp[index]:.6g} (the input was {case.gradients[key][index]:.6g}; "
                f"relative error {error:.2g}; {int((~ok).sum())} of {got.size} entries differ).")
        after = global_norm(clipped)
        text += f"\nThe global norm of your clipped gradients is {after:.6g}; expected {global_norm(expected):.6g}."
        raise_named(text, identify_arrays(memo, clipped, case))


def identify_arrays(memo, clipped, case):
    """(first mistake id, hint) of the known mistakes that give the student's arrays here.

    Small inputs can fit several mistakes at once; then the hint names each of them."""
    expected, _, _ = truth(memo, case)
    return first_of([mistake for mistake, (wrong, _) in replays(memo, case)
                     if not same_arrays(wrong, expected) and same_arrays(clipped, wrong)])


def first_of(fits):
    """(first mistake id, its hint) of the mistakes `fits`, in order, or (None, None). Small inputs
    can fit several mistakes at once; then the hint names each of them (three at most)."""
    if not fits:
        return None, None
    hints = [ref.MISTAKES.hint(m) for m in fits[:3]]
    if len(fits) == 1:
        return fits[0], hints[0]
    return fits[0], "on this input your result fits several mistakes: " + " Or: ".join(map(sentence, hints))


def sentence(hint):
    """A hint as a sentence of its own: capitalised, unless it starts with a name (clipped_norm)."""
    return hint if "_" in hint.split()[0] else hint[0].upper() + hint[1:]


def raise_named(text, named, default=M.WRONG_VALUES):
    mistake, hint = named
    if mistake:
        raise CheckFailed(f"{text}\nLikely mistake: {hint}", mistake)
    raise CheckFailed(text, default)


def compare_stats(memo, stats, clipped, case):
    """stats equal the global norms before and after, and their ratio.

    `stats`: the student's, read; `clipped`: the student's (valid) arrays."""
    _, right, _ = truth(memo, case)
    for key in STAT_KEYS:
        rtol = {"original_norm": NORM_RTOL, "clipped_norm": CLIP_RTOL, "clip_ratio": RATIO_RTOL}[key]
        if close(stats[key], right[key], rtol):
            continue
        meaning = {"original_norm": "the global norm of the input",
                   "clipped_norm": "the global norm of the clipped gradients",
                   "clip_ratio": "clipped_norm / original_norm"}[key]
        text = f"`stats['{key}']` is {stats[key]:.6g}, expected {right[key]:.6g} ({meaning})."
        raise_named(text, identify_stat(memo, stats, key, clipped, case))


def identify_stat(memo, stats, key, clipped, case):
    """(mistake id, hint) of the known mistakes that give stats[key] on this input, or (None, None).

    A mistake fits when its stats[key] is wrong and it gives the student's stats up to `key` (the
    stats before `key` were right). A mistake that also gives the student's arrays explains them
    best, so only when none does are the others named (a stub can clip right and measure its
    stats with a wrong norm)."""
    expected, right, _ = truth(memo, case)
    if not same_arrays(clipped, expected) and key == "clipped_norm" and close(stats[key], global_norm(clipped)):
        mistake, hint = identify_arrays(memo, clipped, case)
        return (mistake or M.WRONG_VALUES), ("this is the norm of your clipped arrays, which are wrong"
                                             + (f": {hint}" if hint else " (see the clipping checks)."))
    compared = STAT_KEYS[:STAT_KEYS.index(key) + 1]
    fits = [(same_arrays(clipped, wrong), mistake) for mistake, (wrong, wrong_stats) in replays(memo, case)
            if not close(wrong_stats[key], right[key]) and all(close(stats[k], wrong_stats[k]) for k in compared)]
    return first_of([mistake for consistent, mistake in fits if consistent]
                    or [mistake for _, mistake in fits])


# -- properties (Hypothesis) ---------------------------------------------------------

@quiet_overflow
def check_properties(student, memo, case):
    result, _ = run_clip(student, case)
    clipped, stats = unpack(result, case)

    def fail(text):
        raise_named(text, identify_arrays(memo, clipped, case))

    norm, after = global_norm(case.gradients), global_norm(clipped)
    if case.clip_type == "norm":
        if after > case.max_norm * (1 + BOUND_SLACK):
            fail(f"After 'norm' clipping the global norm is {after:.6g}, above max_norm={case.max_norm!r}.")
        flat_g = np.concatenate([g.ravel() for g in case.gradients.values()])
        flat_c = np.concatenate([clipped[k].ravel() for k in case.gradients])
        c = float(flat_c @ flat_g) / float(flat_g @ flat_g)
        if not c > 0 or not close(flat_c, c * flat_g).all():
            fail("'norm' clipping changed the gradients' direction: the clipped arrays are not "
                 "all the input times one positive factor.")
        if norm <= case.max_norm and not same_arrays(clipped, case.gradients):
            fail(f"The global norm {norm:.6g} is below max_norm={case.max_norm!r}, so the gradients "
                 "should come back unchanged; yours differ.")
    else:
        worst = max(float(np.max(np.abs(clipped[k]))) for k in clipped)
        if worst > case.max_norm * (1 + 1e-12):
            fail(f"After 'value' clipping an entry has magnitude {worst:.6g}, above max_norm={case.max_norm!r}.")
        for key, g in case.gradients.items():
            inside = np.abs(g) <= case.max_norm
            if not close(clipped[key][inside], g[inside]).all():
                fail(f"'value' clipping changed entries of `{key}` that were already inside "
                     f"[-{case.max_norm!r}, {case.max_norm!r}].")
    compare_arrays(memo, clipped, case)
    compare_stats(memo, read_stats(stats, case), clipped, case)


# -- the checks ------------------------------------------------------------------

@check("part5", "norm_clipping",
       "clip_type='norm' returns (clipped, stats) with the arrays scaled by max_norm / global norm "
       "when the global norm exceeds max_norm and unchanged otherwise, as tf.clip_by_global_norm does.",
       contract=('if norm > max_norm, multiply every array by max_norm / norm (the direction is kept), '
                'otherwise return the values unchanged.'))
def norm_clipping(student, ctx):
    for case in norm_cases(ctx):
        fixed_case(case.describe(), lambda: check_arrays_case(student, ctx.memo, case))
    # The defaults are part of the contract: clip_gradients(gradients) clips to a global norm of 5.
    case = Clip(layered(ctx.rng("defaults"), (3, 2, 1), 7.5), 5.0, "norm")
    fixed_case(f"{case.describe()}, called as clip_gradients(gradients) (the defaults)",
               lambda: check_arrays_case(student, ctx.memo, case, defaults=True))


def norm_cases(ctx):
    """The Clip cases norm_clipping grades (ctx: its Context): norms above and below max_norm."""
    rng = ctx.rng("norm")
    return [Clip(layered(rng, dims, norm), max_norm, "norm")
            for dims, norm, max_norm in (((3, 4, 1), 12.0, 2.0), ((2, 3, 2, 1), 0.7, 1.0), ((4, 2, 1), 2.5, 0.5))]


@quiet_overflow
def check_arrays_case(student, memo, case, defaults=False):
    if defaults:  # None leaves max_norm and clip_type out of the call
        result = clip(student, Clip(case.gradients, None, None))["result"]
    else:
        result, _ = run_clip(student, case)
    clipped, _ = unpack(result, case)
    compare_arrays(memo, clipped, case)


@check("part5", "value_clipping",
       "clip_type='value' clips every element to [-max_norm, max_norm], as tf.clip_by_value does.",
       contract="'value': clip each element to [-max_norm, max_norm].")
def value_clipping(student, ctx):
    for case in value_cases(ctx):
        fixed_case(case.describe(), lambda: check_value_case(student, ctx.memo, case))


def value_cases(ctx):
    """The Clip cases value_clipping grades (ctx: its Context)."""
    rng = ctx.rng("value")
    return [Clip(layered(rng, dims, norm), max_norm, "value")
            for dims, norm, max_norm in (((3, 4, 1), 6.0, 1.0), ((2, 3, 2), 0.8, 2.0))]


def check_value_case(student, memo, case):
    try:
        check_arrays_case(student, memo, case)
    except StudentError as error:
        if error.is_a("ValueError"):
            raise named(f"Your code raised {error.type}: {error.message}", "rejects_value_mode") from None
        raise


@check("part5", "clip_statistics",
       "stats holds original_norm and clipped_norm (the global norms before and after clipping) "
       "and clip_ratio = clipped_norm / original_norm, in both modes.",
       contract='In both modes, stats holds the global norms before and after clipping and their ratio.')
def clip_statistics(student, ctx):
    for case in stats_cases(ctx):
        fixed_case(case.describe(), lambda: check_stats_case(student, ctx.memo, case))


def stats_cases(ctx):
    """The Clip cases clip_statistics grades (ctx: its Context), in both modes. No max_norm of 1:
    there a norm and its square coincide, and mistakes could not be told apart. (In the first
    case the clipped norm's square, 9, is the norm before clipping: feedback names both.)"""
    rng = ctx.rng("stats")
    return [Clip(layered(rng, dims, norm), max_norm, clip_type)
            for dims, norm, max_norm, clip_type in (((3, 4, 1), 9.0, 3.0, "norm"), ((2, 3, 1), 0.6, 1.5, "norm"),
                                                    ((3, 3, 2), 5.0, 0.5, "value"))]


@quiet_overflow
def check_stats_case(student, memo, case):
    result, _ = run_clip(student, case)
    clipped, stats = unpack(result, case)
    compare_stats(memo, read_stats(stats, case), clipped, case)


@check("part5", "clipping_properties",
       "For gradients Hypothesis draws (1 to 3 layers, max_norm >= 0.5, norms below and above it, both "
       "modes): norm bound, direction kept, unchanged below the threshold, 'value' bounds, equality "
       "with TensorFlow's clipping, and the stats.", hidden=True,
       contract="Equivalent to tf.clip_by_global_norm ('norm') and tf.clip_by_value ('value').")
def clipping_properties(student, ctx):
    # Every regime once for sure (clipped, left alone, value mode), whatever the examples drawn: a
    # mistake in the clipping factor shows only when clipping happens, and a grade must not hang on
    # whether the draw clipped.
    rng = ctx.rng("regimes")
    for dims, ratio, max_norm, clip_type in (((3, 4, 2), 4.0, 2.0, "norm"), ((2, 3, 1), 0.5, 2.0, "norm"),
                                             ((2, 3, 1), 1.6, 0.5, "norm"),  # clipped, a norm below 1
                                             ((3, 2, 1), 3.0, 1.0, "value")):
        case = Clip(layered(rng, dims, ratio * max_norm), max_norm, clip_type)
        fixed_case(case.describe(), lambda: check_properties(student, ctx.memo, case))
    run_property(ctx, clip_inputs(), lambda case: check_properties(student, ctx.memo, case),
                 describe=lambda case: case.describe())


@check("part5", "input_not_modified",
       "clip_gradients returns new arrays and leaves the dict it was given unchanged.", hidden=True,
       contract='Never modifies `gradients` or its arrays: it returns a new dict of new arrays.')
def input_not_modified(student, ctx):
    rng = ctx.rng("input")
    for dims, norm, max_norm, clip_type in (((3, 4, 1), 10.0, 2.0, "norm"), ((2, 3, 1), 6.0, 1.0, "value")):
        # Positive entries: a norm computed wrongly (a sum instead of a sum of squares, say) still
        # calls for clipping here, so this check grades the input alone, not the norm's formula.
        case = Clip({key: np.abs(g) for key, g in layered(rng, dims, norm).items()}, max_norm, clip_type)
        fixed_case(case.describe(), lambda: check_input_case(student, ctx.memo, case))


@quiet_overflow
def check_input_case(student, memo, case):
    result, after = run_clip(student, case)
    if type(after) is not dict or list(after) != list(case.gradients):
        raise named("clip_gradients changed the keys of the dict it was given; it must leave its input alone "
                    "and return a new dict.", "modifies_input")
    for key, sent in case.gradients.items():
        got = after[key]
        if type(got) is np.ndarray and got.shape == sent.shape and np.array_equal(got, sent):
            continue
        text = f"clip_gradients changed its input `gradients['{key}']`"
        if type(got) is np.ndarray and got.shape == sent.shape:
            index = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(got - sent)), sent.shape))
            text += f": at index {index} it was {sent[index]:.6g}, after the call it is {got[index]:.6g}"
        raise named(f"{text}.", "modifies_input")
    # Leaving the input alone earns the point only from a stub that clips: one that returns its
    # input untouched does not get it for free. Any clipping counts here (per-array clipping
    # too, which modifies nothing): whether it is the right clipping is the other checks' job.
    clipped, _ = unpack(result, case)
    reference, _, _ = truth(memo, case)
    must_change = [key for key, sent in case.gradients.items() if not np.array_equal(reference[key], sent)]
    if must_change and all(np.array_equal(clipped[key], case.gradients[key]) for key in must_change):
        raise named(f"clip_gradients returned every array unchanged, but clipping must change "
                    f"{', '.join(f'`{k}`' for k in must_change)} here ({describe_need(case)}). "
                    "This check counts only when clip_gradients clips and leaves its input alone.", "no_clipping")


@check("part5", "zero_gradients",
       "All-zero gradients come back as zeros with finite stats (norms 0, clip_ratio 0 or 1), never NaN.",
       hidden=True,
       contract='Never produces NaN or inf, all-zero gradients included.')
def zero_gradients(student, ctx):
    zeros = {"dW1": np.zeros((2, 3)), "db1": np.zeros((2, 1)), "dW2": np.zeros((1, 2)), "db2": np.zeros((1, 1))}
    for clip_type in ("norm", "value"):
        case = Clip(zeros, 1.0, clip_type)
        fixed_case(case.describe(), lambda: check_zero_case(student, case))


@quiet_overflow
def check_zero_case(student, case):
    """Zeros in, zeros out. clip_ratio is 0/0 here: the reference returns 1.0 (nothing was
    scaled); a guard like `after / before if before > 0 else 0.0`, or the lab's own
    `after / (before + 1e-8)`, gives 0.0. Both are fair readings; NaN or inf is not."""
    result, _ = run_clip(student, case)
    clipped, stats = unpack(result, case)
    for key, got in clipped.items():
        if np.any(got != 0):
            raise CheckFailed(f"`clipped['{key}']` should be all zeros for all-zero gradients; it has "
                              f"{got[got != 0][0]:.6g}.", M.WRONG_VALUES)
    values = read_stats(stats, case)
    for key in ("original_norm", "clipped_norm"):
        if values[key] != 0:
            raise CheckFailed(f"`stats['{key}']` is {values[key]:.6g} for all-zero gradients; expected 0.",
                              M.WRONG_VALUES)
    if values["clip_ratio"] not in ZERO_RATIOS:
        raise CheckFailed(f"`stats['clip_ratio']` is {values['clip_ratio']:.6g} for all-zero gradients; "
                          "expected 1.0 (nothing was scaled) or 0.0.", M.WRONG_VALUES)


@check("part5", "unknown_clip_type",
       "A clip_type other than 'norm' or 'value' raises ValueError.", hidden=True,
       contract='Raises ValueError for any other clip_type.')
def unknown_clip_type(student, ctx):
    gradients = layered(ctx.rng("unknown"), (3, 2, 1), 3.0)
    for clip_type in ("l1", "global"):
        case = Clip(gradients, 1.0, clip_type)
        fixed_case(case.describe(), lambda: check_unknown_case(student, case))


def check_unknown_case(student, case):
    try:
        run_clip(student, case)
    except StudentError as error:
        if error.is_a("ValueError"):
            return
        if error.is_a("NotImplementedError"):
            raise  # an unfinished stub: grade.py says so
        raise named(f"For clip_type={case.clip_type!r} your code raised {error.type}: {error.message}",
                    "wrong_exception") from None
    raise named(f"For clip_type={case.clip_type!r} clip_gradients returned normally; it should raise ValueError.",
                "no_value_error")


# -- for make mutants: is a surviving mutant equivalent to the reference? -------------------------

def equivalence_cases(rng, count):
    """[(description, Clip)]: edge cases first (zero gradients, one array, square arrays, a norm
    below and just above max_norm, unknown clip types, the defaults), then `count` random ones."""
    def gradients(dims, norm):
        g = {}
        for l in range(1, len(dims)):
            g[f"dW{l}"] = rng.standard_normal((dims[l], dims[l - 1]))
            g[f"db{l}"] = rng.standard_normal((dims[l], 1))
        total = np.sqrt(sum(np.sum(a ** 2) for a in g.values()))
        return {k: a * (norm / total) for k, a in g.items()}

    specs = [("zero gradients", {"dW1": np.zeros((2, 2)), "db1": np.zeros((2, 1))}, 1.0, "norm"),
             ("zero gradients", {"dW1": np.zeros((2, 2)), "db1": np.zeros((2, 1))}, 1.0, "value"),
             ("one array", {"dW1": np.array([[3.0, -4.0]])}, 1.0, "norm"),
             ("square arrays", gradients((3, 3, 3), 10.0), 5.0, "norm"),
             ("norm below max_norm", gradients((2, 3), 2.0), 5.0, "norm"),
             ("square arrays", gradients((3, 3, 3), 10.0), 0.5, "value"),
             ("unknown clip_type", gradients((2, 2), 3.0), 1.0, "l2"),
             ("unknown clip_type", gradients((2, 2), 3.0), 1.0, "NORM"),
             ("the defaults", gradients((3, 2, 1), 7.5), None, None),
             ("the defaults", gradients((3, 2, 1), 4.0), None, None),
             ("norm just above max_norm", gradients((2, 2), 1.001), 1.0, "norm")]
    for _ in range(count):
        dims = tuple(int(n) for n in rng.integers(1, 5, size=int(rng.integers(2, 4))))
        max_norm = float(rng.choice([0.5, 1.0, 5.0, float(np.round(rng.uniform(0.1, 10), 3))]))
        norm = max_norm * float(rng.choice([0.3, 0.9, 1.5, 20.0]))
        specs.append(("random", gradients(dims, norm), max_norm, str(rng.choice(["norm", "value"]))))
    cases = []
    for label, g, max_norm, clip_type in specs:
        shapes = ", ".join(f"{k} {a.shape}" for k, a in g.items())
        cases.append((f"{label}: gradients {{{shapes}}}, max_norm={max_norm}, clip_type={clip_type!r}",
                      Clip(g, max_norm, clip_type)))
    return cases


# The grader's tolerances: its clipping rtol, and the comparators' absolute floor.
EQUIVALENCE = Equivalence(equivalence_cases, clip, (CLIP_RTOL, common.ATOL, 0.0))

# Survivors of `make mutants` let through on purpose: a survivor is explained when a line its
# diff adds to the stub (stripped) is `line`; it still counts against the kill rate.
SURVIVORS = (
    {"line": "clip_ratio = clipped_norm / original_norm if original_norm > 0 else 0.0",
     "why": "When every gradient is 0, clip_ratio is 0/0: the contract does not say which number it is, so "
            "zero_gradients accepts 0 or 1 (checks/part5_clipping.py, ZERO_RATIOS). Grading one of them "
            "would fail correct code written the other way."},
)
