"""Static SVG charts for the portal, drawn at build time with matplotlib.

Charts are plain SVG with text kept as text (no embedded fonts, no scripts,
no external references) and a deterministic output for the same input, so
that an unchanged customer's site is recognised as unchanged.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Optional, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

matplotlib.rcParams.update({
    "svg.fonttype": "none",
    "svg.hashsalt": "gitdesk",
    "font.family": "sans-serif",
    "font.size": 12,
})

#: The chart's width in inches (about 400 px): a 390 px phone shows it at four fifths of that, where its
#: 12 pt (16 px) text still reads at about 13 px.
WIDTH = 4.2
ROW = 0.32  # inches per month
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 0.95, 0.15, 0.1, 0.6


def compliance_chart(points: Sequence[tuple[str, Optional[Decimal]]], title: str, axis: str,
                     value_labels: Sequence[str]) -> str:
    """Horizontal bars of the share of targets met per month, oldest at the top, each with its value written
    (``value_labels``; a month with no decided target has no bar); ``axis`` labels the scale under them.

    Fixed margins rather than a layout pass: drawn once per customer site, it stays quick.
    """
    labels = [label for label, _ in points]
    values = [float(v) if v is not None else 0.0 for _, v in points]
    height = MARGIN_TOP + MARGIN_BOTTOM + ROW * max(len(points), 1)
    figure = plt.figure(figsize=(WIDTH, height))
    try:
        axes = figure.add_axes((MARGIN_LEFT / WIDTH, MARGIN_BOTTOM / height,
                                1 - (MARGIN_LEFT + MARGIN_RIGHT) / WIDTH, 1 - (MARGIN_TOP + MARGIN_BOTTOM) / height))
        colors = ["#2e7d32" if v >= 90 else "#b26a00" if v >= 70 else "#c62828" for v in values]
        rows = range(len(values))
        axes.barh(rows, values, color=colors, height=0.62)
        for row, (_, v), text in zip(rows, points, value_labels):
            axes.text((float(v) if v is not None else 0.0) + 2, row, text, va="center", ha="left", color="#222222")
        axes.set_yticks(list(rows), labels)
        axes.invert_yaxis()
        axes.set_xlim(0, 130)
        axes.set_xticks([0, 50, 100], ["0", "50", "100"])
        axes.set_xlabel(axis)
        axes.tick_params(length=0)
        axes.spines[["top", "right"]].set_visible(False)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    finally:
        plt.close(figure)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]  # no XML prolog or doctype inside a page
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    return svg.replace('role="img"', "").replace("<svg ", f'<svg role="img" aria-label="{_attr(title)}" ', 1)


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
