"""Part 6 (batch_normalize): Keras, the NumPy mirror and the reference solution agree;
correct variants get full marks, and each mutant loses points in Part 6 only, with its
mistake named when its header says it should be."""

import numpy as np
import pytest

from autograder.checks import CheckFailed
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
    np.testing.assert_allclose(AL, ref.network_forward((3, 4, 3, 1), "tanh", parameters, X, 0.01)[0], rtol=1e-13)
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


# -- naming mistakes ------------------------------------------------------------------

REPLAYED = ref.OUT_MISTAKES + ref.RUNNING_MISTAKES + ("test_uses_batch_stats",)


@pytest.mark.parametrize("mistake", REPLAYED)
def test_every_replayed_mistake_changes_the_answer_on_a_fixed_case(mistake):
    c = case(FIXED[0])
    mode = "test" if mistake == "test_uses_batch_stats" else "train"
    right = ref.batchnorm(MEMO, c.Z, *c.state(), c.momentum, c.epsilon, mode)
    wrong = ref.batchnorm(MEMO, c.Z, *c.state(), c.momentum, c.epsilon, mode, mistake)
    assert any(wrong[k].shape != right[k].shape or not np.allclose(wrong[k], right[k])
               for k in ("out", "running_mean", "running_var"))


@pytest.mark.parametrize("mistake", ref.OUT_MISTAKES + ref.RUNNING_MISTAKES)
def test_the_train_check_names_each_replayed_mistake(mistake):
    c = case(FIXED[0])
    wrong = ref.batchnorm(MEMO, c.Z, *c.state(), c.momentum, c.epsilon, "train", mistake)
    running_mean = {**c.running_mean, c.layer: wrong["running_mean"]}
    running_var = {**c.running_var, c.layer: wrong["running_var"]}

    class Student:
        def call_method(self, stub, init, attributes, calls, read):
            return {"calls": [{"result": wrong["out"], "args_after": [c.Z.copy(), c.layer, "train"],
                               "kwargs_after": {}}],
                    "read": {"cache": {}, "running_mean": running_mean, "running_var": running_var,
                             "parameters": c.parameters}}

    with pytest.raises(CheckFailed) as failure:
        checks._train_case(Student(), MEMO, c)
    assert failure.value.mistake == mistake, failure.value.feedback


def test_the_names_of_replayed_mistakes_all_have_hints():
    assert set(REPLAYED + ref.TEST_OUT_MISTAKES) <= set(ref.MISTAKES)


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
