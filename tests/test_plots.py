"""The feedback page's plots, drawn from hand-made chart records: fast, no workers.

The records are made by the parts' own chart builders (the data their probes collect);
plots.py draws them knowing no part.
"""
import base64
import dataclasses
import math
import xml.etree.ElementTree as ET

from autograder.checks.part2_backprop import norms_chart
from autograder.checks.part6_batchnorm import activations_chart
from autograder.outputs import plots

SVG = "{http://www.w3.org/2000/svg}"


def log_lines(expected, student):
    """A log_lines chart record (as stored: a dict) of per-layer norms."""
    return dataclasses.asdict(norms_chart(expected, student))


def points(expected, student):
    """A scatter chart record (as stored: a dict) of activations, one row per feature."""
    return dataclasses.asdict(activations_chart(expected, student))


NORMS = log_lines([1e-4, 1e-2, 1.0], [3.2e-3, 0.32, 32.0])
BATCHNORM = points([[-1.0, 1.0], [0.5, -0.5]], [[-1.1, 1.1], [0.5, -0.5]])


def parsed(uri):
    """The SVG root of a plot's data URI; fails unless it is a well-formed, scalable SVG document."""
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    root = ET.fromstring(base64.b64decode(uri[len(prefix):]))
    assert root.tag == f"{SVG}svg"
    width, height = float(root.get("width")), float(root.get("height"))
    assert root.get("viewBox") == f"0 0 {width:g} {height:g}"
    assert root.find(f"{SVG}title").text
    return root


def series(root, label):
    return root.find(f".//{SVG}g[@data-series='{label}']")


def polylines(group):
    """Each polyline of a series as its [(x, y)] vertices."""
    return [[tuple(map(float, point.split(","))) for point in line.get("points").split()]
            for line in group.iter(f"{SVG}polyline")]


def texts(root):
    return ["".join(text.itertext()) for text in root.iter(f"{SVG}text")]


def test_each_chart_becomes_one_captioned_svg_under_its_part():
    found = plots.images({"probe.part2": NORMS, "probe.part6": BATCHNORM, "part2.finite_differences": {"x": 1},
                          "probe.part9": {"kind": "pie"}})
    assert set(found) == {"part2", "part6"}
    for items in found.values():
        (caption, uri, (headers, rows)), = items
        assert caption and parsed(uri).get("width") == "600"
        assert headers and rows and all(len(row) == len(headers) for row in rows)


def test_no_artifacts_means_no_plots():
    assert plots.images({}) == {} and plots.images(None) == {}


def test_the_gradient_plot_has_both_lines_axis_labels_and_a_legend():
    root = parsed(plots.log_lines(NORMS))
    correct, yours = series(root, "correct"), series(root, "yours")
    assert polylines(correct)[0] and polylines(yours)[0]
    assert polylines(correct)[0][0][0] == polylines(yours)[0][0][0]  # layer 1 at the same x
    words = texts(root)
    assert {"layer", "‖dW‖ (log scale)", "correct", "yours", "1", "2", "3"} <= set(words)
    assert "10−4" in words and "100" in words   # decade ticks: 10 to the -4 ... 10 to the 0


def test_the_log_axis_puts_small_norms_below_large_ones():
    line, = polylines(series(parsed(plots.log_lines(NORMS)), "correct"))
    heights = [y for _, y in line]   # SVG y grows downwards: 1e-4 is drawn lowest
    assert heights[0] > heights[1] > heights[2]
    # A constant factor is a constant distance: 1e-4 -> 1e-2 -> 1 are equal steps.
    assert math.isclose(heights[0] - heights[1], heights[1] - heights[2], rel_tol=1e-3)


def test_a_layer_that_cannot_be_drawn_breaks_the_students_line_instead_of_bridging_it():
    data = log_lines([1e-4, 1e-3, 1e-2, 0.1, 1.0], [1e-3, 2e-3, None, 1.0, 10.0])
    root = parsed(plots.log_lines(data))
    correct_xs = [x for x, _ in polylines(series(root, "correct"))[0]]
    lines = polylines(series(root, "yours"))
    assert [[x for x, _ in line] for line in lines] == [correct_xs[:2], correct_xs[3:]]
    assert "Not shown for layer 3: missing, wrong shape, zero or not finite." in data["caption"]


def test_layers_that_cannot_go_on_a_log_scale_are_named_in_the_caption():
    data = log_lines([1e-4, 1e-2, 1.0], [None, 0.0, math.inf])
    assert data["caption"].endswith(" Not shown for layer 1, 2, 3: missing, wrong shape, zero or not finite.")
    root = parsed(plots.log_lines(data))
    assert series(root, "yours") is None and "yours" not in texts(root)  # only the correct line
    assert series(root, "correct") is not None


def test_odd_gradient_norms_still_draw_a_plot():
    for data in (log_lines([0.5], [0.5]), log_lines([2e-3] * 3, [2e-3] * 3),
                 log_lines([1e-300, 1.0, 1e300], [5e-324, 1e308, "x"]), log_lines([None, math.nan], [-1.0, True])):
        root = parsed(plots.log_lines(data))
        assert not any(word in ET.tostring(root, encoding="unicode") for word in ("nan", "inf"))


def test_the_scatter_has_one_marker_shape_per_feature_and_the_equal_line():
    root = parsed(plots.scatter(BATCHNORM))
    assert len(series(root, "feature 1").findall(f".//{SVG}circle")) == 2
    assert series(root, "feature 2").find(f"{SVG}path") is not None   # squares, not circles
    assert {"feature 1", "feature 2", "equal", "Keras BatchNormalization output",
            "your batch_normalize output"} <= set(texts(root))
    equal = [line for line in root.iter(f"{SVG}polyline") if line.get("stroke") == "#000000"]
    assert equal and equal[0].get("stroke-dasharray")


def test_missing_activations_are_left_out_of_the_scatter():
    data = points([[-1.0, 1.0], [0.5, -0.5]], [[None, 1.0], [math.nan, None]])
    root = parsed(plots.scatter(data))
    assert len(series(root, "feature 1").findall(f".//{SVG}circle")) == 1
    assert series(root, "feature 2") is None


def test_a_scatter_with_no_points_is_still_an_empty_plot_with_axes():
    data = points([[-1.0, 1.0], [0.5, -0.5]], [[None, None], [None, math.inf]])
    root = parsed(plots.scatter(data))
    assert root.find(f".//{SVG}rect[@stroke='#333333']") is not None   # the frame
    assert "Keras BatchNormalization output" in texts(root) and "equal" not in texts(root)


def test_the_same_data_draws_the_same_bytes():
    # Feedback pages are reproducible byte for byte, images included.
    assert plots.log_lines(NORMS) == plots.log_lines(NORMS)
    assert plots.scatter(BATCHNORM) == plots.scatter(BATCHNORM)
    assert plots.histogram([1, 2, 2], 10, "Part 2") == plots.histogram([1, 2, 2], 10, "Part 2")


def test_text_in_a_plot_is_escaped():
    root = parsed(plots.histogram([1], 10, "<Part & 2>"))
    assert "<Part & 2>" in texts(root)


def test_a_histogram_has_a_bar_per_occupied_score_centred_on_it():
    root = parsed(plots.histogram([0, 2.5, 10, 10], 10, "Part 2"))
    assert (root.get("width"), root.get("height")) == ("450", "260")
    bars = root.findall(f".//{SVG}g[@fill='{plots.BLUE}']/{SVG}rect")
    heights = [float(bar.get("height")) for bar in bars]
    assert len(bars) == 3 and heights[0] == heights[1] == heights[2] / 2   # 0, 2.5 (in [2.5, 3.5)), 10 twice
    words = texts(root)
    assert {"points (of 10)", "submissions", "Part 2", "0", "1", "2"} <= set(words)
    assert "0.5" not in words   # counts are whole numbers


def test_a_large_maximum_is_binned_in_twentieths():
    root = parsed(plots.histogram([40, 41.5, 45, 45], 45, "Total"))
    bars = root.findall(f".//{SVG}g[@fill='{plots.BLUE}']/{SVG}rect")
    assert len(bars) == 2   # 40 and 41.5 share the bin centred on 40.5; 45 has its own
    assert "points (of 45)" in texts(root)
