"""Small server-rendered SVG charts for the admin: no third-party script, nothing the CSP must allow.

Colours are SVG presentation attributes (``fill``, ``stroke``), not ``style=""``, so ``style-src 'self'`` holds.
Every chart carries a ``<title>`` and is accompanied by a table with the same figures for screen readers.
"""

from __future__ import annotations

from datetime import date

from markupsafe import Markup, escape

PALETTE = ("#1f6feb", "#d97706", "#059669", "#9333ea", "#dc2626", "#0891b2", "#4b5563")


def _nice_max(value: float) -> int:
    """The top of the y axis: four whole-number ticks of 1, 2, 3 or 5 × 10ⁿ each, at least ``value``."""
    magnitude = 1
    while True:
        for step in (1, 2, 3, 5):
            if 4 * step * magnitude >= value:
                return 4 * step * magnitude
        magnitude *= 10


def line_chart(days: list[date], series: dict[str, list[int]], title: str, width: int = 720,
               height: int = 220) -> Markup:
    """One line per series over ``days``; the y axis starts at zero."""
    left, right, top, bottom = 40, 10, 10, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max((max(v) for v in series.values() if v), default=0))
    n = max(len(days) - 1, 1)

    def x(i: int) -> float:
        return left + plot_w * i / n

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / peak

    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>"]
    for tick in range(0, 5):
        value = peak * tick / 4
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                   f'stroke="#e5e7eb"/><text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" '
                   f'font-size="11" fill="#6b7280">{value:g}</text>')
    label_every = max(1, len(days) // 8)
    for i, day in enumerate(days):
        if i % label_every == 0:
            out.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="11" '
                       f'fill="#6b7280">{day.strftime("%d %b")}</text>')
    for values, colour in zip(series.values(), PALETTE, strict=False):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
    legend_x = left
    for (name, _values), colour in zip(series.items(), PALETTE, strict=False):
        out.append(f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{legend_x + 14}" y="{height - 5}" font-size="12" fill="#111827">{escape(name)}</text>')
        legend_x += 24 + 8 * len(name)
    out.append("</svg>")
    return Markup("".join(out))


def bar_chart(items: list[tuple[str, int]], title: str, width: int = 360) -> Markup:
    """Horizontal bars, one per ``(label, value)``, longest first as given."""
    row, label_w = 24, 110
    height = max(row * len(items), row)
    peak = max((v for _, v in items), default=0) or 1
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>"]
    for i, ((label, value), colour) in enumerate(zip(items, PALETTE * 10, strict=False)):
        bar = (width - label_w - 50) * value / peak
        y = i * row
        out.append(f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="12" fill="#111827">'
                   f'{escape(label)}</text><rect x="{label_w}" y="{y + 4}" width="{bar:.1f}" height="16" '
                   f'fill="{colour}"/><text x="{label_w + bar + 6:.1f}" y="{y + 16}" font-size="12" '
                   f'fill="#111827">{value}</text>')
    out.append("</svg>")
    return Markup("".join(out))
