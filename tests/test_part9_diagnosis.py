"""Part 9 (diagnose_gradient_health): the grader-made gradients have the norms asked for,
the reference diagnosis agrees with the reference solution, every replayed mistake differs
from it and is named by the checks, every id the checks name is in the part's table, correct
variants get full marks, and each mutant loses points in Part 9 only, named when its header
says so."""
import ast
import inspect
import math
from pathlib import Path

import numpy as np
import pytest

from autograder import mistakes
from autograder.checks import CheckFailed
from autograder.checks import part9_diagnosis as checks
from autograder.checks.common import Context
from autograder.references import Memo
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
    memo = Memo()
    expected = net.expected(memo)
    for l, kind in enumerate(kinds, start=1):
        norm = expected["gradient_norms"][f"layer_{l}"]
        assert LIMITS[kind](norm, low, high), (l, kind, norm)
        assert net.fresh[f"dW{l}"].shape == (dims[l], dims[l - 1])
        assert net.fresh[f"db{l}"].shape == (dims[l], 1)
    # Stale and db norms classify differently from the fresh dW norms in every non-zero layer.
    stale = ref.diagnose(memo, net.stale, L, low, high)
    db = ref.MISTAKES["db_norms"].wrong(memo, net.fresh, L, low, high)
    for l, kind in enumerate(kinds, start=1):
        if kind != "zero":
            where = {name: l in expected[name] for name in ref.LISTS}
            assert where != {name: l in stale[name] for name in ref.LISTS}
            assert where != {name: l in db[name] for name in ref.LISTS}
    assert list(net.fresh)[:2] == [f"dW{L}", f"db{L}"]  # the kit's order, last layer first


def test_norms_are_exactly_rounded_sums():
    gradients = {"dW1": np.array([[3.0, 4.0]]), "dW2": np.zeros((1, 1))}
    diagnosis = ref.diagnose(Memo(), gradients, 2, *ref.DEFAULT_THRESHOLDS)
    assert diagnosis["gradient_norms"] == {"layer_1": 5.0, "layer_2": 0.0}
    assert diagnosis["flow_ratio"] == math.inf


@pytest.mark.parametrize("seed", range(10))
def test_the_reference_diagnosis_agrees_with_the_reference_solution(seed):
    rng = np.random.default_rng(100 + seed)
    L = int(rng.integers(1, 6))
    kinds = [str(k) for k in rng.choice(["vanishing", "healthy", "exploding", "zero"], size=L)]
    thresholds = (0.001, 10.0) if seed % 2 else None
    net = checks.make_network(rng, [3] * L + [1], kinds, rng.random(L), thresholds)
    got, expected = reference_solution(net), net.expected(Memo())
    for name in ref.LISTS:
        assert got[name] == expected[name]
    assert got["flow_ratio"] == pytest.approx(expected["flow_ratio"], rel=1e-12) or \
        (math.isinf(got["flow_ratio"]) and math.isinf(expected["flow_ratio"]))
    for key, value in expected["gradient_norms"].items():
        assert got["gradient_norms"][key] == pytest.approx(value, rel=1e-12)


# -- the mistakes table -----------------------------------------------------------------

REPLAYED = [entry.id for entry in ref.MISTAKES.replayable()]
SEEDS = range(5)


def standard_inputs(mistake, seed):
    """The standard inputs of a replayed mistake: the fixed networks of the public classification
    check (default thresholds) it runs on; for one that runs on none of them (it needs thresholds
    passed in), the fixed network of the public thresholds_used check."""
    nets = checks.classification_networks(Context(seed, PART, "classification"))
    memo = Memo()
    found = [net for net in nets if replay(memo, mistake, net) is not None]
    return found or [checks.thresholds_network(Context(seed, PART, "thresholds_used"))]


def replay(memo, mistake, net):
    return ref.MISTAKES[mistake].wrong(memo, net.fresh, net.num_layers, *net.used_thresholds)


def same_diagnosis(a, b):
    return (all(a[name] == b[name] for name in ref.LISTS) and a["gradient_norms"].keys() == b["gradient_norms"].keys()
            and all(math.isclose(a["gradient_norms"][k], b["gradient_norms"][k], rel_tol=1e-9)
                    for k in a["gradient_norms"])
            and (a["flow_ratio"] == b["flow_ratio"] or math.isclose(a["flow_ratio"], b["flow_ratio"], rel_tol=1e-9)))


def test_the_reference_has_no_mistake_parameter_and_every_replay_takes_its_arguments():
    arguments = list(inspect.signature(ref.diagnose.__wrapped__).parameters)
    assert arguments == ["memo", "gradients", "num_layers", "threshold_vanishing", "threshold_exploding"]
    assert ref.MISTAKES.varies == (ref.diagnose,)
    assert len(REPLAYED) >= 10
    for entry in ref.MISTAKES.replayable():
        assert list(inspect.signature(entry.wrong.__wrapped__).parameters) == arguments, entry.id


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mistake", REPLAYED)
def test_every_replayed_mistake_differs_from_the_reference_on_the_standard_inputs(mistake, seed):
    memo = Memo()
    for net in standard_inputs(mistake, seed):
        wrong, truth = replay(memo, mistake, net), net.expected(memo)
        assert wrong is not None and wrong.keys() == truth.keys()
        assert not same_diagnosis(wrong, truth), checks.describe(net)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mistake", REPLAYED)
def test_the_checks_name_each_replayed_mistake_on_the_standard_inputs(mistake, seed):
    memo = Memo()
    for net in standard_inputs(mistake, seed):
        with pytest.raises(CheckFailed) as failure:
            checks.expect_diagnosis(memo, {"result": replay(memo, mistake, net), "calls": []}, net)
        assert failure.value.mistake == mistake, failure.value.feedback
        assert f"Likely mistake: {ref.MISTAKES.hint(mistake)}" in failure.value.feedback


@pytest.mark.parametrize("mistake", ["stale_gradients", "db_norms", "dz_norms", "squared_norms",
                                     "inverted_flow_ratio"])
def test_the_norms_check_names_where_wrong_norms_come_from(mistake):
    rng = np.random.default_rng(6)
    net = checks.make_network(rng, [3, 4, 3, 1], ("healthy", "vanishing", "exploding"), (0.5, 0.5, 0.5))
    memo, args = Memo(), (net.num_layers, *net.used_thresholds)
    result = ref.diagnose(memo, net.stale, *args) if mistake == "stale_gradients" else \
        ref.MISTAKES[mistake].wrong(memo, net.fresh, *args)
    with pytest.raises(CheckFailed) as failure:
        checks.expect_norms_and_ratio(memo, {"result": result, "calls": []}, net)
    assert failure.value.mistake == mistake, failure.value.feedback


def test_the_dz_norms_replay_reads_what_the_supplied_network_records_as_dZ_norm():
    net = checks.make_network(np.random.default_rng(7), [3, 4, 3, 1], ("healthy", "vanishing", "exploding"),
                              (0.5, 0.5, 0.5))
    network = Supplied(net).network
    network.forward_propagation(net.X)
    network.backward_propagation(net.X, net.Y)
    recorded = {key: norms["dZ_norm"] for key, norms in network.gradient_norms.items()}
    wrong = replay(Memo(), "dz_norms", net)["gradient_norms"]
    assert recorded.keys() == wrong.keys()
    assert all(recorded[key] == pytest.approx(wrong[key], rel=1e-12) for key in wrong)


def written_ids(expression):
    """The mistake ids an expression can give: a string, or either branch of `a if test else b`."""
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return {expression.value}
    if isinstance(expression, ast.IfExp):
        return written_ids(expression.body) | written_ids(expression.orelse)
    return set()


def mistakes_named_in_the_checks():
    """Every mistake id the checks module writes out: as the mistake argument of _fail or
    CheckFailed, assigned to a `mistake` variable or to STALE, or returned by
    _classification_mistake (all other ids come from the table itself)."""
    tree = ast.parse(Path(checks.__file__).read_text())
    places = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("_fail", "CheckFailed"):
            places += node.args[1:] + [keyword.value for keyword in node.keywords]
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) in ("mistake", "STALE")
                                                  for t in node.targets):
            places.append(node.value)
        elif isinstance(node, ast.FunctionDef) and node.name == "_classification_mistake":
            places += [n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None]
    return set().union(*map(written_ids, places))


def test_every_mistake_the_checks_can_name_is_in_the_parts_table_and_not_in_specific():
    named = mistakes_named_in_the_checks()
    assert {"zero_division", "nan_flow_ratio", "zero_based_keys", "layer_in_two_lists", "not_ascending",
            "backward_not_called", "backward_on_other_data", "no_forward_pass", "stale_gradients"} <= named
    assert not named - set(ref.MISTAKES), named - set(ref.MISTAKES)
    assert not set(ref.MISTAKES) & set(mistakes.GENERIC)
    assert not set(ref.MISTAKES) & set(mistakes.GENERIC)
    assert all(entry.summary for entry in ref.MISTAKES.values())


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
