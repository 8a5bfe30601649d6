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
    "font.size": 9,
})


def compliance_chart(points: Sequence[tuple[str, Optional[Decimal]]], title: str) -> str:
    """Bars of the share of targets met per month (``None``: no decided target that month)."""
    labels = [label for label, _ in points]
    values = [float(v) if v is not None else 0.0 for _, v in points]
    figure, axes = plt.subplots(figsize=(7.2, 2.6))
    try:
        colors = ["#2e7d32" if v >= 90 else "#f9a825" if v >= 70 else "#c62828" for v in values]
        bars = axes.bar(range(len(values)), values, color=colors, width=0.65)
        for bar, (_, v) in zip(bars, points):
            if v is None:
                bar.set_alpha(0)
            axes.annotate("–" if v is None else f"{v:.0f}%", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                          ha="center", va="bottom", fontsize=8, xytext=(0, 2), textcoords="offset points")
        axes.set_xticks(range(len(labels)), labels)
        axes.set_ylim(0, 110)
        axes.set_yticks([0, 50, 100], ["0%", "50%", "100%"])
        axes.spines[["top", "right"]].set_visible(False)
        axes.set_title(title, fontsize=10, loc="left")
        figure.tight_layout()
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
