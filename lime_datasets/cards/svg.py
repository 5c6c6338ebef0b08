"""Length histograms as small, deterministic SVG: the same numbers always give the same bytes.

No plotting library: fonts, versions and backends would change the bytes. Coordinates are
rounded to one decimal, and text uses the generic ``sans-serif`` family.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

import numpy as np

from .stats import Distribution

MAX_BINS = 40
PANEL_WIDTH, PANEL_HEIGHT = 360, 220
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 12, 30, 46
BAR_COLOUR = "#4c78a8"
MEDIAN_COLOUR = "#222222"
P95_COLOUR = "#e45756"


def histograms(panels: Sequence[tuple[str, Distribution]], title: str) -> str:
    """One SVG with a histogram per ``(label, distribution)``, side by side."""
    width = PANEL_WIDTH * len(panels)
    height = PANEL_HEIGHT + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        'font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{width / 2:.1f}" y="16" text-anchor="middle" font-size="13">'
        f"{escape(title)}</text>",
    ]
    for index, (label, distribution) in enumerate(panels):
        parts.append(_panel(label, distribution, PANEL_WIDTH * index, 24))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def bins(values: np.ndarray) -> tuple[int, int, np.ndarray]:
    """``(first, width, counts)``: bin ``i`` counts values in ``[first + i w, first + (i+1) w)``."""
    low, high = int(values.min()), int(values.max())
    width = max(1, -(-(high - low + 1) // MAX_BINS))
    counts = np.bincount((values - low) // width, minlength=(high - low) // width + 1)
    return low, width, counts


def _panel(label: str, d: Distribution, left: int, top: int) -> str:
    first, width, counts = bins(d.values)
    plot_left, plot_top = left + MARGIN_LEFT, top + MARGIN_TOP
    plot_width = PANEL_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = PANEL_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    tallest = int(counts.max())
    bar = plot_width / len(counts)

    def x_of(length: float) -> float:
        return plot_left + (length - first) / width * bar

    parts = [
        f'<text x="{left + PANEL_WIDTH / 2:.1f}" y="{top + 14}" text-anchor="middle">'
        f"{escape(label)}</text>"
    ]
    for i, count in enumerate(counts):
        h = count / tallest * plot_height
        parts.append(
            f'<rect x="{plot_left + i * bar:.1f}" y="{plot_top + plot_height - h:.1f}" '
            f'width="{max(bar - 1, 0.5):.1f}" height="{h:.1f}" fill="{BAR_COLOUR}"/>'
        )
    bottom = plot_top + plot_height
    parts += [
        f'<line x1="{plot_left}" y1="{bottom}" x2="{plot_left + plot_width}" y2="{bottom}" '
        'stroke="#555555"/>',
        f'<line x1="{plot_left}" y1="{plot_top}" x2="{plot_left}" y2="{bottom}" stroke="#555555"/>',
        f'<text x="{plot_left - 4}" y="{plot_top + 4}" text-anchor="end">{tallest:,}</text>',
        f'<text x="{plot_left - 4}" y="{bottom}" text-anchor="end">0</text>',
    ]
    for value in (d.minimum, d.maximum):
        x = x_of(value + 0.5)
        parts += [
            f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}" stroke="#555555"/>',
            f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle">{value}</text>',
        ]
    for value, colour, dash, name in (
        (d.median, MEDIAN_COLOUR, "", "median"),
        (d.p95, P95_COLOUR, ' stroke-dasharray="4 3"', "p95"),
    ):
        x = x_of(value + 0.5)
        parts.append(
            f'<line x1="{x:.1f}" y1="{plot_top}" x2="{x:.1f}" y2="{bottom}" stroke="{colour}" '
            f'stroke-width="1.5"{dash}><title>{name} {value}</title></line>'
        )
    legend = f"tokens; median {d.median} (solid), p95 {d.p95} (dashed), bin width {width}"
    parts.append(
        f'<text x="{left + PANEL_WIDTH / 2:.1f}" y="{bottom + 32}" text-anchor="middle" '
        f'fill="#333333">{escape(legend)}</text>'
    )
    return "\n".join(parts)
