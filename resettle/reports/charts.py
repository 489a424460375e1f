"""Small server-rendered SVG charts: no JavaScript, no inline style, readable when printed.

Each function takes plain numbers and returns SVG markup; colours are presentation
attributes (allowed by the strict Content-Security-Policy, unlike style attributes).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = (
    "#1f5f8b", "#d08c2c", "#2d6a3e", "#a4262c", "#6b4c9a", "#3a8fb7", "#8c6d31", "#5b6670",
    "#c45a8a", "#4f7f2a", "#b35c1e", "#25486b",
)
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 14, 34


def _frame(body: str, title: str, height: int = HEIGHT) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude: float = 10 ** len(str(int(value))) / 10
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(value)


def _axes(max_y: float, labels: Sequence[str], height: int = HEIGHT) -> str:
    plot_h = height - TOP - BOTTOM
    parts = []
    for i in range(5):
        value = max_y * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e3e7eb"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5b6670">'
            f"{value:,.0f}</text>"
        )
    if labels:
        step = max(1, len(labels) // 8)
        plot_w = WIDTH - LEFT - RIGHT
        for i in range(0, len(labels), step):
            x = LEFT + plot_w * (i + 0.5) / len(labels)
            parts.append(
                f'<text x="{x:.1f}" y="{height - BOTTOM + 16}" text-anchor="middle" '
                f'fill="#5b6670">{escape(labels[i])}</text>'
            )
    return "".join(parts)


def line_chart(
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    band: tuple[Sequence[float], Sequence[float]] | None = None,
) -> str:
    """One or more lines over shared x labels, with an optional shaded band (P10-P90)."""
    values = [v for s in series.values() for v in s]
    if band:
        values += list(band[1])
    max_y = _nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(labels), 1)

    def point(i: int, v: float) -> str:
        return f"{LEFT + plot_w * (i + 0.5) / n:.1f},{TOP + plot_h - plot_h * v / max_y:.1f}"

    body = _axes(max_y, labels)
    if band:
        low, high = band
        upper = " ".join(point(i, v) for i, v in enumerate(high))
        lower = " ".join(point(i, v) for i, v in reversed(list(enumerate(low))))
        body += f'<polygon points="{upper} {lower}" fill="#1f5f8b" fill-opacity="0.18"/>'
    for k, (name, ys) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        pts = " ".join(point(i, v) for i, v in enumerate(ys))
        body += f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>'
        body += _legend_item(k, name, colour)
    return _frame(body, title)


def _legend_item(k: int, name: str, colour: str) -> str:
    x = LEFT + 8 + (k % 6) * 98
    y = TOP + 4 + (k // 6) * 14
    return (
        f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/>'
        f'<text x="{x + 14}" y="{y + 9}" fill="#1d2329">{escape(name)}</text>'
    )


def stacked_bars(title: str, labels: Sequence[str], series: dict[str, Sequence[float]]) -> str:
    """Bars per x label, stacked by series (e.g. departures per month by destination)."""
    n = max(len(labels), 1)
    totals = [sum(s[i] for s in series.values()) for i in range(len(labels))]
    max_y = _nice_max(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bar_w = plot_w / n * 0.7
    body = _axes(max_y, labels)
    bases = [0.0] * len(labels)
    for k, (name, ys) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        for i, v in enumerate(ys):
            if v <= 0:
                continue
            x = LEFT + plot_w * (i + 0.5) / n - bar_w / 2
            h = plot_h * v / max_y
            y = TOP + plot_h - plot_h * bases[i] / max_y - h
            body += (
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(name)} {escape(labels[i])}: '
                f"{v:,.0f}</title></rect>"
            )
            bases[i] += v
        body += _legend_item(k, name, colour)
    return _frame(body, title)


def horizontal_bars(title: str, rows: Sequence[tuple[str, float]]) -> str:
    """Labelled horizontal bars (the pipeline funnel, holds by type)."""
    row_h = 20
    height = TOP + BOTTOM + row_h * max(len(rows), 1)
    max_v = _nice_max(max((v for _l, v in rows), default=0))
    label_w = 110
    plot_w = WIDTH - label_w - RIGHT - 40
    body = ""
    for i, (label, value) in enumerate(rows):
        y = TOP + i * row_h
        w = plot_w * value / max_v
        body += (
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" fill="#1d2329">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
            f'fill="{PALETTE[0]}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" fill="#1d2329">{value:,.0f}</text>'
        )
    return _frame(body, title, height)


def event_timeline(
    title: str, start: str, end: str, events: Sequence[tuple[float, str, int, int]]
) -> str:
    """Incidents on a time axis (position 0..1): circle area ~ casualties, red if killed."""
    height = 120
    plot_w = WIDTH - LEFT - RIGHT
    axis_y = 70
    body = (
        f'<line x1="{LEFT}" y1="{axis_y}" x2="{WIDTH - RIGHT}" y2="{axis_y}" stroke="#5b6670"/>'
        f'<text x="{LEFT}" y="{axis_y + 24}" fill="#5b6670">{escape(start)}</text>'
        f'<text x="{WIDTH - RIGHT}" y="{axis_y + 24}" text-anchor="end" fill="#5b6670">'
        f"{escape(end)}</text>"
    )
    for position, label, killed, injured in events:
        x = LEFT + plot_w * min(max(position, 0.0), 1.0)
        radius = 3 + (killed + injured) ** 0.5 * 2
        colour = PALETTE[3] if killed else PALETTE[1]
        body += (
            f'<circle cx="{x:.1f}" cy="{axis_y}" r="{radius:.1f}" fill="{colour}" '
            f'fill-opacity="0.75"><title>{escape(label)}: {killed} killed, {injured} injured'
            f"</title></circle>"
        )
        if killed:
            body += (
                f'<text x="{x:.1f}" y="{axis_y - radius - 4:.1f}" text-anchor="middle" '
                f'fill="#a4262c">{killed}</text>'
            )
    return _frame(body, title, height)
