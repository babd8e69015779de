"""Part 5 (clip_gradients): the TensorFlow references agree with the formulas,
correct variants (torch-style epsilon, the lab's own code) get full marks, and
each mutant loses points in Part 5 only, with its mistake named when its header
says it should be."""

import numpy as np
import pytest

from autograder.checks import part5_clipping as checks
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
    assert ref.global_norm(clipped) == pytest.approx(min(norm, max_norm), rel=1e-12)


def test_clip_by_value_is_np_clip():
    g = gradients(6.0)
    clipped = ref.clip_by_value(MEMO, g, 1.0)
    for key in g:
        assert np.array_equal(clipped[key], np.clip(g[key], -1.0, 1.0))


def test_statistics_of_all_zero_gradients_have_ratio_one():
    zeros = {"dW1": np.zeros((2, 2)), "db1": np.zeros((2, 1))}
    assert ref.statistics(zeros, zeros) == {"original_norm": 0.0, "clipped_norm": 0.0, "clip_ratio": 1.0}


def test_the_reference_solution_agrees_with_tensorflow():
    namespace = {"__name__": "reference"}
    exec(REFERENCE.read_text(), namespace)
    for norm, max_norm, clip_type in [(12.0, 5.0, "norm"), (0.7, 1.0, "norm"), (6.0, 1.0, "value")]:
        g = gradients(norm)
        clipped, stats = namespace["clip_gradients"](g, max_norm, clip_type)
        expected, right = ref.expected(MEMO, g, max_norm, clip_type)
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


@pytest.mark.parametrize("clip_type", ["norm", "value"])
def test_every_array_mistake_differs_from_the_right_answer_above_or_below_the_threshold(clip_type):
    differs = {}
    for norm in (12.0, 0.7):
        g = gradients(norm)
        expected, _ = ref.expected(MEMO, g, 2.0, clip_type)
        for mistake, wrong in ref.mistaken_arrays(g, 2.0, clip_type):
            differs[mistake] = differs.get(mistake, False) or not checks.same_arrays(wrong, expected)
    assert [m for m, d in differs.items() if not d] == []


# -- naming mistakes --------------------------------------------------------------

def test_per_array_clipping_is_named():
    case = checks.Clip(gradients(12.0), 2.0, "norm")
    wrong = dict(ref.mistaken_arrays(case.gradients, 2.0, "norm"))["per_array_clipping"]
    expected, against = checks.expected_for(MEMO, case)
    with pytest.raises(checks.CheckFailed) as failure:
        checks.compare_arrays(wrong, expected, case, against)
    assert failure.value.mistake == "per_array_clipping"
    assert "Likely mistake: each array is clipped by its own norm" in failure.value.feedback


def test_an_inverted_ratio_is_named():
    case = checks.Clip(gradients(9.0), 3.0, "norm")
    expected, _ = checks.expected_for(MEMO, case)
    right = ref.statistics(case.gradients, expected)
    stats = {**right, "clip_ratio": right["original_norm"] / right["clipped_norm"]}
    with pytest.raises(checks.CheckFailed) as failure:
        checks.compare_stats(stats, case, expected, expected)
    assert failure.value.mistake == "ratio_inverted"


def test_nan_stats_for_zero_gradients_name_the_division_by_zero():
    zeros = checks.Clip({"dW1": np.zeros((2, 2))}, 1.0, "norm")
    with pytest.raises(checks.CheckFailed) as failure:
        checks.read_stats({"original_norm": 0.0, "clipped_norm": 0.0, "clip_ratio": float("nan")}, zeros)
    assert failure.value.mistake == "zero_norm_nan"


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
