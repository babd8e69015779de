"""Part 2 (backward_propagation): the references agree with each other, every
known mistake is in the part's table and changes the gradients, correct variants
get full marks, and each mutant loses points in Part 2 only, with its mistake
named when its header says it should be."""

import ast
import inspect

import numpy as np
import pytest

from autograder import mistakes

from autograder.checks import part2_backprop as checks
from autograder.references import part2_backprop as ref
from autograder.references import Memo
from harness import CORPORA, REFERENCE, corpus_source, graded

MEMO = Memo()  # the references' cache, as a grading process's Grader holds one

PART = "part2"
FIXED = [((4, 3, 1), "sigmoid", 5), ((3, 5, 4, 1), "tanh", 4), ((5, 4, 3, 2, 1), "relu", 6),
         ((2, 3, 1), "relu", 1)]
# The standard inputs a known mistake is replayed on: the networks of the part's fixed checks, and
# single-unit networks, where Hypothesis's shrinking takes a failing example of the property check.
STANDARD = (checks.STRUCTURE_NETWORKS + checks.FD_NETWORKS + checks.NORMS_NETWORKS + checks.BATCH_OF_ONE_NETWORKS
            + checks.UNTOUCHED_NETWORKS + (((1, 1, 1), "sigmoid", 1), ((1, 1, 1, 1), "tanh", 3)))
REPLAYED = [entry.id for entry in ref.MISTAKES.replayable()]


def network(dims, activation, m, seed=0):
    return checks.draw_network(np.random.default_rng(seed), dims, activation, m)


def numpy_backprop(net, mistake=None):
    """The lab's backward pass on `net`, or what the known mistake `mistake` gives there."""
    function = ref.MISTAKES[mistake].wrong if mistake else ref.backprop
    return function(MEMO, net.layer_dims, net.activation, net.parameters, net.X, net.Y)


def tape(net):
    return ref.gradient_tape(MEMO, net.layer_dims, net.activation, net.parameters, net.X, net.Y)


# -- the references agree ------------------------------------------------------

@pytest.mark.parametrize("dims, activation, m", FIXED)
def test_finite_differences_agree_with_gradient_tape(dims, activation, m):
    net = network(dims, activation, m)
    fd = ref.finite_differences(MEMO, net.layer_dims, activation, net.parameters, net.X, net.Y)
    expected = tape(net)["gradients"]
    for key in expected:
        np.testing.assert_allclose(fd[key], expected[key], rtol=1e-6, atol=1e-9, err_msg=key)


@pytest.mark.parametrize("dims, activation, m", FIXED)
def test_numpy_backprop_agrees_with_gradient_tape(dims, activation, m):
    net = network(dims, activation, m)
    got, expected = numpy_backprop(net), tape(net)
    for key in expected["gradients"]:
        np.testing.assert_allclose(got["gradients"][key], expected["gradients"][key], rtol=1e-12, atol=1e-15)
    for key in expected["dZ"]:
        np.testing.assert_allclose(got["dZ"][key], expected["dZ"][key], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dims, activation, m", FIXED)
def test_reference_solution_agrees_with_gradient_tape(dims, activation, m):
    namespace = {"__name__": "reference"}
    exec(REFERENCE.read_text(), namespace)
    net = network(dims, activation, m)
    model = namespace["DeepNeuralNetwork"](list(dims), activation, "xavier")
    model.parameters = {k: v.copy() for k, v in net.parameters.items()}
    model.forward_propagation(net.X.copy())
    got = model.backward_propagation(net.X.copy(), net.Y.copy())
    expected = tape(net)["gradients"]
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-12, atol=1e-15)


def test_forward_pass_mirrors_the_kit():
    namespace = {"__name__": "reference"}
    exec(REFERENCE.read_text(), namespace)
    net = network((3, 4, 2, 1), "tanh", 5)
    model = namespace["DeepNeuralNetwork"]([3, 4, 2, 1], "tanh", "xavier")
    model.parameters = {k: v.copy() for k, v in net.parameters.items()}
    AL = model.forward_propagation(net.X.copy())
    cache = ref.forward(net.layer_dims, "tanh", net.parameters, net.X)
    assert np.array_equal(AL, cache["A3"])
    assert ref.cost(AL, net.Y) == pytest.approx(float(model.compute_cost(AL, net.Y)), rel=1e-15)


def test_memoised_references_return_the_same_object_for_equal_inputs():
    a, b = network((3, 2, 1), "relu", 4), network((3, 2, 1), "relu", 4)
    assert tape(a) is tape(b)


# -- inputs keep away from kinks and saturation --------------------------------------

@pytest.mark.parametrize("seed", range(20))
def test_drawn_networks_avoid_kinks_and_saturation(seed):
    rng = np.random.default_rng(seed)
    activation = ["sigmoid", "tanh", "relu"][seed % 3]
    dims = [int(rng.integers(1, 7)) for _ in range(int(rng.integers(2, 6)))] + [1]
    net = checks.draw_network(rng, dims, activation, int(rng.integers(1, 9)))
    cache = ref.forward(net.layer_dims, activation, net.parameters, net.X)
    for l in range(1, net.L + 1):
        assert np.min(np.abs(cache[f"Z{l}"])) > checks.KINK_MARGIN
        if l < net.L and activation != "relu":
            assert np.max(np.abs(cache[f"Z{l}"])) < checks.SATURATION
    assert np.all((cache[f"A{net.L}"] > 0.05) & (cache[f"A{net.L}"] < 0.95))


def test_the_A_minus_Y_shortcut_stays_well_inside_the_tolerance():
    # dZ = AL - Y drops the cost's 1e-8 guards; on 150 random networks its error must stay
    # below a fifth of what the checks allow, so no correct submission is near the edge.
    rng = np.random.default_rng(7)
    worst = 0.0
    for i in range(150):
        dims = [int(rng.integers(1, 7)) for _ in range(int(rng.integers(2, 6)))] + [1]
        net = checks.draw_network(rng, dims, ["sigmoid", "tanh", "relu"][i % 3], int(rng.integers(1, 9)))
        cache = ref.forward(net.layer_dims, net.activation, net.parameters, net.X)
        dZ = cache[f"A{net.L}"] - net.Y
        shortcut = {}
        for l in range(net.L, 0, -1):
            shortcut[f"dW{l}"] = dZ @ cache[f"A{l - 1}"].T / net.m
            shortcut[f"db{l}"] = dZ.sum(axis=1, keepdims=True) / net.m
            if l > 1:
                dZ = (net.parameters[f"W{l}"].T @ dZ) * ref.activate_derivative(cache[f"Z{l - 1}"], net.activation)
        expected = tape(net)["gradients"]
        atol = checks.tolerance(expected)
        for key in expected:
            allowed = checks.GRAD_RTOL * np.maximum(np.abs(shortcut[key]), np.abs(expected[key])) + atol
            worst = max(worst, float(np.max(np.abs(shortcut[key] - expected[key]) / allowed)))
    assert worst < 0.2


# -- naming mistakes --------------------------------------------------------------

@pytest.mark.parametrize("mistake", REPLAYED)
def test_every_replayed_mistake_changes_the_gradients_of_a_standard_input(mistake):
    changed = []
    for dims, activation, m in STANDARD:
        net = network(dims, activation, m)
        wrong, right = numpy_backprop(net, mistake), numpy_backprop(net)
        if wrong is None:  # the mistake's shapes do not fit this input: it would have raised
            continue
        assert set(wrong) == set(right) and set(wrong["gradients"]) == set(right["gradients"])
        if any(wrong["gradients"][k].shape != right["gradients"][k].shape
               or not np.allclose(wrong["gradients"][k], right["gradients"][k]) for k in right["gradients"]):
            changed.append(dims)
    assert changed


@pytest.mark.parametrize("mistake", REPLAYED)
def test_every_replay_takes_exactly_the_arguments_of_the_reference_it_varies(mistake):
    replay = inspect.signature(ref.MISTAKES[mistake].wrong.__wrapped__)
    assert ref.MISTAKES.varies == (ref.backprop,)
    assert list(replay.parameters) == list(inspect.signature(ref.backprop.__wrapped__).parameters)


def named_ids(module):
    """(ids written out, other expressions) where `module`'s source names a mistake: the id argument
    of likely(text, id), hint_line(id), named_shape(id) and CheckFailed(text, id)."""
    literal, other = set(), set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        position = {"likely": 1, "CheckFailed": 1, "hint_line": 0, "named_shape": 0}.get(node.func.id)
        if position is None or len(node.args) <= position:
            continue
        argument = node.args[position]
        if isinstance(argument, ast.Constant):
            literal.add(argument.value)
        else:
            other.add(ast.unparse(argument))
    return literal, other


def test_every_mistake_the_checks_can_name_is_in_the_table():
    literal, other = named_ids(checks)
    assert len(literal) > 20 and literal <= set(ref.MISTAKES), literal - set(ref.MISTAKES)
    # An id not written out is a generic one (M.*) or a table entry's, passed on as `mistake`.
    constants = {name: value for name, value in vars(mistakes).items() if isinstance(value, str)}
    generic = {f"M.{name}" for name, value in constants.items() if value in mistakes.GENERIC}
    assert other <= generic | {"mistake"}, other - generic
    # And no entry is dead: what is not replayed is named somewhere by its id.
    assert {entry.id for entry in ref.MISTAKES.values() if entry.wrong is None} <= literal


def test_every_mistake_in_the_table_has_a_hint_and_a_line_for_the_class_report():
    for entry in ref.MISTAKES.values():
        assert entry.hint.strip() and entry.line.strip() and len(entry.line) <= 90, entry.id


@pytest.mark.parametrize("mistake", [m for m in REPLAYED
                                     if m not in ("dW_transposed", "A_l_instead_of_A_prev", "db_wrong_axis")])
def test_identify_names_each_value_mistake_from_its_own_output(mistake):
    # wrong_layer_W only runs without a shape error when every layer has one unit.
    net = network((1, 1, 1, 1) if mistake == "wrong_layer_W" else (3, 4, 2, 1), "tanh", 5)
    wrong = numpy_backprop(net, mistake)
    expected = tape(net)["gradients"]
    with pytest.raises(checks.CheckFailed) as failure:
        checks.check_values(MEMO, wrong["gradients"], expected, net, "the reference")
    assert failure.value.mistake == mistake
    assert f"Likely mistake: {ref.MISTAKES.hint(mistake)}" in failure.value.feedback


@pytest.mark.parametrize("dims, activation, m, mistake, said", [
    ((3, 4, 2, 1), "relu", 5, "constant_factor", "; look for a missing or extra factor (m = 5 here)."),
    # With one example, every gradient scales with dZ at the output.
    ((3, 2, 1), "sigmoid", 1, "output_dZ_wrong", "the sigmoid derivative at the output (dZ{L} = AL - Y)."),
])
def test_a_constant_factor_is_reported_as_such(dims, activation, m, mistake, said):
    net = network(dims, activation, m)
    expected = tape(net)["gradients"]
    with pytest.raises(checks.CheckFailed) as failure:
        checks.check_values(MEMO, {k: 0.5 * g for k, g in expected.items()}, expected, net, "the reference")
    assert failure.value.mistake == mistake
    assert "Likely mistake: every gradient is 0.5 times the right one" in failure.value.feedback
    assert said in failure.value.feedback


def test_feedback_names_the_first_wrong_layer_from_the_output_and_its_worst_entry():
    net = network((3, 4, 2, 1), "tanh", 5)
    expected = tape(net)["gradients"]
    got = dict(expected)
    got["dW2"] = expected["dW2"].copy()
    got["dW2"][1, 2] += 1.0
    with pytest.raises(checks.CheckFailed) as failure:
        checks.check_values(MEMO, got, expected, net, "the reference")
    text = failure.value.feedback
    assert "`dW2` (layer 2)" in text and "index (1, 2)" in text
    assert "layers 3, 1 right; layer 2 wrong" in text


# -- the checks ---------------------------------------------------------------------


def test_grading_the_same_mutant_twice_gives_the_same_feedback(harness):
    mutant = CORPORA / "mutants" / f"{PART}_sign_flipped.py"
    source = corpus_source(REFERENCE, mutant)
    first, second = harness.grade(source, parts=[PART]), harness.grade(source, parts=[PART])
    assert [(k, o.passed, o.feedback) for k, o in first.items()] == \
           [(k, o.passed, o.feedback) for k, o in second.items()]


def test_feedback_shows_the_input_and_the_likely_mistake(harness):
    outcomes = graded(harness, CORPORA / "mutants" / f"{PART}_missing_1_over_m.py")
    feedback = outcomes[(PART, "finite_differences")].feedback
    assert "layer_dims=[4, 3, 1], activation='sigmoid', a batch of 5 examples" in feedback
    assert "Likely mistake: your gradients are m times too large" in feedback
    assert "relative error" in feedback


HUGE = '''
class DeepNeuralNetwork(DeepNeuralNetwork):
    def backward_propagation(self, X, Y):
        L = self.num_layers
        self.gradient_norms = {f'layer_{l}': {'dW_norm': 1e300, 'db_norm': -1e300, 'dZ_norm': 1e300}
                               for l in range(1, L + 1)}
        grads = {f'd{n}{l}': np.full(self.parameters[f'{n}{l}'].shape, (-1) ** l * 1e300)
                 for l in range(1, L + 1) for n in ('W', 'b')}
        self.parameters = {k: v * 1e300 for k, v in self.parameters.items()}
        return grads
'''


def test_huge_values_fail_every_value_check_without_a_grader_error(harness):
    outcomes = harness.grade(REFERENCE.read_text() + "\n\n" + HUGE, parts=[PART])
    # Finite float64 arrays of the right shapes: only the structure check may pass.
    assert [k[1] for k, o in outcomes.items() if o.passed] == ["returns_gradient_dict"]
    assert [o.detail for o in outcomes.values() if o.mistake == "grader_error"] == []


@pytest.mark.parametrize("norm, mistake", [("np.linalg.norm(x, 2)", "spectral_norm"),
                                           ("np.sum(np.abs(x))", "l1_norm"),
                                           ("np.sum(x ** 2)", "squared_norm")])
def test_a_wrong_kind_of_norm_is_named(norm, mistake):
    net = network((3, 4, 3, 1), "tanh", 5)
    right = tape(net)
    out = {"gradients": right["gradients"], "parameters": net.parameters, "gradient_norms": {
        f"layer_{l}": {k: eval(norm, {"np": np, "x": right["gradients"][f"{k[:2]}{l}"]}) if k != "dZ_norm"
                       else float(np.linalg.norm(right["dZ"][f"dZ{l}"])) for k in ("dW_norm", "db_norm", "dZ_norm")}
        for l in range(1, net.L + 1)}}
    with pytest.raises(checks.CheckFailed) as failure:
        checks.check_norms(MEMO, out, net)
    assert failure.value.mistake == mistake


@pytest.mark.parametrize("body", ["        return {}\n", "        return None\n",
                                  "        return {'d' + k: np.zeros_like(v) for k, v in self.parameters.items()}\n"])
def test_a_backward_pass_that_computes_nothing_gets_no_point_for_leaving_the_parameters_alone(harness, body):
    source = (REFERENCE.read_text() + "\n\nclass DeepNeuralNetwork(DeepNeuralNetwork):\n"
              "    def backward_propagation(self, X, Y):\n" + body)
    outcomes = harness.grade(source, parts=[PART])
    assert not outcomes[(PART, "parameters_untouched")].passed
    assert [name for (_, name), o in outcomes.items() if o.passed] in ([], ["returns_gradient_dict"])
