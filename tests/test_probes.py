"""The probes behind the feedback page's plots, against real sandboxed workers."""
import numpy as np
import pytest

from autograder import config
from autograder.outputs import probes
from autograder.pipeline import release
from autograder.pipeline.extract import extract
from autograder.pipeline.grade import WorkerSupply
from autograder.sandbox.student import Student

from harness import REFERENCE

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
    """probe(source) -> the artifacts collect() stores for that submission."""
    grading = config.load()
    try:
        kit = release.kit_statements(grading)
    except FileNotFoundError:  # before the first `make release`: the reference is a complete kit
        kit = extract([{"index": 0, "source": REFERENCE.read_text()}])[0]
    supply = WorkerSupply(grading.limits, hide=())

    def run(source):
        statements = extract([{"index": 0, "source": source}])[0]
        worker = supply.take()
        try:
            stubs = worker.call("load", grading.limits.load_timeout, kit=kit, student=statements)["stubs"]
            return probes.collect(Student(worker, grading.limits.call_timeout), stubs, None)
        finally:
            worker.remove()

    yield run
    supply.close()


def test_the_reference_solution_matches_the_expected_gradient_norms_and_keras(probe):
    artifacts = probe(REFERENCE.read_text())
    norms = artifacts["probe.part2"]
    assert norms["layers"] == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(norms["student"], norms["expected"], rtol=1e-10)
    bn = artifacts["probe.part6"]
    np.testing.assert_allclose(bn["student"], bn["expected"], rtol=1e-9, atol=1e-12)
    assert np.shape(bn["expected"]) == (3, probes.BN_EXAMPLES)


def test_the_deep_sigmoid_network_shows_vanishing_gradients(probe):
    # The plot is meant to show the lab's point: the first layer's gradient is the smallest.
    expected = probe(REFERENCE.read_text())["probe.part2"]["expected"]
    assert expected == sorted(expected) and expected[-1] / expected[0] > 10


def test_a_missing_factor_of_m_shows_as_a_constant_gap(probe):
    norms = probe(NO_ONE_OVER_M)["probe.part2"]
    ratios = np.array(norms["student"]) / np.array(norms["expected"])
    np.testing.assert_allclose(ratios, probes.BACKPROP_EXAMPLES, rtol=1e-9)


def test_unbiased_variance_moves_the_points_off_the_keras_line(probe):
    bn = probe(REFERENCE.read_text() + UNBIASED_VARIANCE)["probe.part6"]
    assert not np.allclose(bn["student"], bn["expected"], rtol=1e-6)
    np.testing.assert_allclose(bn["student"], bn["expected"], rtol=0.05, atol=0.05)


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


def test_the_reference_values_are_computed_once_per_process():
    parameters, X, Y = probes.backprop_inputs()
    first = probes.reference_dw_norms(parameters, X, Y)
    assert probes.reference_dw_norms(*probes.backprop_inputs()) is first
