"""Part 6 (batch_normalize): Keras, the NumPy mirror and the reference solution agree; each
replayed mistake of the table differs from the mirror on the public checks' inputs and is named
by them; every id the checks give is in the table; correct variants get full marks."""

import ast
import inspect

import numpy as np
import pytest

from autograder import config, mistakes
from autograder.checks import CheckFailed
from autograder.checks.common import ATOL, RTOL, Context, within
from autograder.checks import part6_batchnorm as checks
from autograder.references import part6_batchnorm as ref
from autograder.references import Memo
from harness import CORPORA, REFERENCE, corpus_source, graded

MEMO = Memo()  # the references' cache, as a grading process's Grader holds one

PART = "part6"
VARIANTS = sorted((CORPORA / "correct").glob("variant_p6_*.py"))
FIXED = [  # layer_dims, layer, m, momentum, epsilon
    ((3, 4, 4, 4, 1), 2, 6, 0.7, 0.3),
    ((2, 3, 1), 1, 4, 0.95, 1e-3),
    ((4, 5, 5, 1), 2, 8, 0.9, 1e-5),
    ((2, 3, 3, 1), 1, 1, 0.0, 1e-2),   # one example: var = 0
    ((2, 1, 1), 1, 2, 0.99, 1.0),
]


def case(spec, seed=0):
    return checks.make_case(np.random.default_rng(seed), *spec)


def reference_namespace():
    namespace = {"__name__": "reference"}
    exec(REFERENCE.read_text(), namespace)
    return namespace


def reference_solution(c, mode):
    """The reference solution's batch_normalize on case `c`: (out, network after the call)."""
    net = reference_namespace()["BatchNormNetwork"](list(c.layer_dims), "relu", "he", True, c.momentum, c.epsilon)
    net.parameters = {k: v.copy() for k, v in c.parameters.items()}
    net.running_mean = {k: v.copy() for k, v in c.running_mean.items()}
    net.running_var = {k: v.copy() for k, v in c.running_var.items()}
    return net.batch_normalize(c.Z.copy(), c.layer, mode), net


# -- the references agree ------------------------------------------------------------

@pytest.mark.parametrize("spec", FIXED)
@pytest.mark.parametrize("mode", ["train", "test"])
def test_keras_agrees_with_the_numpy_mirror(spec, mode):
    c = case(spec)
    keras = ref.keras_batchnorm(MEMO, c.Z, *c.state(), c.momentum, c.epsilon, mode == "train")
    mirror = ref.batchnorm(MEMO, c.Z, *c.state(), c.momentum, c.epsilon, mode)
    for key in ("out", "running_mean", "running_var"):
        np.testing.assert_allclose(keras[key], mirror[key], rtol=1e-12, atol=1e-14, err_msg=key)


@pytest.mark.parametrize("spec", FIXED)
@pytest.mark.parametrize("mode", ["train", "test"])
def test_the_reference_solution_agrees_with_keras(spec, mode):
    c = case(spec)
    keras = ref.keras_batchnorm(MEMO, c.Z, *c.state(), c.momentum, c.epsilon, mode == "train")
    out, net = reference_solution(c, mode)
    np.testing.assert_allclose(out, keras["out"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(net.running_mean[c.layer], keras["running_mean"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(net.running_var[c.layer], keras["running_var"], rtol=1e-12, atol=1e-14)
    if mode == "train":
        mirror = ref.batchnorm(MEMO, c.Z, *c.state(), c.momentum, c.epsilon, mode)
        for key in ("Z_norm", "mu", "var"):
            np.testing.assert_allclose(net.cache[f"{key}{c.layer}"], mirror[key], rtol=1e-12, atol=1e-14)


def test_keras_updates_the_moving_variance_with_the_biased_batch_variance():
    # Keras 3: moving = moving * momentum + batch * (1 - momentum), batch variance over m, not m - 1.
    Z = np.array([[1.0, 2.0, 4.0, 7.0]])
    ones, zeros = np.ones((1, 1)), np.zeros((1, 1))
    keras = ref.keras_batchnorm(MEMO, Z, ones, zeros, zeros, ones, 0.75, 1e-3, True)
    assert keras["running_mean"][0, 0] == pytest.approx(0.75 * 0 + 0.25 * 3.5, rel=1e-14)
    assert keras["running_var"][0, 0] == pytest.approx(0.75 * 1 + 0.25 * np.var(Z), rel=1e-14)
    assert keras["running_var"][0, 0] != pytest.approx(0.75 * 1 + 0.25 * np.var(Z, ddof=1), rel=1e-6)


def test_one_reused_keras_layer_answers_like_a_fresh_one():
    import keras

    c = case(FIXED[0])
    ref.keras_batchnorm(MEMO, *[np.ones((4, 3)), *c.state(), 0.5, 0.5, True])  # leave other settings behind
    got = ref.keras_batchnorm(MEMO, c.Z, *c.state(), c.momentum, c.epsilon, True)
    layer = keras.layers.BatchNormalization(momentum=c.momentum, epsilon=c.epsilon, dtype="float64")
    layer.build((None, 4))
    layer.set_weights([np.ravel(a) for a in c.state()])
    out = layer(c.Z.T, training=True).numpy().T
    np.testing.assert_array_equal(got["out"], out)
    np.testing.assert_array_equal(got["running_var"].ravel(), layer.moving_variance.numpy())


def test_finite_differences_agree_with_the_reference_kit_backward_pass():
    rng = np.random.default_rng(3)
    c = checks.make_case(rng, (3, 4, 3, 1), 1, 6, 0.8, 0.01)
    parameters = {k: (rng.normal(size=v.shape) if k.startswith("W") else v) for k, v in c.parameters.items()}
    X = rng.normal(size=(3, 6))
    Y = np.array([[1.0, 0.0, 0.0, 1.0, 1.0, 0.0]])
    net = reference_namespace()["BatchNormNetwork"]([3, 4, 3, 1], "tanh", "he", True, 0.8, 0.01)
    net.parameters = {k: v.copy() for k, v in parameters.items()}
    AL = net.forward_propagation(X.copy(), "train")
    np.testing.assert_allclose(AL, ref.network_output(MEMO, (3, 4, 3, 1), "tanh", parameters, X, 0.01), rtol=1e-13)
    got = net.backward_propagation(X, Y)
    fd = ref.finite_differences(MEMO, (3, 4, 3, 1), "tanh", parameters, X, Y, 0.01)
    assert set(fd) == set(got)
    for key in fd:
        np.testing.assert_allclose(got[key], fd[key], rtol=checks.FD_RTOL, atol=checks.FD_ATOL, err_msg=key)
    # Biases feeding batch norm have a true gradient of ~0: only an absolute tolerance fits them.
    assert np.max(np.abs(got["db1"])) < 1e-12 and np.max(np.abs(fd["db1"])) < 1e-8


def test_memoised_references_return_the_same_object_for_equal_inputs():
    a, b = case(FIXED[1]), case(FIXED[1])
    first = ref.keras_batchnorm(MEMO, a.Z, *a.state(), 0.9, 1e-3, True)
    assert ref.keras_batchnorm(MEMO, b.Z, *b.state(), 0.9, 1e-3, True) is first


# -- the mistakes table ------------------------------------------------------------------

# The standard inputs: the calls the public checks make, drawn as they draw them under the
# seed of grading.toml and two others: train_mode_matches_keras and cache_for_backward in 'train'
# mode, test_mode_matches_keras in 'test' mode.
SEEDS = (config.load().seed, 1, 2)


def standard_inputs(seed):
    """[(Case, mode)] of the public checks under `seed`."""
    def rng(check):
        return Context(seed, PART, check).rng("cases")

    train = checks.drawn(rng("train_mode_matches_keras"), checks.TRAIN_CASES)
    train.append(checks.make_case(rng("cache_for_backward"), *checks.CACHE_CASE))
    test = checks.drawn(rng("test_mode_matches_keras"), checks.TEST_CASES)
    return [(c, "train") for c in train] + [(c, "test") for c in test]


def arguments(c, mode):
    """batchnorm()'s arguments after the memo for case `c` in `mode`."""
    return (c.Z, *c.state(), c.momentum, c.epsilon, mode)


def differs(answer, truth):
    """True when a check would tell `answer` from the truth: a key with another shape, or an entry
    outside the checks' tolerances (what expect_array allows)."""
    return any(answer[key].shape != truth[key].shape or not within(answer[key], truth[key], RTOL, ATOL).all()
               for key in truth)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mistake", ref.MISTAKES.replayable(), ids=lambda entry: entry.id)
def test_every_replayable_mistake_differs_from_the_reference_on_the_standard_inputs(mistake, seed):
    # Where it answers, its answer has the reference's keys; on some standard input it differs by
    # more than the checks allow (epsilon = 1e-5 in the running variance does not, for one).
    answers = [(mistake.wrong(MEMO, *arguments(c, mode)), ref.batchnorm(MEMO, *arguments(c, mode)))
               for c, mode in standard_inputs(seed)]
    answers = [(wrong, truth) for wrong, truth in answers if wrong is not None]
    assert all(set(wrong) == set(truth) for wrong, truth in answers)
    assert any(differs(wrong, truth) for wrong, truth in answers)


class AnswersAsMistake:
    """A stand-in for the worker whose batch_normalize computes what `mistake` does (the truth
    where the mistake gives no answer), on whatever call a check makes."""

    def __init__(self, mistake):
        self.mistake = mistake

    def call_method(self, stub, init, attributes, calls, read):
        (method, (Z, layer, mode), _), = calls
        parameters, running_mean, running_var = (attributes[k] for k in ("parameters", "running_mean", "running_var"))
        args = (Z, parameters[f"gamma{layer}"], parameters[f"beta{layer}"], running_mean[layer],
                running_var[layer], attributes["momentum"], attributes["epsilon"], mode)
        answer = self.mistake.wrong(MEMO, *args) or ref.batchnorm(MEMO, *args)
        cache = dict(attributes["cache"])
        if mode == "train":
            cache.update({f"{key}{layer}": answer[key].copy() for key in ("Z_norm", "mu", "var")})
        return {"calls": [{"result": answer["out"].copy(), "args_after": [Z.copy(), layer, mode], "kwargs_after": {}}],
                "read": {"cache": cache, "parameters": parameters,
                         "running_mean": {**running_mean, layer: answer["running_mean"].copy()},
                         "running_var": {**running_var, layer: answer["running_var"].copy()}}}


PUBLIC = (checks.train_mode_matches_keras, checks.test_mode_matches_keras, checks.cache_for_backward)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mistake", ref.MISTAKES.replayable(), ids=lambda entry: entry.id)
def test_the_first_public_check_a_replayed_mistake_fails_names_it(mistake, seed):
    student = AnswersAsMistake(mistake)
    for public in PUBLIC:
        try:
            public(student, Context(seed, PART, public.check.name, memo=MEMO))
        except CheckFailed as failure:
            assert failure.mistake == mistake.id, failure.feedback
            assert f"Likely mistake: {mistake.hint}" in failure.feedback
            return
    pytest.fail(f"no public check fails on a stub that answers as {mistake.id} does")


def mistake_ids_in(module):
    """Every mistake id written as a literal in `module`'s source where a mistake id goes: the second
    argument of CheckFailed, MISTAKES.hint(...), an argument of one of its functions named `mistake`
    (also through functools.partial), a value given to a name `mistake`, returned by a function
    named *_mistake, or first of a yielded pair."""
    found = set()

    def strings(node):
        return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}

    def bound(function, args, keywords):
        try:
            bound = inspect.signature(function).bind_partial(*args, **keywords).arguments
        except TypeError:
            return set()
        return strings(bound["mistake"]) if "mistake" in bound else set()

    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            if name == "CheckFailed" and len(node.args) > 1:
                found |= strings(node.args[1])
            elif name == "hint":
                found |= strings(node.args[0])
            elif name == "partial" and isinstance(node.args[0], ast.Name):
                found |= bound(getattr(module, node.args[0].id), node.args[1:], keywords)
            elif isinstance(node.func, ast.Name) and inspect.isfunction(getattr(module, name, None)):
                found |= bound(getattr(module, name), node.args, keywords)
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "mistake" for t in node.targets):
            found |= strings(node.value)
        elif isinstance(node, ast.FunctionDef) and node.name.endswith("_mistake"):
            found |= {s for r in ast.walk(node) if isinstance(r, ast.Return) and r.value for s in strings(r.value)}
        elif isinstance(node, ast.Yield) and isinstance(node.value, ast.Tuple):
            found |= strings(node.value.elts[0])
    return found


def test_every_mistake_the_checks_name_is_in_the_table_and_every_unreplayed_one_is_named():
    named = mistake_ids_in(checks)
    assert named - set(ref.MISTAKES) == set()
    assert {entry.id for entry in ref.MISTAKES.values() if entry.wrong is None} - named == set()
    assert not set(ref.MISTAKES) & set(mistakes.GENERIC)


def test_every_mistake_has_a_hint_for_the_student_and_a_line_for_the_class_report():
    for entry in ref.MISTAKES.values():
        assert entry.hint.endswith(".") and entry.summary and len(entry.summary) <= 70, entry.id


def test_a_mistake_replays_on_batchnorms_arguments():
    assert ref.MISTAKES.varies == (ref.batchnorm,)
    parameters = list(inspect.signature(ref.batchnorm).parameters)
    for entry in ref.MISTAKES.replayable():
        assert list(inspect.signature(entry.wrong).parameters) == parameters, entry.id


# -- the checks ---------------------------------------------------------------------


def test_grading_the_same_mutant_twice_gives_the_same_feedback(harness):
    source = corpus_source(REFERENCE, CORPORA / "mutants" / f"{PART}_clipped_output.py")
    first, second = harness.grade(source, parts=[PART]), harness.grade(source, parts=[PART])
    assert [(k, o.passed, o.feedback) for k, o in first.items()] == \
           [(k, o.passed, o.feedback) for k, o in second.items()]


def test_feedback_shows_the_input_the_mismatch_and_the_likely_mistake(harness):
    outcomes = graded(harness, CORPORA / "mutants" / f"{PART}_swapped_momentum.py")
    feedback = outcomes[(PART, "train_mode_matches_keras")].feedback
    assert "`self.running_mean[2]` differs from the expected value: at index" in feedback
    assert "Likely mistake: the momentum weighs the old running value" in feedback
    assert "layer_dims=[3, 4, 4, 4, 1]" in feedback and "momentum=0.7, epsilon=0.3" in feedback
    assert "batch_normalize(Z, layer_num=2, mode='train') with Z = [[" in feedback


def test_a_shrunk_property_example_is_small(harness):
    outcomes = graded(harness, CORPORA / "mutants" / f"{PART}_unbiased_variance.py")
    feedback = outcomes[(PART, "normalised_statistics")].feedback
    assert "Smallest input found: BatchNormNetwork(layer_dims=[2, 1, 1, 1]" in feedback


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1, 6))
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda p: p.stem)
def test_a_correct_variant_passes_with_other_seeds(harness, variant, seed):
    outcomes = harness.grade(corpus_source(REFERENCE, variant), parts=[PART], seed=seed)
    assert {k: o.feedback for k, o in outcomes.items() if not o.passed} == {}


@pytest.mark.parametrize("body", ["        return Z\n", "        return Z.copy()\n", "        return None\n"])
def test_a_batch_normalize_that_normalises_nothing_gets_no_point_for_passing_z_through(harness, body):
    source = (REFERENCE.read_text() + "\n\nclass BatchNormNetwork(BatchNormNetwork):\n"
              "    def batch_normalize(self, Z, layer_num, mode='train'):\n" + body)
    outcomes = harness.grade(source, parts=[PART])
    assert [name for (_, name), o in outcomes.items() if o.passed] == []
