"""Property checks replay the examples Hypothesis draws, and hand failures back to it to shrink.

Fast: no workers, no TensorFlow; the tests here are plain functions of the examples.
"""
import pickle

import pytest

from autograder.checks import CheckFailed
from autograder.checks import part2_backprop, part5_clipping, part6_batchnorm, part9_diagnosis
from autograder.checks.common import Context, _given, run_property

STRATEGIES = {
    "part2.networks": part2_backprop.networks,
    "part5.clip_inputs": part5_clipping.clip_inputs,
    "part6.property_cases": part6_batchnorm.property_cases,
    "part6.invariance_cases": part6_batchnorm.invariance_cases,
    "part9.networks": part9_diagnosis.networks,
    "part9.networks_explicit": lambda: part9_diagnosis.networks(explicit=True),
}


def drawn_by_hypothesis(ctx, strategy):
    seen = []
    _given(ctx, strategy, lambda example: seen.append(pickle.dumps(example)))()
    return seen


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_a_passing_property_sees_exactly_the_examples_hypothesis_draws(name):
    ctx = Context(20261129, "test", name, max_examples=12)
    expected = drawn_by_hypothesis(ctx, STRATEGIES[name]())
    for _ in range(2):  # the first run draws and keeps the examples, the second replays them
        seen = []
        run_property(Context(20261129, "test", name, max_examples=12), STRATEGIES[name](),
                     lambda example: seen.append(pickle.dumps(example)))
        assert seen == expected and len(seen) == 12


def test_another_seed_draws_other_examples():
    first, second = [], []
    run_property(Context(1, "test", "seeds"), part5_clipping.clip_inputs(), first.append)
    run_property(Context(2, "test", "seeds"), part5_clipping.clip_inputs(), second.append)
    assert pickle.dumps(first) != pickle.dumps(second)


def test_a_failure_is_still_shrunk_by_hypothesis_to_a_smallest_input():
    def needs_few_gradients(case):
        if len(case.gradients) > 2:
            raise CheckFailed("too many gradients", "test")

    with pytest.raises(CheckFailed) as failed:
        run_property(Context(7, "test", "shrink"), part5_clipping.clip_inputs(), needs_few_gradients,
                     describe=lambda case: f"{len(case.gradients)} gradients")
    assert "Smallest input found: 4 gradients" in failed.value.feedback  # 2 layers: dW and db each


def test_a_test_that_changes_its_example_does_not_change_the_next_submissions():
    def vandal(case):
        for value in case.gradients.values():
            value[...] = 0.0

    ctx = lambda: Context(3, "test", "vandal")  # noqa: E731
    run_property(ctx(), part5_clipping.clip_inputs(), vandal)
    seen = []
    run_property(ctx(), part5_clipping.clip_inputs(), seen.append)
    assert any(value.any() for case in seen for value in case.gradients.values())


def test_examples_do_not_depend_on_which_modules_are_loaded(tmp_path, monkeypatch):
    # Hypothesis would otherwise mix constants from the source of loaded local modules into its draws.
    helper = tmp_path / "course_helpers.py"
    helper.write_text("SEEDS = [123456789, 987654321, 42424242, 31415926, 27182818]\nSCALES = [0.123456, 7.654321]\n")
    ctx = lambda: Context(11, "test", "modules", max_examples=60)  # noqa: E731
    before = drawn_by_hypothesis(ctx(), part5_clipping.clip_inputs())
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__(helper.stem)
    assert drawn_by_hypothesis(ctx(), part5_clipping.clip_inputs()) == before


def test_a_failure_hypothesis_cannot_find_again_still_fails_the_check():
    # Code that answers differently from call to call: wrong on the replayed examples, right afterwards.
    calls = []

    def flaky(case):
        calls.append(case)
        if len(calls) == 1:
            raise CheckFailed("wrong the first time", "test")

    with pytest.raises(CheckFailed) as failed:
        run_property(Context(5, "test", "flaky"), part5_clipping.clip_inputs(), flaky, describe=lambda case: "it")
    assert "wrong the first time" in failed.value.feedback and "Smallest input found: it" in failed.value.feedback
