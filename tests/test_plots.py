"""The feedback page's plots, drawn from hand-made artifacts: fast, no workers."""
import base64
import math

from autograder import plots

PNG_START = b"\x89PNG\r\n\x1a\n"
NORMS = {"layers": [1, 2, 3], "expected": [1e-4, 1e-2, 1.0], "student": [3.2e-3, 0.32, 32.0]}
BATCHNORM = {"features": [1, 2], "expected": [[-1.0, 1.0], [0.5, -0.5]], "student": [[-1.1, 1.1], [0.5, -0.5]]}


def decoded(uri):
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    return base64.b64decode(uri[len(prefix):])


def test_each_probe_becomes_one_captioned_png_under_its_part():
    found = plots.images({"probe.part2": NORMS, "probe.part6": BATCHNORM, "part2.finite_differences": {"x": 1}})
    assert set(found) == {"part2", "part6"}
    for items in found.values():
        (caption, uri), = items
        assert caption and decoded(uri).startswith(PNG_START)


def test_no_artifacts_means_no_plots():
    assert plots.images({}) == {} and plots.images(None) == {}


def test_layers_that_cannot_go_on_a_log_scale_are_named_in_the_caption():
    data = dict(NORMS, student=[None, 0.0, math.inf])
    caption, uri = plots.gradient_norms(data)
    assert "layer 1, 2, 3" in caption
    assert decoded(uri).startswith(PNG_START)


def test_missing_activations_are_left_out_of_the_scatter():
    data = dict(BATCHNORM, student=[[None, 1.0], [None, None]])
    caption, uri = plots.batchnorm_scatter(data)
    assert decoded(uri).startswith(PNG_START)


def test_the_same_data_draws_the_same_bytes():
    # Feedback pages are reproducible byte for byte, images included.
    assert plots.gradient_norms(NORMS) == plots.gradient_norms(NORMS)


def test_a_histogram_is_an_embedded_png():
    assert decoded(plots.histogram([0, 2.5, 10, 10], 10, "Part 2")).startswith(PNG_START)
