"""Inline SVG bar charts for the HTML report: no JavaScript, no external files, text alternatives included.

Each chart is an ``<svg role="img">`` labelled by its ``<title>`` and ``<desc>`` (the desc lists every value,
so a screen reader hears the data), and every bar has a ``<title>`` tooltip. Colours come from classes the
report's CSS styles (``chart-bar``, ``chart-axis``, ...), with fill attributes as a fallback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

Number = int | float | Decimal


@dataclass(frozen=True)
class Bar:
    """One bar: its label and value (None: no data, drawn as a gap)."""

    label: str
    value: Number | None


def column_chart(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    describe: Callable[[Number], str] = str,
    width: int = 640,
    height: int = 240,
) -> Markup:
    """A vertical bar chart (e.g. one bar per month), values printed above the bars."""
    top, bottom, left, right = 24, 40, 8, 8
    plot_height = height - top - bottom
    slot = (width - left - right) / max(len(bars), 1)
    peak = max((float(bar.value) for bar in bars if bar.value is not None), default=0.0) or 1.0
    parts = [_open(chart_id, title, _description(title, bars, describe), width, height)]
    parts.append(
        f'<line class="chart-axis" x1="{left}" y1="{top + plot_height}" x2="{width - right}" '
        f'y2="{top + plot_height}" stroke="#6b7280" stroke-width="1"/>'
    )
    for index, bar in enumerate(bars):
        x = left + index * slot
        center = x + slot / 2
        if bar.value is None:
            parts.append(_text(center, top + plot_height - 4, "–", "chart-note"))
        else:
            bar_height = float(bar.value) / peak * plot_height
            y = top + plot_height - bar_height
            parts.append(
                f'<rect class="chart-bar" x="{x + slot * 0.15:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
                f'height="{bar_height:.1f}" fill="#2563eb"><title>{escape(_isolated(bar.label))}: '
                f"{escape(describe(bar.value))}</title></rect>"
            )
            parts.append(_text(center, y - 5, describe(bar.value), "chart-value"))
        parts.append(_text(center, top + plot_height + 16, bar.label, "chart-label"))
    parts.append("</svg>")
    return Markup("".join(parts))


def row_chart(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    describe: Callable[[Number], str] = str,
    width: int = 640,
) -> Markup:
    """A horizontal bar chart (e.g. one bar per department), labels on the left, values at the bar ends."""
    row_height, label_width, value_width, top = 24, 200, 110, 4
    height = top * 2 + row_height * max(len(bars), 1)
    plot_width = width - label_width - value_width
    peak = max((float(bar.value) for bar in bars if bar.value is not None), default=0.0) or 1.0
    parts = [_open(chart_id, title, _description(title, bars, describe), width, height)]
    for index, bar in enumerate(bars):
        y = top + index * row_height
        middle = y + row_height / 2 + 4
        parts.append(_text(label_width - 8, middle, _shorten(bar.label, 28), "chart-label", anchor="end"))
        value = float(bar.value or 0)
        bar_width = max(value / peak * plot_width, 1.0 if value else 0.0)
        parts.append(
            f'<rect class="chart-bar" x="{label_width}" y="{y + 4}" width="{bar_width:.1f}" '
            f'height="{row_height - 8}" fill="#2563eb"><title>{escape(_isolated(bar.label))}: '
            f"{escape(describe(bar.value or 0))}</title></rect>"
        )
        parts.append(
            _text(label_width + bar_width + 6, middle, describe(bar.value or 0), "chart-value", anchor="start")
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _open(chart_id: str, title: str, description: str, width: int, height: int) -> str:
    return (
        f'<svg class="chart" id="{escape(chart_id)}" role="img" aria-labelledby="{escape(chart_id)}-title '
        f'{escape(chart_id)}-desc" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>'
    )


def _description(title: str, bars: Sequence[Bar], describe: Callable[[Number], str]) -> str:
    values = "; ".join(
        f"{_isolated(bar.label)}: {'no data' if bar.value is None else describe(bar.value)}" for bar in bars
    )
    return f"{title}. {values}." if bars else f"{title}: no data."


def _text(x: float, y: float, text: str, css_class: str, anchor: str = "middle") -> str:
    return (
        f'<text class="{css_class}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="11" '
        f'fill="#374151">{escape(text)}</text>'
    )


def _isolated(label: str) -> str:
    # First-strong isolate ... pop directional isolate: a right-to-left override in a label (a department
    # name) ends with it instead of reversing the rest of the description a screen reader reads.
    return f"\u2068{label}\u2069"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
