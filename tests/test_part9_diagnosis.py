"""Part 9 (diagnose_gradient_health): the grader-made gradients have the norms asked for,
the reference diagnosis agrees with the reference solution, correct variants get full
marks, and each mutant loses points in Part 9 only, named when its header says so."""
import math

import numpy as np
import pytest

from autograder.checks import CheckFailed
from autograder.checks import part9_diagnosis as checks
from autograder.references import part9_diagnosis as ref
from harness import CORPORA, REFERENCE, corpus_source, graded

PART = "part9"
VARIANTS = sorted((CORPORA / "correct").glob("variant_p9_*.py"))
LIMITS = {"vanishing": lambda n, low, high: n < low / 1.0009,
          "healthy": lambda n, low, high: low * 1.0009 < n < high / 1.0009,
          "exploding": lambda n, low, high: n > high * 1.0009,
          "zero": lambda n, low, high: n == 0}


class Supplied:
    """The SuppliedNetwork part 9's kit code defines for the worker, built in-process, for the reference."""

    def __init__(self, net):
        kit = {"__name__": "kit"}
        exec(checks.KIT_CODE, kit)
        self.network = kit["SuppliedNetwork"](net.layer_dims, "sigmoid", net.parameters, net.fresh, net.stale,
                                              net.X, net.AL)


def reference_solution(net):
    namespace = {"__name__": "reference"}
    exec(REFERENCE.read_text(), namespace)
    network = Supplied(net).network
    return namespace["diagnose_gradient_health"](network, net.X, net.Y, *(net.thresholds or ()))


# -- the grader-made gradients ----------------------------------------------------------

@pytest.mark.parametrize("seed", range(30))
def test_drawn_norms_fall_in_their_class_away_from_the_thresholds(seed):
    rng = np.random.default_rng(seed)
    L = int(rng.integers(1, 7))
    kinds = [str(k) for k in rng.choice(["vanishing", "healthy", "exploding", "zero"], size=L)]
    thresholds = None if seed % 2 else (float(10 ** rng.uniform(-4, 0)), 0.0)
    if thresholds:
        thresholds = (thresholds[0], thresholds[0] * float(10 ** rng.uniform(1, 4)))
    dims = [int(n) for n in rng.integers(1, 5, size=L)] + [1]
    net = checks.make_network(rng, dims, kinds, rng.random(L), thresholds)
    low, high = net.used_thresholds
    for l, kind in enumerate(kinds, start=1):
        assert LIMITS[kind](net.norms[l - 1], low, high), (l, kind, net.norms[l - 1])
        assert net.fresh[f"dW{l}"].shape == (dims[l], dims[l - 1])
        assert net.fresh[f"db{l}"].shape == (dims[l], 1)
    # Stale and db norms classify differently from the fresh dW norms in every non-zero layer.
    expected, stale = net.expected(), ref.diagnose(net.stale_norms, low, high)
    db = ref.diagnose(net.db_norms, low, high)
    for l, kind in enumerate(kinds, start=1):
        if kind != "zero":
            where = {name: l in expected[name] for name in ref.LISTS}
            assert where != {name: l in stale[name] for name in ref.LISTS}
            assert where != {name: l in db[name] for name in ref.LISTS}
    assert list(net.fresh)[:2] == [f"dW{L}", f"db{L}"]  # the kit's order, last layer first


def test_norms_are_exactly_rounded_sums():
    gradients = {"dW1": np.array([[3.0, 4.0]]), "dW2": np.zeros((1, 1))}
    assert ref.frobenius_norms(gradients, 2) == [5.0, 0.0]


@pytest.mark.parametrize("seed", range(10))
def test_the_reference_diagnosis_agrees_with_the_reference_solution(seed):
    rng = np.random.default_rng(100 + seed)
    L = int(rng.integers(1, 6))
    kinds = [str(k) for k in rng.choice(["vanishing", "healthy", "exploding", "zero"], size=L)]
    thresholds = (0.001, 10.0) if seed % 2 else None
    net = checks.make_network(rng, [3] * L + [1], kinds, rng.random(L), thresholds)
    got, expected = reference_solution(net), net.expected()
    for name in ref.LISTS:
        assert got[name] == expected[name]
    assert got["flow_ratio"] == pytest.approx(expected["flow_ratio"], rel=1e-12) or \
        (math.isinf(got["flow_ratio"]) and math.isinf(expected["flow_ratio"]))
    for key, value in expected["gradient_norms"].items():
        assert got["gradient_norms"][key] == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("mistake", ["zero_based_layers", "hardcoded_thresholds", "thresholds_swapped",
                                     "layer_in_two_lists", "last_layer_skipped", "not_ascending"])
def test_the_classification_check_names_each_replayed_mistake(mistake):
    rng = np.random.default_rng(5)
    net = checks.make_network(rng, [3, 4, 3, 2, 1], ("healthy", "vanishing", "exploding", "healthy"),
                              (0.5, 0.5, 0.5, 0.5), (1.0, 5.0))
    wrong = ref.diagnose(net.norms, *net.used_thresholds, mistake)
    with pytest.raises(CheckFailed) as failure:
        checks.expect_classification({"result": wrong, "calls": []}, net)
    assert failure.value.mistake == mistake, failure.value.feedback


@pytest.mark.parametrize("mistake, scale", [("squared_norms", None), ("db_norms", None), ("dz_norms", 2.0),
                                            ("stale_gradients", None)])
def test_the_norms_check_names_where_wrong_norms_come_from(mistake, scale):
    rng = np.random.default_rng(6)
    net = checks.make_network(rng, [3, 4, 3, 1], ("healthy", "vanishing", "exploding"), (0.5, 0.5, 0.5))
    norms = {"squared_norms": [n * n for n in net.norms], "db_norms": net.db_norms,
             "stale_gradients": net.stale_norms}.get(mistake) or [scale * n for n in net.norms]
    result = ref.diagnose(norms, *net.used_thresholds)
    with pytest.raises(CheckFailed) as failure:
        checks.expect_norms_and_ratio({"result": result, "calls": []}, net)
    assert failure.value.mistake == mistake, failure.value.feedback


# -- the checks ---------------------------------------------------------------------


def test_a_missing_forward_pass_costs_the_fresh_pass_check_and_is_named_in_the_classification(harness):
    outcomes = graded(harness, CORPORA / "mutants" / f"{PART}_no_forward_pass.py")
    assert outcomes[(PART, "fresh_forward_pass")].mistake == "no_forward_pass"
    assert outcomes[(PART, "classification")].mistake == "stale_gradients"
    assert outcomes[(PART, "recommendations")].passed


def test_grading_the_same_mutant_twice_gives_the_same_feedback(harness):
    source = corpus_source(REFERENCE, CORPORA / "mutants" / f"{PART}_second_layer_ratio.py")
    first, second = harness.grade(source, parts=[PART]), harness.grade(source, parts=[PART])
    assert [(k, o.passed, o.feedback) for k, o in first.items()] == \
           [(k, o.passed, o.feedback) for k, o in second.items()]


def test_feedback_shows_the_input_both_diagnoses_and_the_likely_mistake(harness):
    outcomes = graded(harness, CORPORA / "mutants" / f"{PART}_zero_based_layers.py")
    feedback = outcomes[(PART, "thresholds_used")].feedback
    assert "Your diagnosis has vanishing_layers=[2], healthy_layers=[0], exploding_layers=[1]" in feedback
    assert "expected vanishing_layers=[3], healthy_layers=[1], exploding_layers=[2]" in feedback
    assert "Likely mistake: layers are numbered from 1" in feedback
    assert "diagnose_gradient_health(network, X, Y, 0.001, 10)" in feedback


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1, 6))
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda p: p.stem)
def test_a_correct_variant_passes_with_other_seeds(harness, variant, seed):
    outcomes = harness.grade(corpus_source(REFERENCE, variant), parts=[PART], seed=seed)
    assert {k: o.feedback for k, o in outcomes.items() if not o.passed} == {}
