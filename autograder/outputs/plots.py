"""Plots for the feedback page and the class report: the feedback page's are drawn from chart
records (autograder/outcomes.py, Chart) that the parts' probes make, knowing no part.

Each plot is a small SVG written here by hand and embedded as a base64 data URI,
so a page stays one self-contained file. SVG, not a matplotlib PNG: a plot costs
about a millisecond instead of a third of a second of CPU per submission, it is
crisp at any width (phone or projector), and no plotting library is imported
on the grading path. Numbers are written with fixed precision, so the same
artifacts give the same bytes.

Colours are Okabe-Ito hues (safe for the common colour-vision deficiencies),
darkened where needed so every mark has 3:1 contrast with the white background
(WCAG 1.4.11), and student and reference also differ in marker and line style,
so the plot reads in greyscale too. Each plot comes with its values as a
table (`images`), its text alternative for a screen reader (WCAG 1.1.1).
"""
import base64
import bisect
import math
from collections import namedtuple
from html import escape

BLUE = "#0072B2"
# Okabe-Ito vermillion, bluish green and reddish purple darkened to at least 3:1 on white even at
# the scatter's 0.8 opacity (the palette's orange and sky blue are 1.9:1 there, so they are left out).
DARK_VERMILLION, DARK_GREEN, DARK_PURPLE = "#B35000", "#007A5E", "#8E5A9E"
FEATURE_COLOURS = (BLUE, DARK_VERMILLION, DARK_GREEN, DARK_PURPLE, "#4D4D4D")
# One shape per feature, so features differ by more than colour.
MARKERS = ("circle", "square", "diamond", "triangle-up", "triangle-down", "triangle-left", "triangle-right")
SIZE = (600, 300)            # px: readable on a phone once scaled to the screen's width
HISTOGRAM_SIZE = (450, 260)
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
URI_PREFIX = "data:image/svg+xml;base64,"

# How a series looks, in the plot and in its legend entry. line: stroke width, 0 for none;
# dash: an SVG stroke-dasharray, "" for solid.
Series = namedtuple("Series", "label colour marker radius line dash opacity", defaults=(1.0,))


def images(artifacts):
    """{part id: [(caption, "data:image/svg+xml;base64,...", (headers, rows))]} for the chart
    records in `artifacts` ("probe.<part id>": a Chart as a dict, autograder/outcomes.py); the last
    item is the plot's values, for a table under it."""
    found = {}
    for key, chart in (artifacts or {}).items():
        if key.startswith("probe.") and isinstance(chart, dict) and chart.get("kind") in DRAWERS:
            values = chart.get("values") or {}
            found.setdefault(key[len("probe."):], []).append(
                (chart["caption"], DRAWERS[chart["kind"]](chart), (values.get("headers", []), values.get("rows", []))))
    return found


# How a log_lines series looks, by its role: drawn first and thicker, so a student line right on
# top of the expected one still shows it underneath.
ROLES = {"expected": Series("", BLUE, "square", 4.5, 2.5, "7 4"),
         "student": Series("", DARK_VERMILLION, "circle", 3.5, 2.0, "")}


def log_lines(chart):
    """One value per x on a log scale, a line per series (a None, zero or infinite value is a gap);
    a series with nothing to draw is left out. Returns the SVG as a data URI."""
    xs = [float(x) for x in chart["x"]]
    # log10 of each drawable value, None where a log scale cannot show it.
    series = [(ROLES[s.get("role", "student")]._replace(label=s["label"]),
               [math.log10(v) if _plottable(v) else None for v in s["values"]]) for s in chart["series"]]
    series = [(style, ys) for style, ys in series if any(y is not None for y in ys)]
    logs = [y for _, ys in series for y in ys if y is not None]
    low, high = _log_range(min(logs, default=-1.0), max(logs, default=1.0))
    axes = _Axes(SIZE, _padded(min(xs, default=0.0), max(xs, default=1.0), 0.5), (low, high),
                 [(x, f"{x:g}", "") for x in xs], _log_ticks(low, high))
    drawn = [_line_series(axes, style, xs, ys) for style, ys in series]
    svg = axes.draw(drawn, chart["x_label"], chart["y_label"], [style for style, _ in series])
    return _uri(SIZE, chart["title"], svg)


def scatter(chart):
    """Each series' points (x: the grader's value, y: the student's), one colour and marker shape
    per series, and the line y = x over the data's range. Returns the SVG as a data URI."""
    groups = []
    for index, group in enumerate(chart["series"]):
        pairs = [(x, y) for x, y in group["points"] if _finite(x) and _finite(y)]
        if pairs:
            style = Series(group["label"], FEATURE_COLOURS[index % len(FEATURE_COLOURS)],
                           MARKERS[index % len(MARKERS)], 3.0, 0, "", 0.8)
            groups.append((style, pairs))
    values = [v for _, pairs in groups for pair in pairs for v in pair]
    # Same range on both axes, so the y = x line is the diagonal of the box.
    span = _padded(min(values, default=-1.0), max(values, default=1.0), 1.0)
    ticks = [(t, label, "") for t, label in _nice_ticks(*span)]
    axes = _Axes(SIZE, span, span, ticks, ticks)
    drawn = [_scatter_series(axes, style, pairs) for style, pairs in groups]
    legend = [style for style, _ in groups]
    if values:   # over the data's range, on top of the points
        equal = Series("equal", "#000000", None, 0, 1.2, "5 4")
        ends = [(axes.x(v), axes.y(v)) for v in (min(values), max(values))]
        drawn.append((_polyline(equal, ends), _along(ends)))
        legend.append(equal)
    svg = axes.draw(drawn, chart["x_label"], chart["y_label"], legend)
    return _uri(SIZE, chart["title"], svg)


DRAWERS = {"log_lines": log_lines, "scatter": scatter}


def histogram(scores, max_score, title):
    """Score distribution of one part (or the total) for the class report; a data URI."""
    step = 1.0 if max_score <= 20 else max_score / 20
    # Each bin [k, k + step) is drawn centred on k, so "full marks" gets a bar of its own;
    # the last bin also holds its right edge (as numpy's histogram does).
    edges = [(i - 0.5) * step for i in range(int(math.ceil(max_score / step)) + 2)]
    counts = [0] * (len(edges) - 1)
    for score in scores:
        if _finite(score) and edges[0] <= score <= edges[-1]:
            counts[min(bisect.bisect_right(edges, score) - 1, len(counts) - 1)] += 1
    top = max(counts, default=0) or 1
    yspan = (0.0, top * 1.05)   # bars stand on the axis; 5% headroom like matplotlib
    xspan = (-step, max_score + step)
    axes = _Axes(HISTOGRAM_SIZE, xspan, yspan, [(t, label, "") for t, label in _nice_ticks(*xspan)],
                 [(t, label, "") for t, label in _nice_ticks(*yspan, integer=True)], title)
    bars = [f'<rect x="{axes.x(left):.2f}" y="{axes.y(count):.2f}" width="{axes.x(right) - axes.x(left):.2f}" '
            f'height="{axes.y(0) - axes.y(count):.2f}"/>'
            for left, right, count in zip(edges, edges[1:], counts) if count]
    drawn = [(f'<g fill="{BLUE}" stroke="#ffffff" stroke-width="1">{"".join(bars)}</g>', [])]
    svg = axes.draw(drawn, f"points (of {max_score:g})", "submissions", [])
    return _uri(HISTOGRAM_SIZE, f"Histogram: {title}", svg)


# -- values -------------------------------------------------------------------------------

def _plottable(value):
    """Drawable on a log scale: a positive finite number."""
    return _finite(value) and value > 0


def _finite(value):
    return isinstance(value, (int, float)) and math.isfinite(value)


def _padded(low, high, half):
    """[low, high] with a 5% margin; a single value gets +-`half` (or 10% of itself) instead."""
    if not high - low > 1e-9 * max(abs(low), abs(high)):
        middle = low / 2 + high / 2
        half = max(half, abs(middle) * 0.1)
        low, high = middle - half, middle + half
    # Halves, so that huge ranges (-1e308..1e308) do not overflow to inf.
    margin = 0.05 * (high / 2 - low / 2) * 2
    return max(low - margin, -1.7e308), min(high + margin, 1.7e308)


def _log_range(low, high):
    """Padded log10 range that holds at least two whole decades, so the axis has labels."""
    low, high = _padded(low, high, 1.0)
    if math.floor(high) - math.ceil(low) < 1:
        low, high = math.floor(low), math.ceil(high)
        if high - low < 2:   # one decade: pad it a little, so its ticks are not on the frame
            low, high = _padded(low, high, 1.0)
    return low, high


def _log_ticks(low, high):
    """(log10 value, "10", exponent) at whole decades; every n-th decade on a very long axis."""
    every = next(n for n in (1, 2, 5, 10, 20, 50, 100, 200) if (high - low) / n <= 8)
    first = math.ceil(low / every) * every
    return [(float(k), "10", str(k).replace("-", "−")) for k in range(first, math.floor(high) + 1, every)]


def _nice_ticks(low, high, integer=False):
    """(value, label) at round steps (1, 2, 2.5 or 5 times a power of ten) covering [low, high]."""
    raw = (high / 2 - low / 2) / 4   # about eight ticks, as matplotlib (halves: no overflow)
    power = 10.0 ** math.floor(math.log10(raw))
    mantissas = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(power * m for m in mantissas if power * m >= raw * (1 - 1e-9))
    step = max(step, 1.0) if integer else step
    decimals = next((d for d in range(7) if abs(round(step, d) - step) <= 1e-9 * step), None)
    ticks = []
    for k in range(math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9) + 1):
        value = k * step
        if decimals is None or step >= 1e5:
            label = f"{value:.4g}"
        else:   # rounding first, so 0.30000000000000004 reads 0.3 and -0.0 reads 0
            label = f"{round(value, decimals) + 0.0:.{decimals}f}"
        ticks.append((value, label.replace("-", "−")))   # a typographic minus, as on the log axis
    return ticks


# -- drawing --------------------------------------------------------------------------------

class _Axes:
    """A plot box in a width x height SVG, with the data ranges it shows; y grows upwards.

    Ticks are (value, label, superscript) in the axis's own units (log10 on a log axis)."""

    def __init__(self, size, xspan, yspan, xticks, yticks, title=""):
        width, height = size
        widest = max((7.5 * len(label) + 5.5 * len(sup) for _, label, sup in yticks), default=0)
        self.left, self.right = round(26 + widest + 10), width - 14   # y label, tick labels, tick marks
        self.top, self.bottom = (30 if title else 12), height - 44
        self.xspan, self.yspan, self.xticks, self.yticks = xspan, yspan, xticks, yticks
        self.size, self.title = size, title

    def x(self, value):
        low, high = self.xspan
        return self.left + (self.right - self.left) * ((value / 2 - low / 2) / (high / 2 - low / 2))

    def y(self, value):
        low, high = self.yspan
        return self.bottom - (self.bottom - self.top) * ((value / 2 - low / 2) / (high / 2 - low / 2))

    def draw(self, drawn, xlabel, ylabel, legend):
        """The SVG elements: grid under the data, then frame, ticks, labels and legend on top.

        drawn: [(svg, pixel points)] per series; legend: the Series to name."""
        left, right, top, bottom = self.left, self.right, self.top, self.bottom
        grid = "".join([*(f"M{self.x(t):.2f} {top}V{bottom}" for t, _, _ in self.xticks),
                        *(f"M{left} {self.y(t):.2f}H{right}" for t, _, _ in self.yticks)])
        marks = "".join([*(f"M{self.x(t):.2f} {bottom}v4" for t, _, _ in self.xticks),
                         *(f"M{left} {self.y(t):.2f}h-4" for t, _, _ in self.yticks)])
        xlabels = "".join(f'<text x="{self.x(t):.2f}" y="{bottom + 18}">{_label(text, sup)}</text>'
                          for t, text, sup in self.xticks)
        ylabels = "".join(f'<text x="{left - 7}" y="{self.y(t):.2f}" dy="0.35em">{_label(text, sup)}</text>'
                          for t, text, sup in self.yticks)
        parts = [
            f'<path d="{grid}" stroke="#000000" stroke-opacity="0.1" stroke-width="1"/>' if grid else "",
            *(svg for svg, _ in drawn),
            f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="#333333"/>',
            f'<path d="{marks}" stroke="#333333"/>' if marks else "",
            f'<g font-size="13" fill="#1b1f24" text-anchor="middle">{xlabels}</g>',
            f'<g font-size="13" fill="#1b1f24" text-anchor="end">{ylabels}</g>',
            f'<g font-size="14" fill="#1b1f24" text-anchor="middle">'
            f'<text x="{(left + right) / 2:.2f}" y="{self.size[1] - 8}">{escape(xlabel)}</text>'
            f'<text transform="translate(17 {(top + bottom) / 2:.2f}) rotate(-90)">{escape(ylabel)}</text>'
            + (f'<text x="{(left + right) / 2:.2f}" y="20">{escape(self.title)}</text>' if self.title else "")
            + "</g>",
            self._legend(legend, [point for _, points in drawn for point in points]),
        ]
        return "".join(parts)

    def _legend(self, entries, points):
        """A box naming each series, in the corner where it hides the fewest data points."""
        if not entries:
            return ""
        width = 40 + 6.5 * max(len(entry.label) for entry in entries)
        height = 8 + 17 * len(entries)
        corners = [(self.left + 8, self.top + 8), (self.right - 8 - width, self.top + 8),
                   (self.right - 8 - width, self.bottom - 8 - height), (self.left + 8, self.bottom - 8 - height)]

        def hidden(corner):
            x0, y0 = corner
            return sum(1 for x, y in points if x0 - 4 <= x <= x0 + width + 4 and y0 - 4 <= y <= y0 + height + 4)

        x0, y0 = min(corners, key=hidden)   # ties: the first corner, upper left
        rows = []
        for row, entry in enumerate(entries):
            y = y0 + 12.5 + 17 * row
            sample = [(x0 + 6, y), (x0 + 30, y)]
            rows.append(_polyline(entry, sample) if entry.line else "")
            rows.append(_markers(entry, [(x0 + 18, y)]) if entry.marker else "")
            rows.append(f'<text x="{x0 + 36:.2f}" y="{y:.2f}" dy="0.35em">{escape(entry.label)}</text>')
        return (f'<g class="legend" font-size="11" fill="#1b1f24"><rect x="{x0:.2f}" y="{y0:.2f}" '
                f'width="{width:.2f}" height="{height}" rx="3" fill="#ffffff" fill-opacity="0.85" '
                f'stroke="#cccccc"/>{"".join(rows)}</g>')


def _label(text, superscript):
    """A tick label, with an optional raised exponent (10 to the k)."""
    raised = f'<tspan dy="-0.45em" font-size="10">{escape(superscript)}</tspan>' if superscript else ""
    return escape(text) + raised


def _line_series(axes, style, xs, ys):
    """One line with markers, and its pixel points; a None value breaks the line there instead
    of bridging the gap."""
    runs, run = [], []
    for x, y in zip(xs, ys):
        if y is None:
            runs.append(run)
            run = []
        else:
            run.append((axes.x(x), axes.y(y)))
    runs.append(run)
    runs = [points for points in runs if points]
    lines = "".join(_polyline(style, points) for points in runs if len(points) > 1)
    markers = _markers(style, [point for points in runs for point in points])
    drawn = [p for points in runs for p in _along(points)]
    return f'<g data-series="{escape(style.label)}">{lines}{markers}</g>', drawn


def _scatter_series(axes, style, pairs):
    points = [(axes.x(x), axes.y(y)) for x, y in pairs]
    return f'<g data-series="{escape(style.label)}">{_markers(style, points)}</g>', points


def _polyline(style, points):
    dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
    coordinates = " ".join(f"{x:.2f},{y:.2f}" for x, y in points)
    return (f'<polyline points="{coordinates}" fill="none" stroke="{style.colour}" '
            f'stroke-width="{style.line}"{dash} stroke-linejoin="round"/>')


# Marker outlines: vertices around the centre, in units of the marker's radius.
OUTLINES = {
    "square": ((-1, -1), (1, -1), (1, 1), (-1, 1)),
    "diamond": ((0, -1.3), (1.3, 0), (0, 1.3), (-1.3, 0)),
    "triangle-up": ((0, -1.3), (1.2, 0.8), (-1.2, 0.8)),
    "triangle-down": ((0, 1.3), (1.2, -0.8), (-1.2, -0.8)),
    "triangle-left": ((-1.3, 0), (0.8, -1.2), (0.8, 1.2)),
    "triangle-right": ((1.3, 0), (-0.8, -1.2), (-0.8, 1.2)),
}


def _markers(style, points):
    """All of a series' markers as one element, filled with its colour."""
    r, paint = style.radius, f'fill="{style.colour}" fill-opacity="{style.opacity:g}"'
    if style.marker == "circle":
        shapes = "".join(f'<circle cx="{x:.2f}" cy="{y:.2f}" r="{r:g}"/>' for x, y in points)
        return f"<g {paint}>{shapes}</g>"
    outline = OUTLINES[style.marker]
    d = "".join("M" + "L".join(f"{x + dx * r:.2f} {y + dy * r:.2f}" for dx, dy in outline) + "Z"
                for x, y in points)
    return f'<path d="{d}" {paint}/>'


def _along(points, samples=8):
    """The vertices of a line and points between them: what a legend box should not cover."""
    found = list(points[:1])
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        found += [(x0 + (x1 - x0) * i / samples, y0 + (y1 - y0) * i / samples) for i in range(1, samples + 1)]
    return found


def _uri(size, title, body):
    """The whole SVG document as a base64 data URI (safe inside an HTML attribute)."""
    width, height = size
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="{FONT}" role="img">'
           f"<title>{escape(title)}</title>"
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>{body}</svg>')
    return URI_PREFIX + base64.b64encode(svg.encode("utf-8")).decode("ascii")
