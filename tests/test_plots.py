"""The feedback page's plots, drawn from hand-made artifacts: fast, no workers."""
import base64
import math
import xml.etree.ElementTree as ET

from autograder.outputs import plots

SVG = "{http://www.w3.org/2000/svg}"
NORMS = {"layers": [1, 2, 3], "expected": [1e-4, 1e-2, 1.0], "student": [3.2e-3, 0.32, 32.0]}
BATCHNORM = {"features": [1, 2], "expected": [[-1.0, 1.0], [0.5, -0.5]], "student": [[-1.1, 1.1], [0.5, -0.5]]}


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


def test_each_probe_becomes_one_captioned_svg_under_its_part():
    found = plots.images({"probe.part2": NORMS, "probe.part6": BATCHNORM, "part2.finite_differences": {"x": 1}})
    assert set(found) == {"part2", "part6"}
    for items in found.values():
        (caption, uri, (headers, rows)), = items
        assert caption and parsed(uri).get("width") == "600"
        assert headers and rows and all(len(row) == len(headers) for row in rows)


def test_no_artifacts_means_no_plots():
    assert plots.images({}) == {} and plots.images(None) == {}


def test_the_gradient_plot_has_both_lines_axis_labels_and_a_legend():
    root = parsed(plots.gradient_norms(NORMS)[1])
    correct, yours = series(root, "correct"), series(root, "yours")
    assert polylines(correct)[0] and polylines(yours)[0]
    assert polylines(correct)[0][0][0] == polylines(yours)[0][0][0]  # layer 1 at the same x
    words = texts(root)
    assert {"layer", "‖dW‖ (log scale)", "correct", "yours", "1", "2", "3"} <= set(words)
    assert "10−4" in words and "100" in words   # decade ticks: 10 to the -4 ... 10 to the 0


def test_the_log_axis_puts_small_norms_below_large_ones():
    line, = polylines(series(parsed(plots.gradient_norms(NORMS)[1]), "correct"))
    heights = [y for _, y in line]   # SVG y grows downwards: 1e-4 is drawn lowest
    assert heights[0] > heights[1] > heights[2]
    # A constant factor is a constant distance: 1e-4 -> 1e-2 -> 1 are equal steps.
    assert math.isclose(heights[0] - heights[1], heights[1] - heights[2], rel_tol=1e-3)


def test_a_layer_that_cannot_be_drawn_breaks_the_students_line_instead_of_bridging_it():
    data = {"layers": [1, 2, 3, 4, 5], "expected": [1e-4, 1e-3, 1e-2, 0.1, 1.0],
            "student": [1e-3, 2e-3, None, 1.0, 10.0]}
    caption, uri = plots.gradient_norms(data)
    root = parsed(uri)
    correct_xs = [x for x, _ in polylines(series(root, "correct"))[0]]
    lines = polylines(series(root, "yours"))
    assert [[x for x, _ in line] for line in lines] == [correct_xs[:2], correct_xs[3:]]
    assert "Not shown for layer 3: missing, wrong shape, zero or not finite." in caption


def test_layers_that_cannot_go_on_a_log_scale_are_named_in_the_caption():
    data = dict(NORMS, student=[None, 0.0, math.inf])
    caption, uri = plots.gradient_norms(data)
    assert caption.endswith(" Not shown for layer 1, 2, 3: missing, wrong shape, zero or not finite.")
    root = parsed(uri)
    assert series(root, "yours") is None and "yours" not in texts(root)  # only the correct line
    assert series(root, "correct") is not None


def test_odd_gradient_norms_still_draw_a_plot():
    for data in ({"layers": [1], "expected": [0.5], "student": [0.5]},
                 {"layers": [1, 2, 3], "expected": [2e-3] * 3, "student": [2e-3] * 3},
                 {"layers": [1, 2, 3], "expected": [1e-300, 1.0, 1e300], "student": [5e-324, 1e308, "x"]},
                 {"layers": [1, 2], "expected": [None, math.nan], "student": [-1.0, True]}):
        root = parsed(plots.gradient_norms(data)[1])
        assert not any(word in ET.tostring(root, encoding="unicode") for word in ("nan", "inf"))


def test_the_scatter_has_one_marker_shape_per_feature_and_the_equal_line():
    root = parsed(plots.batchnorm_scatter(BATCHNORM)[1])
    assert len(series(root, "feature 1").findall(f".//{SVG}circle")) == 2
    assert series(root, "feature 2").find(f"{SVG}path") is not None   # squares, not circles
    assert {"feature 1", "feature 2", "equal", "Keras BatchNormalization output",
            "your batch_normalize output"} <= set(texts(root))
    equal = [line for line in root.iter(f"{SVG}polyline") if line.get("stroke") == "#000000"]
    assert equal and equal[0].get("stroke-dasharray")


def test_missing_activations_are_left_out_of_the_scatter():
    data = dict(BATCHNORM, student=[[None, 1.0], [math.nan, None]])
    root = parsed(plots.batchnorm_scatter(data)[1])
    assert len(series(root, "feature 1").findall(f".//{SVG}circle")) == 1
    assert series(root, "feature 2") is None


def test_a_scatter_with_no_points_is_still_an_empty_plot_with_axes():
    data = dict(BATCHNORM, student=[[None, None], [None, math.inf]])
    root = parsed(plots.batchnorm_scatter(data)[1])
    assert root.find(f".//{SVG}rect[@stroke='#333333']") is not None   # the frame
    assert "Keras BatchNormalization output" in texts(root) and "equal" not in texts(root)


def test_the_same_data_draws_the_same_bytes():
    # Feedback pages are reproducible byte for byte, images included.
    assert plots.gradient_norms(NORMS) == plots.gradient_norms(NORMS)
    assert plots.batchnorm_scatter(BATCHNORM) == plots.batchnorm_scatter(BATCHNORM)
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
