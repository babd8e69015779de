"""Part 5 (clip_gradients): the TensorFlow references agree with the formulas,
correct variants (torch-style epsilon, the lab's own code) get full marks, and
each mutant loses points in Part 5 only, with its mistake named when its header
says it should be. Every mistake the checks name is in the references' table, and
each one replayed differs from the truth on the public checks' inputs."""
import ast
import inspect

import numpy as np
import pytest

from autograder import mistakes
from autograder.checks import common, part5_clipping as checks
from autograder.references import part5_clipping as ref
from autograder.references import Memo
from harness import CORPORA, REFERENCE, graded

MEMO = Memo()  # the references' cache, as a grading process's Grader holds one

PART = "part5"


def gradients(norm, dims=(3, 4, 2), seed=0):
    return checks.layered(np.random.default_rng(seed), dims, norm)


# -- the references agree ------------------------------------------------------

@pytest.mark.parametrize("norm, max_norm", [(12.0, 5.0), (0.7, 1.0), (2.5, 0.5)])
def test_clip_by_global_norm_is_the_formula(norm, max_norm):
    g = gradients(norm)
    clipped, reported = ref.clip_by_global_norm(MEMO, g, max_norm)
    assert reported == pytest.approx(norm, rel=1e-12)
    scale = min(1.0, max_norm / norm)
    for key in g:
        np.testing.assert_allclose(clipped[key], g[key] * scale, rtol=1e-12)
    assert checks.global_norm(clipped) == pytest.approx(min(norm, max_norm), rel=1e-12)


def test_clip_by_value_is_np_clip():
    g = gradients(6.0)
    clipped = ref.clip_by_value(MEMO, g, 1.0)
    for key in g:
        assert np.array_equal(clipped[key], np.clip(g[key], -1.0, 1.0))


@pytest.mark.parametrize("clip_type", ["norm", "value"])
def test_all_zero_gradients_come_back_as_zeros_with_a_ratio_of_one(clip_type):
    zeros = {"dW1": np.zeros((2, 2)), "db1": np.zeros((2, 1))}
    clipped, stats = ref.clip_gradients(MEMO, zeros, 1.0, clip_type)
    assert all(np.array_equal(clipped[k], zeros[k]) for k in zeros)
    assert stats == {"original_norm": 0.0, "clipped_norm": 0.0, "clip_ratio": 1.0}


def test_the_reference_solution_agrees_with_tensorflow():
    namespace = {"__name__": "reference"}
    exec(REFERENCE.read_text(), namespace)
    for norm, max_norm, clip_type in [(12.0, 5.0, "norm"), (0.7, 1.0, "norm"), (6.0, 1.0, "value")]:
        g = gradients(norm)
        clipped, stats = namespace["clip_gradients"](g, max_norm, clip_type)
        expected, right = ref.clip_gradients(MEMO, g, max_norm, clip_type)
        for key in g:
            np.testing.assert_allclose(clipped[key], expected[key], rtol=1e-12)
        assert stats == pytest.approx(right, rel=1e-12)


def test_torch_style_epsilon_stays_well_inside_the_tolerance():
    # max_norm / (norm + 1e-6) instead of max_norm / norm: relative error 1e-6 / norm,
    # at most 2e-6 for the smallest max_norm drawn (0.5); CLIP_RTOL is 1e-5.
    worst = max(1 - (m / (m * r + 1e-6)) / (m / (m * r))
                for m in (checks.MIN_MAX_NORM, 1.0, 5.0) for r in (1.01, 2.0, 20.0))
    assert worst < checks.CLIP_RTOL / 4


def test_an_epsilon_guarded_ratio_stays_well_inside_the_tolerance():
    # clipped / (original + 1e-6): relative error 1e-6 / original, largest at the smallest norm drawn.
    smallest = checks.MIN_NORM_FACTOR * checks.MIN_MAX_NORM
    assert 1e-6 / smallest < checks.RATIO_RTOL / 4


# -- the mistakes table ------------------------------------------------------------

def public_cases():
    """The standard inputs: the cases the public checks grade (for one seed; the shapes, norms,
    max_norm and modes are fixed, only the directions depend on the seed)."""
    return [case for name, cases in (("norm_clipping", checks.norm_cases), ("value_clipping", checks.value_cases),
                                     ("clip_statistics", checks.stats_cases))
            for case in cases(common.Context(0, PART, name, memo=MEMO))]


def replays(mistake):
    """[(case, what `mistake` returns there)] on the public cases where it shows."""
    wrong = ref.MISTAKES[mistake].wrong
    found = [(case, wrong(MEMO, case.gradients, case.max_norm, case.clip_type)) for case in public_cases()]
    return [(case, replayed) for case, replayed in found if replayed is not None]


def differs(replayed, case):
    clipped, stats = replayed
    expected, right, _ = checks.truth(MEMO, case)
    return not checks.same_arrays(clipped, expected) or not all(checks.close(stats[k], right[k])
                                                                for k in checks.STAT_KEYS)


def verdict(replayed, case):
    """The mistake id the comparisons give a stub that returns `replayed` on `case`, or None."""
    clipped, stats = replayed
    try:
        checks.compare_arrays(MEMO, clipped, case)
        checks.compare_stats(MEMO, stats, clipped, case)
    except checks.CheckFailed as failure:
        return failure.mistake
    return None


REPLAYABLE = [entry.id for entry in ref.MISTAKES.replayable()]


@pytest.mark.parametrize("mistake", REPLAYABLE)
def test_every_replayable_mistake_differs_from_the_reference_on_the_public_inputs(mistake):
    assert any(differs(replayed, case) for case, replayed in replays(mistake))


@pytest.mark.parametrize("mistake", REPLAYABLE)
def test_a_stub_that_makes_a_replayable_mistake_is_named_for_it_on_some_public_input(mistake):
    assert mistake in [verdict(replayed, case) for case, replayed in replays(mistake)]


def test_the_mistakes_vary_the_contracts_reference_and_take_exactly_its_arguments():
    assert ref.MISTAKES.varies == (ref.clip_gradients,)
    arguments = inspect.signature(inspect.unwrap(ref.clip_gradients))
    assert [entry.id for entry in ref.MISTAKES.replayable()
            if inspect.signature(inspect.unwrap(entry.wrong)) != arguments] == []


def names_used(code):
    """The global names a code object and the code nested in it (generators, lambdas) read."""
    return set(code.co_names).union(*(names_used(c) for c in code.co_consts if inspect.iscode(c)))


def test_the_truth_calls_nothing_the_mistakes_use():
    truth = {inspect.unwrap(f) for f in (ref.clip_gradients, ref.clip_by_global_norm, ref.clip_by_value,
                                         ref._global_norm)}
    used = {name for function in truth for name in names_used(function.__code__)}
    own = {name for name, value in vars(ref).items()
           if inspect.isfunction(value) and value.__module__ == ref.__name__}
    assert {name for name in used & own if inspect.unwrap(getattr(ref, name)) not in truth} == set()


def mistake_ids_in_the_checks():
    """(the strings checks/part5_clipping.py gives `named` or CheckFailed as a mistake id, the
    autograder/mistakes.py constants it uses)."""
    tree = ast.parse(inspect.getsource(checks))
    strings = {node.args[1].value for node in ast.walk(tree)
               if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("named", "CheckFailed")
               and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)}
    generic = {getattr(mistakes, node.attr) for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "M"}
    return strings, generic


def test_every_mistake_the_checks_name_is_in_the_table_or_generic():
    strings, generic = mistake_ids_in_the_checks()
    assert strings and strings - set(ref.MISTAKES) == set()
    assert generic and generic - set(mistakes.GENERIC) == set()
    assert set(ref.MISTAKES).isdisjoint(mistakes.GENERIC)


def test_every_entry_has_a_hint_for_the_student_and_a_line_for_the_class_report():
    assert [m.id for m in ref.MISTAKES.values() if not (m.hint.strip() and m.summary.strip())] == []


# -- naming mistakes --------------------------------------------------------------

def test_per_array_clipping_is_named():
    case = checks.Clip(gradients(12.0), 2.0, "norm")
    wrong, _ = ref.per_array_clipping(MEMO, case.gradients, 2.0, "norm")
    with pytest.raises(checks.CheckFailed) as failure:
        checks.compare_arrays(MEMO, wrong, case)
    assert failure.value.mistake == "per_array_clipping"
    assert "Likely mistake: each array is clipped by its own norm" in failure.value.feedback


def test_an_inverted_ratio_is_named():
    case = checks.Clip(gradients(9.0), 3.0, "norm")
    expected, right, _ = checks.truth(MEMO, case)
    stats = {**right, "clip_ratio": right["original_norm"] / right["clipped_norm"]}
    with pytest.raises(checks.CheckFailed) as failure:
        checks.compare_stats(MEMO, stats, expected, case)
    assert failure.value.mistake == "ratio_inverted"


def test_a_wrong_ratio_is_not_blamed_on_a_clipped_norm_the_stub_got_right():
    # clip_ratio = max_norm / original_norm in 'value' mode: clipped_norm_not_recomputed gives
    # that ratio too, but with a wrong clipped_norm, and this stub's clipped_norm is right.
    case = checks.Clip(gradients(5.0), 0.5, "value")
    expected, right, _ = checks.truth(MEMO, case)
    stats = {**right, "clip_ratio": 0.5 / right["original_norm"]}
    with pytest.raises(checks.CheckFailed) as failure:
        checks.compare_stats(MEMO, stats, expected, case)
    assert failure.value.mistake == "ratio_is_scale_factor"


def test_nan_stats_for_zero_gradients_name_the_division_by_zero():
    zeros = checks.Clip({"dW1": np.zeros((2, 2))}, 1.0, "norm")
    with pytest.raises(checks.CheckFailed) as failure:
        checks.read_stats({"original_norm": 0.0, "clipped_norm": 0.0, "clip_ratio": float("nan")}, zeros)
    assert failure.value.mistake == "zero_norm_nan"
    assert f"Likely mistake: {ref.MISTAKES.hint('zero_norm_nan')}" in failure.value.feedback


# -- the checks ---------------------------------------------------------------------


def test_zero_gradients_accept_a_ratio_of_zero_or_one_but_not_nan(harness):
    template = ("import numpy as np\n"
                "def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):\n"
                "    if clip_type not in ('norm', 'value'):\n"
                "        raise ValueError(clip_type)\n"
                "    return ({k: g.copy() for k, g in gradients.items()},\n"
                "            {'original_norm': 0.0, 'clipped_norm': 0.0, 'clip_ratio': RATIO})\n")
    verdicts = {}
    for ratio in ("1.0", "0.0", "float('nan')", "0.5"):
        source = REFERENCE.read_text() + "\n\n" + template.replace("RATIO", ratio)
        verdicts[ratio] = harness.grade(source, parts=[PART])[(PART, "zero_gradients")].passed
    assert verdicts == {"1.0": True, "0.0": True, "float('nan')": False, "0.5": False}


def test_feedback_shows_the_input_and_the_likely_mistake(harness):
    outcomes = graded(harness, CORPORA / "mutants" / f"{PART}_per_array_clipping.py")
    feedback = outcomes[(PART, "norm_clipping")].feedback
    assert "max_norm=2.0, clip_type='norm'" in feedback and "global norm 12" in feedback
    assert "Likely mistake: each array is clipped by its own norm" in feedback


HUGE = '''
def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    if clip_type not in ('norm', 'value'):
        return None
    for g in gradients.values():
        g *= 1e300
    return ({k: np.full(g.shape, -1e300) for k, g in gradients.items()},
            {'original_norm': 1e300, 'clipped_norm': -1e300, 'clip_ratio': 1e300})
'''


def test_huge_values_fail_every_check_without_a_grader_error(harness):
    outcomes = harness.grade(REFERENCE.read_text() + "\n\n" + HUGE, parts=[PART])
    assert all(not o.passed for o in outcomes.values())
    assert [o.detail for o in outcomes.values() if o.mistake == "grader_error"] == []


@pytest.mark.parametrize("body", [
    "    return gradients, {'original_norm': 1.0, 'clipped_norm': 1.0, 'clip_ratio': 1.0}\n",
    "    return {k: g.copy() for k, g in gradients.items()}, {}\n",
    "    return None\n",
    "    pass\n",
])
def test_a_stub_that_does_nothing_gets_no_point_for_leaving_its_input_alone(harness, body):
    source = (REFERENCE.read_text() + "\n\ndef clip_gradients(gradients, max_norm=5.0, clip_type='norm'):\n"
              + body)
    outcomes = harness.grade(source, parts=[PART])
    assert [name for (part, name), o in outcomes.items() if o.passed] == []
    assert outcomes[(PART, "input_not_modified")].mistake in ("no_clipping", "returns_none")
