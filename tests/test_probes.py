"""The parts' probes behind the feedback page's plots, against real sandboxed workers."""
import numpy as np
import pytest

from autograder.checks import part2_backprop, part6_batchnorm
from autograder.pipeline.grade import charts
from autograder.pipeline.grader import Grader
from autograder.references import Memo
from autograder.references import part2_backprop as ref2
from autograder.sandbox.student import Student

from harness import REFERENCE, statements

# The reference's backward pass with `/ m` left out of dW and db.
NO_ONE_OVER_M = REFERENCE.read_text().replace("dW = (1 / m) * np.dot", "dW = np.dot").replace(
    "db = (1 / m) * np.sum", "db = np.sum")

UNBIASED_VARIANCE = '''

class BatchNormNetwork(BatchNormNetwork):
    def batch_normalize(self, Z, layer_num, mode='train'):
        gamma, beta = self.parameters[f'gamma{layer_num}'], self.parameters[f'beta{layer_num}']
        mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, ddof=1, keepdims=True)
        return gamma * (Z - mu) / np.sqrt(var + self.epsilon) + beta
'''


@pytest.fixture(scope="module")
def probe():
    """probe(source) -> the chart records the parts' probes make for that submission."""
    grader = Grader.load()
    limits = grader.settings.limits

    def run(source):
        worker = grader.supply.take()
        try:
            stubs = worker.call("load", limits.load_timeout, kit=grader.kit, student=statements(source))["stubs"]
            chosen = [part for part in grader.parts if part.probe and stubs.get(part.stub)]
            return charts(chosen, Student(worker, limits.call_timeout), grader.memo)
        finally:
            worker.remove()

    yield run
    grader.close()


def values(chart, role):
    """The values of a log_lines chart's series of `role` ("expected" or "student")."""
    return next(s["values"] for s in chart["series"] if s["role"] == role)


def test_the_reference_solution_matches_the_expected_gradient_norms_and_keras(probe):
    charts_ = probe(REFERENCE.read_text())
    norms = charts_["probe.part2"]
    assert norms["kind"] == "log_lines" and norms["x"] == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(values(norms, "student"), values(norms, "expected"), rtol=1e-10)
    bn = charts_["probe.part6"]
    assert bn["kind"] == "scatter" and [s["label"] for s in bn["series"]] == ["feature 1", "feature 2", "feature 3"]
    for group in bn["series"]:
        assert len(group["points"]) == part6_batchnorm.PROBE_EXAMPLES
        keras, yours = np.array(group["points"]).T
        np.testing.assert_allclose(yours, keras, rtol=1e-9, atol=1e-12)
    assert [row[1] for row in bn["values"]["rows"]] and len(bn["values"]["rows"]) == 3


def test_the_deep_sigmoid_network_shows_vanishing_gradients(probe):
    # The plot is meant to show the lab's point: the first layer's gradient is the smallest.
    expected = values(probe(REFERENCE.read_text())["probe.part2"], "expected")
    assert expected == sorted(expected) and expected[-1] / expected[0] > 10


def test_a_missing_factor_of_m_shows_as_a_constant_gap(probe):
    norms = probe(NO_ONE_OVER_M)["probe.part2"]
    ratios = np.array(values(norms, "student")) / np.array(values(norms, "expected"))
    np.testing.assert_allclose(ratios, part2_backprop.PROBE_EXAMPLES, rtol=1e-9)


def test_unbiased_variance_moves_the_points_off_the_keras_line(probe):
    bn = probe(REFERENCE.read_text() + UNBIASED_VARIANCE)["probe.part6"]
    keras, yours = np.array([point for group in bn["series"] for point in group["points"]]).T
    assert not np.allclose(yours, keras, rtol=1e-6)
    np.testing.assert_allclose(yours, keras, rtol=0.05, atol=0.05)


def test_a_stub_that_raises_costs_its_own_plot_only(probe):
    source = REFERENCE.read_text() + '''

class BatchNormNetwork(BatchNormNetwork):
    def batch_normalize(self, Z, layer_num, mode='train'):
        raise NotImplementedError()
'''
    assert set(probe(source)) == {"probe.part2"}


@pytest.mark.slow  # waits out a call timeout
def test_a_stub_that_hangs_costs_its_own_plot_only(probe):
    source = REFERENCE.read_text() + '''

class DeepNeuralNetwork(DeepNeuralNetwork):
    def backward_propagation(self, X, Y):
        while True:
            pass
'''
    assert "probe.part2" not in probe(source)  # and the probe returns: it does not hang with it


def test_the_reference_values_are_computed_once_per_memo():
    memo = Memo()
    parameters, X, Y = part2_backprop.probe_inputs()
    first = ref2.sigmoid_dw_norms(memo, parameters, X, Y)
    assert ref2.sigmoid_dw_norms(memo, *part2_backprop.probe_inputs()) is first
    assert ref2.sigmoid_dw_norms(Memo(), parameters, X, Y) is not first  # the cache is the memo's, nothing else's
