"""The index page linking every map, one row per region and area, one column per kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from maps.assets import TEMPLATES
from maps.data import Scope
from maps.labels import label
from observatory.geography import CREDIT

KINDS = ("coverage", "gaps")


@dataclass
class Link:
    """A link to one map (`title`: its full name, shown on hover)."""

    href: str
    text: str
    title: str = ""


@dataclass
class IndexRow:
    """A region or area with its links per map kind."""

    title: str
    is_region: bool
    links: dict[str, list[Link]] = field(default_factory=dict)
    href: str = ""  # the scope's first map (coverage), linked from its name


def index_rows(scopes: list[Scope], links: Callable[[Scope, str], list[Link]]) -> list[IndexRow]:
    """One row per scope, with `links(scope, kind)` for each kind; scopes without links dropped."""
    rows = []
    for scope in scopes:
        row = IndexRow(scope.area_name or scope.region_name, scope.area_code is None)
        row.links = {kind: found for kind in KINDS if (found := links(scope, kind))}
        if row.links:
            row.href = next(iter(row.links.values()))[0].href
            rows.append(row)
    return rows


def index_html(
    rows: list[IndexRow],
    lang: str,
    categories: dict[str, str] | None = None,
    category_links: dict[str, str] | None = None,
    subtitle: str = "",
) -> str:
    """Render the index page in `lang`, with the key of the `categories` codes it links.

    `category_links` links each category of the key to its own index (its maps of every
    region and area); `subtitle` names the category an index is narrowed to.
    """
    return TEMPLATES.get_template("index.html").render(
        categories=categories or {},
        category_links=category_links or {},
        subtitle=subtitle,
        categories_title=label("category", lang),
        lang=lang,
        title=label("index_title", lang),
        scope_header=f"{label('region', lang)} / {label('area', lang)}",
        kinds=[{"key": kind, "title": label(kind, lang)} for kind in KINDS],
        rows=rows,
        empty=label("no_maps", lang),
        credits=CREDIT,
    )
