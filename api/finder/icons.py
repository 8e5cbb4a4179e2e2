"""Line icons of the top-level categories (24 px SVG paths), shown beside their labels."""

from __future__ import annotations

from markupsafe import Markup

PATHS = {
    "DOC": "M6 3h9l3 3v15H6z M9 9h6 M9 13h6 M9 17h4",
    "PRO": "M12 3l8 3v6c0 5-4 8-8 9-4-1-8-4-8-9V6z",
    "SAN": "M10 4h4v6h6v4h-6v6h-4v-6H4v-4h6z",
    "LIN": "M3 5h7a2 2 0 0 1 2 2v13a2 2 0 0 0-2-2H3z M21 5h-7a2 2 0 0 0-2 2v13a2 2 0 0 1 2-2h7z",
    "LAV": "M4 8h16v11H4z M9 8V5h6v3 M4 13h16",
    "SOC": "M8 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6z M16 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6z "
           "M3 20c0-3 2-6 5-6s5 3 5 6 M11 20c0-3 2-6 5-6s5 3 5 6",
    "LEG": "M12 4v16 M7 20h10 M5 7h14 M5 7l-3 7h6z M19 7l-3 7h6z",
    "PAT": "M6 3h12v18H6z M9 7h6 M9 11h2 M13 11h2 M9 15h2 M13 15h2",
    "MED": "M3 5h11v8H8l-5 3z M10 15v1h6l5 3V9h-4",
    "TRA": "M12 20s-7-4.5-7-10a4 4 0 0 1 7-2.5A4 4 0 0 1 19 10c0 5.5-7 10-7 10z",
    "DIS": "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z M8 10h8 M8 14h8",
    "ASS": "M12 3l2.5 5.5 6 .5-4.5 4 1.5 6-5.5-3.3L6.5 19 8 13 3.5 9l6-.5z",
    "CAS": "M3 11l9-7 9 7 M5 10v10h14V10 M10 20v-6h4v6",
    "INF": "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z M12 11v6 M12 7v1",
}
FALLBACK = "M12 4a8 8 0 1 0 0 16 8 8 0 0 0 0-16z"


def icon(code: str | None) -> Markup:
    """The inline SVG of a category's top-level code, hidden from screen readers (decorative)."""
    path = PATHS.get((code or "").split("-")[0], FALLBACK)
    return Markup(
        '<svg class="icon" aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="24" '
        'height="24" fill="none" stroke="currentColor" stroke-width="1.8" '
        f'stroke-linecap="round" stroke-linejoin="round"><path d="{path}"/></svg>'
    )
