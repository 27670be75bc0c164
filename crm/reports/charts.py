"""Bar charts drawn with ReportLab graphics (vector, in the embedded font).

Labels are drawn as plain strings — graphics do not parse markup — so user-supplied names are
safe here without escaping.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors

from crm.reports.styles import INK, MUTED, RED

BAR_PITCH = 16  # points per category
MAX_BARS = 20  # per drawing; more categories continue in another drawing


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]
    color: colors.Color


@dataclass(frozen=True)
class Shortfall:
    """Bars of the first series below the reference line, drawn in their own colour and named in
    the legend — e.g. the buildings under the 70 % occupancy target."""

    color: colors.Color
    label: str


def tick_format(step: float):
    """Axis labels with as many decimals as the step needs (an axis in 亿元 steps by 0.5)."""
    places = next((p for p in range(3) if abs(round(step, p) - step) < 1e-9), 2)
    return lambda v: f"{v:,.{places}f}"


def _nice_max(value: float) -> float:
    """A round axis maximum just above ``value``."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * magnitude >= value * 1.05:
            return step * magnitude
    return 10 * magnitude


LEGEND_HEIGHT, AXIS_HEIGHT = 18, 24


def bars_fitting(height: float) -> int:
    """How many categories one drawing of ``horizontal_bars`` holds within ``height`` points."""
    return max(int((height - LEGEND_HEIGHT - AXIS_HEIGHT) // BAR_PITCH), 1)


def horizontal_bars(
    labels: list[str],
    series: list[Series],
    font: str,
    width: float,
    reference: float | None = None,
    reference_label: str = "",
    unit: str = "",
    axis_max: float | None = None,
    per_drawing: int = MAX_BARS,
    shortfall: Shortfall | None = None,
) -> list[Drawing]:
    """One or more drawings of grouped horizontal bars, first label on top, with an optional
    vertical reference line (e.g. the threshold). All drawings share one scale: ``axis_max``
    when given (e.g. 100 for percentages), else a round number above the largest value. Each
    drawing holds at most ``per_drawing`` categories (``bars_fitting`` a page keeps a chart whole
    on one); with ``shortfall`` the first series' bars below ``reference`` take its colour."""
    top = max([v for s in series for v in s.values] + [reference or 0])
    axis_max = axis_max if axis_max is not None else _nice_max(top)
    drawings = []
    for start in range(0, len(labels), per_drawing):
        chunk = slice(start, start + per_drawing)
        drawings.append(
            _drawing(
                labels[chunk],
                [Series(s.name, s.values[chunk], s.color) for s in series],
                font,
                width,
                axis_max,
                reference,
                reference_label,
                unit,
                shortfall,
            )
        )
    return drawings


def _drawing(labels, series, font, width, axis_max, reference, reference_label, unit, shortfall=None) -> Drawing:
    label_width, legend_height, axis_height = 110, LEGEND_HEIGHT, AXIS_HEIGHT
    plot_height = max(len(labels), 1) * BAR_PITCH
    height = plot_height + legend_height + axis_height
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = label_width, axis_height
    chart.width, chart.height = width - label_width - 20, plot_height
    # HorizontalBarChart draws the first category at the bottom: reverse for a top-down ranking.
    chart.data = [list(reversed(s.values)) for s in series]
    chart.categoryAxis.categoryNames = list(reversed(labels))
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -3
    chart.categoryAxis.strokeColor = MUTED
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = axis_max
    chart.valueAxis.valueStep = axis_max / 5
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = tick_format(axis_max / 5)
    chart.valueAxis.strokeColor = MUTED
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#e9ecef")
    chart.barSpacing = 1
    chart.groupSpacing = 4
    for index, s in enumerate(series):
        chart.bars[index].fillColor = s.color
        chart.bars[index].strokeColor = None
    legend = list(series)
    if shortfall is not None and reference is not None and series:
        # The chart's data is reversed (see above): column i is the (n − 1 − i)-th label.
        reversed_values = chart.data[0]
        for column, value in enumerate(reversed_values):
            if value < reference:
                chart.bars[(0, column)].fillColor = shortfall.color
                chart.bars[(0, column)].strokeColor = None
        legend.append(Series(shortfall.label, [], shortfall.color))
    drawing.add(chart)
    if reference is not None:
        x = chart.x + chart.width * float(reference) / axis_max
        drawing.add(
            Line(x, chart.y, x, chart.y + plot_height + 4, strokeColor=RED, strokeWidth=1, strokeDashArray=[3, 2])
        )
        drawing.add(String(x + 2, chart.y + plot_height + 5, reference_label, fontName=font, fontSize=7, fillColor=RED))
    _legend(drawing, legend, font, label_width, height - 10, unit)
    return drawing


def _legend(drawing: Drawing, series, font, x, y, unit) -> None:
    for s in series:
        drawing.add(Rect(x, y - 1, 8, 7, fillColor=s.color, strokeColor=None))
        drawing.add(String(x + 11, y, s.name, fontName=font, fontSize=7, fillColor=INK))
        x += 14 + 8 * len(s.name) + 10
    if unit:
        drawing.add(String(drawing.width - 20, y, unit, fontName=font, fontSize=7, fillColor=MUTED, textAnchor="end"))


def line_chart(
    labels: list[str], series: list[Series], font: str, width: float, height: float = 170, unit: str = ""
) -> Drawing:
    """A line chart over ``labels`` (e.g. 24 months, oldest first), one line per series."""
    axis_height, label_width, legend_height = 34, 46, 18
    drawing = Drawing(width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y = label_width, axis_height
    chart.width, chart.height = width - label_width - 12, height - axis_height - legend_height
    chart.data = [list(s.values) for s in series]
    chart.categoryAxis.categoryNames = list(labels)
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 45
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.categoryAxis.labels.dy = -2
    chart.categoryAxis.strokeColor = MUTED
    top = max([v for s in series for v in s.values] + [0])
    axis_max = _nice_max(top)
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = axis_max
    chart.valueAxis.valueStep = axis_max / 5
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = tick_format(axis_max / 5)
    chart.valueAxis.strokeColor = MUTED
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#e9ecef")
    chart.joinedLines = 1
    for index, s in enumerate(series):
        chart.lines[index].strokeColor = s.color
        chart.lines[index].strokeWidth = 1.5
    drawing.add(chart)
    _legend(drawing, series, font, label_width, height - 10, unit)
    return drawing


@dataclass(frozen=True)
class FunnelStep:
    label: str
    value: float
    note: str = ""


def funnel_chart(steps: list[FunnelStep], font: str, width: float, color=None) -> Drawing:
    """A funnel: one centred band per step, its width proportional to the step's value (a thin
    band for zero, so every stage shows), label on the left and a note on the right."""
    pitch, band, label_width, note_width = 20, 16, 60, 170
    height = max(len(steps), 1) * pitch + 6
    drawing = Drawing(width, height)
    span = width - label_width - note_width - 20
    centre = label_width + 10 + span / 2
    top = max([s.value for s in steps] + [0]) or 1
    color = color or colors.HexColor("#1f4e8c")
    for index, step in enumerate(steps):
        y = height - (index + 1) * pitch
        half = max(span * step.value / top, 3) / 2
        shade = colors.Color(color.red, color.green, color.blue, alpha=1 - 0.08 * index)
        drawing.add(
            Polygon(
                [centre - half, y, centre + half, y, centre + half, y + band, centre - half, y + band],
                fillColor=shade,
                strokeColor=None,
            )
        )
        drawing.add(String(label_width, y + 4, step.label, fontName=font, fontSize=8, fillColor=INK, textAnchor="end"))
        drawing.add(String(width - note_width, y + 4, step.note, fontName=font, fontSize=7.5, fillColor=INK))
    return drawing
