"""Small SVG drawings written by hand: line charts and maps of shapely geometries.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies); the
lines also differ by dash and marker, so a chart reads in black and white too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000")
DASHES = ("", "6 3", "2 3", "8 3 2 3")
MARKERS = ("circle", "square", "diamond", "triangle")
WIDTH, HEIGHT = 640, 300
MAP_MAX_HEIGHT = 420.0  # two maps and their titles fit one A4 page
LEGEND_STEP = 30
MARGIN = {"left": 70, "right": 170, "top": 36, "bottom": 46}


def _number(value: float) -> str:
    """A tick label: thousands with a thin space, decimals only when needed (Italian comma)."""
    if abs(value) >= 1000 or value == int(value):
        return f"{value:,.0f}".replace(",", "\u202f")
    return f"{value:.2f}".rstrip("0").replace(".", ",")


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least `top`."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def _marker(kind: str, x: float, y: float, colour: str, tip: str) -> str:
    title = f"<title>{escape(tip)}</title>"
    if kind == "square":
        return (f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" '
                f'fill="{colour}">{title}</rect>')
    if kind == "diamond":
        return (f'<path d="M{x:.1f} {y - 4.5:.1f}L{x + 4.5:.1f} {y:.1f}L{x:.1f} {y + 4.5:.1f}'
                f'L{x - 4.5:.1f} {y:.1f}Z" fill="{colour}">{title}</path>')
    if kind == "triangle":
        return (f'<path d="M{x:.1f} {y - 4.5:.1f}L{x + 4.5:.1f} {y + 3.5:.1f}'
                f'L{x - 4.5:.1f} {y + 3.5:.1f}Z" fill="{colour}">{title}</path>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">{title}</circle>'


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    y_label: str,
    fmt: Callable[[float], str] = _number,
) -> str:
    """A line chart: one line per (label, values), a gap where a value is None."""
    left, top = MARGIN["left"], MARGIN["top"]
    plot_w = WIDTH - left - MARGIN["right"]
    plot_h = HEIGHT - top - MARGIN["bottom"]
    values = [v for _, vs in series for v in vs if v is not None]
    ticks = nice_ticks(max(values, default=0.0))
    y_max = ticks[-1] or 1.0
    step = plot_w / max(len(x_labels) - 1, 1)

    def x_at(i: int) -> float:
        return left + (i * step if len(x_labels) > 1 else plot_w / 2)

    def y_at(v: float) -> float:
        return top + plot_h - v / y_max * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<text transform="translate(14 {top + plot_h / 2:.0f}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_label)}</text>',
    ]
    for tick in ticks:
        y = y_at(tick)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#ddd"/><text x="{left - 6}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{escape(fmt(tick))}</text>')
    for i, label in enumerate(x_labels):
        parts.append(f'<text x="{x_at(i):.1f}" y="{top + plot_h + 18}" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#333"/>'
                 f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" '
                 f'y2="{top + plot_h}" stroke="#333"/>')
    for number, (label, points) in enumerate(series):
        colour = OKABE_ITO[number % len(OKABE_ITO)]
        dash = DASHES[number % len(DASHES)]
        marker = MARKERS[number % len(MARKERS)]
        path, pen_down = [], False
        for i, value in enumerate(points):
            if value is None:
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{x_at(i):.1f} {y_at(value):.1f}")
            pen_down = True
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<path d="{"".join(path)}" fill="none" stroke="{colour}" '
                     f'stroke-width="2"{dash_attr}/>')
        for i, value in enumerate(points):
            if value is not None:
                tip = f"{label}, {x_labels[i]}: {fmt(value)}"
                parts.append(_marker(marker, x_at(i), y_at(value), colour, tip))
        legend_y = top + 6 + number * 18
        legend_x = left + plot_w + 16
        parts.append(f'<line x1="{legend_x}" x2="{legend_x + 22}" y1="{legend_y}" '
                     f'y2="{legend_y}" stroke="{colour}" stroke-width="2"{dash_attr}/>')
        parts.append(_marker(marker, legend_x + 11, legend_y, colour, label))
        parts.append(f'<text x="{legend_x + 28}" y="{legend_y + 4}">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _ring(coords: Any, project: Callable[[float, float], tuple[float, float]]) -> str:
    points = [project(x, y) for x, y, *_ in coords]
    return "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in points) + "Z"


def geometry_path(geometry: Any, project: Callable[[float, float], tuple[float, float]]) -> str:
    """SVG path data of a (Multi)Polygon, rings as subpaths (evenodd fill keeps the holes)."""
    polygons = getattr(geometry, "geoms", [geometry])
    return "".join(
        _ring(polygon.exterior.coords, project)
        + "".join(_ring(hole.coords, project) for hole in polygon.interiors)
        for polygon in polygons if not polygon.is_empty
    )


def map_svg(
    title: str,
    shapes: Sequence[tuple[Any, str, str]],
    legend: Sequence[tuple[str, str]],
    points: Sequence[tuple[float, float, str]] = (),
    width: int = 640,
) -> str:
    """A map of (geometry, fill colour, tooltip) in WGS84, equirectangular at the mid latitude.

    `legend` lists (colour, label); `points` are (lon, lat, tooltip) drawn as black dots.
    """
    bounds = [shape.bounds for shape, _, _ in shapes if not shape.is_empty]
    if not bounds:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 40">'
                f'<text x="0" y="20">{escape(title)}: -</text></svg>')
    minx, miny = min(b[0] for b in bounds), min(b[1] for b in bounds)
    maxx, maxy = max(b[2] for b in bounds), max(b[3] for b in bounds)
    aspect = math.cos(math.radians((miny + maxy) / 2))
    map_w = width - 200
    scale = map_w / max((maxx - minx) * aspect, 1e-9)
    map_h = min((maxy - miny) * scale, MAP_MAX_HEIGHT)
    scale = min(scale, map_h / max(maxy - miny, 1e-9))
    top = 30

    def project(lon: float, lat: float) -> tuple[float, float]:
        return 5 + (lon - minx) * aspect * scale, top + (maxy - lat) * scale

    height = max(top + map_h + 10, top + LEGEND_STEP * (len(legend) + 1) + 20)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        f'width="{width}" height="{height:.0f}" role="img" font-family="sans-serif" '
        f'font-size="11"><title>{escape(title)}</title>',
        f'<text x="5" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for shape, colour, tip in shapes:
        parts.append(f'<path d="{geometry_path(shape, project)}" fill="{colour}" '
                     f'fill-rule="evenodd" stroke="#555" stroke-width="0.4">'
                     f"<title>{escape(tip)}</title></path>")
    for lon, lat, tip in points:
        x, y = project(lon, lat)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#000" stroke="#fff" '
                     f'stroke-width="0.6"><title>{escape(tip)}</title></circle>')
    legend_x = width - 185
    for number, (colour, label) in enumerate(legend):
        y = top + number * LEGEND_STEP
        italian, _, english = label.partition(" / ")
        parts.append(f'<rect x="{legend_x}" y="{y}" width="16" height="16" fill="{colour}" '
                     f'stroke="#555"/><text x="{legend_x + 22}" y="{y + 9}">'
                     f"{escape(italian)}</text>")
        if english:
            parts.append(f'<text x="{legend_x + 22}" y="{y + 21}" fill="#555">'
                         f"{escape(english)}</text>")
    if points:
        y = top + len(legend) * LEGEND_STEP
        parts.append(f'<circle cx="{legend_x + 8}" cy="{y + 8}" r="3" fill="#000"/>'
                     f'<text x="{legend_x + 22}" y="{y + 9}">servizio ({len(points)})</text>'
                     f'<text x="{legend_x + 22}" y="{y + 21}" fill="#555">service</text>')
    parts.append("</svg>")
    return "".join(parts)
