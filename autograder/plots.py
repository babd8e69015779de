"""Plots for the feedback page, drawn from the probes' artifacts (probes.py).

Each plot is a small PNG embedded as a data URI, so a feedback page is one
self-contained file. Colours are from the Okabe-Ito palette (safe for the
common colour-vision deficiencies), and student and reference also differ in
marker and line style, so the plot reads in greyscale too.
"""
import base64
import io
import math

BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
FEATURE_COLOURS = (BLUE, ORANGE, GREEN, VERMILLION, "#CC79A7", "#56B4E9")
SIZE = (6, 3)   # inches: readable on a phone once scaled to the screen's width
DPI = 100


def images(artifacts):
    """{part id: [(caption, "data:image/png;base64,...")]} for the artifacts that have a plot."""
    found = {}
    drawers = (("probe.part2", "part2", gradient_norms), ("probe.part6", "part6", batchnorm_scatter))
    for key, part, draw in drawers:
        data = (artifacts or {}).get(key)
        if data:
            found.setdefault(part, []).append(draw(data))
    return found


def gradient_norms(data):
    """Per-layer ||dW|| of the student's backward pass against the correct one, log scale."""
    layers, expected, got = data["layers"], data["expected"], data["student"]
    figure, axes = _figure()
    axes.plot(layers, expected, color=BLUE, marker="s", linestyle="--", linewidth=2, markersize=7,
              label="correct")
    # NaN breaks the line at a layer that cannot be drawn instead of bridging it.
    shown = [v if _plottable(v) else math.nan for v in got]
    if any(_plottable(v) for v in got):
        axes.plot(layers, shown, color=ORANGE, marker="o", linestyle="-", linewidth=1.5, markersize=5,
                  label="yours")
    axes.set_yscale("log")
    axes.set_xticks(layers)
    axes.set_xlabel("layer")
    axes.set_ylabel("‖dW‖ (log scale)")
    axes.legend(loc="best", fontsize=8)
    missing = [str(l) for l, v in zip(layers, got) if not _plottable(v)]
    caption = (f"Gradient norm per layer on a {len(layers)}-layer sigmoid network, one fixed batch: "
               "your backward_propagation against the correct gradients. "
               "On the log scale, a constant gap means a constant factor (such as 1/m).")
    if missing:
        caption += f" Not shown for layer {', '.join(missing)}: missing, wrong shape, zero or not finite."
    return caption, _png(figure)


def batchnorm_scatter(data):
    """Each normalised activation: yours (y) against Keras BatchNormalization (x), per feature."""
    figure, axes = _figure()
    low, high = math.inf, -math.inf
    for index, (feature, mine, keras) in enumerate(zip(data["features"], data["student"], data["expected"])):
        pairs = [(k, y) for k, y in zip(keras, mine) if y is not None and math.isfinite(y)]
        if not pairs:
            continue
        xs, ys = zip(*pairs)
        low, high = min(low, *xs, *ys), max(high, *xs, *ys)
        axes.scatter(xs, ys, s=12, color=FEATURE_COLOURS[index % len(FEATURE_COLOURS)],
                     marker="osD^v<>"[index % 7], label=f"feature {feature}", alpha=0.8)
    if math.isfinite(low):
        axes.plot([low, high], [low, high], color="black", linestyle="--", linewidth=1, label="equal")
    axes.set_xlabel("Keras BatchNormalization output")
    axes.set_ylabel("your batch_normalize output")
    axes.legend(loc="best", fontsize=8)
    caption = ("Train mode on 3 features x 64 examples with gamma = (1.5, 0.5, 2) and beta = (0.2, -1, 0.5): "
               "each point is one activation. Correct code puts every point on the dashed line.")
    return caption, _png(figure)


def _plottable(value):
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def _figure():
    # Imported here: only the processes that draw pay for matplotlib. No pyplot, so no
    # global figure state and no GUI backend, whatever MPLBACKEND says.
    from matplotlib.figure import Figure  # noqa: PLC0415

    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.grid(True, which="major", alpha=0.3)
    return figure, axes


def _png(figure):
    buffer = io.BytesIO()
    # No timestamps or software tags in the file: the same artifacts give the same bytes.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def histogram(scores, max_score, title):
    """Score distribution of one part (or the total) for the class report; a data URI."""
    figure, axes = _figure()
    figure.set_size_inches(4.5, 2.6)
    step = 1.0 if max_score <= 20 else max_score / 20
    edges = [i * step for i in range(int(math.ceil(max_score / step)) + 2)]
    # Each bin [k, k + step) is drawn centred on k, so "full marks" gets a bar of its own.
    axes.hist(scores, bins=[e - step / 2 for e in edges], color=BLUE, edgecolor="white")
    axes.set_xlim(-step, max_score + step)
    axes.set_xlabel(f"points (of {max_score:g})")
    axes.set_ylabel("submissions")
    axes.set_title(title, fontsize=10)
    axes.yaxis.get_major_locator().set_params(integer=True)
    return _png(figure)
