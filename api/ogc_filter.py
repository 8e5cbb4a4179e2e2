"""The items parameters of Features Part 3 and the Part 1 details: filter, queryables given as
parameters, sortby, properties, and the refusal of unknown parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Query
from psycopg import AsyncConnection
from starlette.datastructures import QueryParams

from observatory.errors import InvalidInput
from observatory.features import Provider, cql
from observatory.features.crs import URIS, parse_crs
from observatory.features.providers import STATIC_PROVIDERS
from observatory.features.queryables import GEOMETRY, Queryable, queryables

STANDARD_PARAMETERS = frozenset(
    {
        "limit",
        "offset",
        "bbox",
        "bbox-crs",
        "crs",
        "datetime",
        "f",
        "filter",
        "filter-lang",
        "filter-crs",
        "sortby",
        "properties",
    }
)
SCHEMA_JSON = "application/schema+json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

FilterQuery = Annotated[
    str | None,
    Query(
        alias="filter",
        description=(
            "CQL2 filter over the queryables (/collections/{id}/queryables), e.g. "
            "`category = 'LEG-AVV' AND A_CONTAINS(languages, ('ar'))` or "
            "`S_DWITHIN(geometry, POINT(14.27 40.85), 2000, meters)`; values are bound, never "
            "spliced into SQL"
        ),
        examples=["category = 'DOC-SUI'"],
    ),
]
FilterLangQuery = Annotated[
    Literal["cql2-text", "cql2-json", "cql-text"] | None,
    Query(
        alias="filter-lang",
        description="language of `filter` (default cql2-text); `cql-text`, the draft's name "
        "that GDAL 3.6 sends, is read as cql2-text",
    ),
]
FilterCrsQuery = Annotated[
    str | None,
    Query(
        alias="filter-crs",
        description="CRS of the filter's geometries, in its axis order: "
        f"{', '.join(URIS)} (or EPSG:3857...); default CRS84 (longitude, latitude)",
    ),
]
SortbyQuery = Annotated[
    str | None,
    Query(
        description="properties to sort by, comma-separated; `-name` descending, `+name` or "
        "`name` ascending; the id breaks ties",
        examples=["-updated_at,name"],
    ),
]
PropertiesQuery = Annotated[
    str | None,
    Query(
        description="only these properties, comma-separated (id and geometry always kept)",
        examples=["name,category"],
    ),
]


@dataclass(frozen=True)
class ItemsOptions:
    """What the Part 3 / Part 1 parameters ask of one items request."""

    condition: cql.Condition | None
    sortby: tuple[tuple[str, bool], ...]
    properties: tuple[str, ...] | None


def check_parameters(params: QueryParams, provider: Provider, found: dict[str, Queryable]) -> None:
    """Refuse query parameters the collection does not know, naming them."""
    allowed = STANDARD_PARAMETERS | set(provider.filters) | set(found) | provider.extra_parameters
    unknown = sorted({name for name in params if name not in allowed})
    if unknown:
        names = ", ".join(sorted(allowed - {GEOMETRY}))
        raise InvalidInput(
            f"unknown query parameter {', '.join(unknown)} for collection {provider.id!r} "
            f"(accepted: {names})"
        )


def _names(value: str, what: str) -> list[str]:
    """A comma-separated list of names, refusing empty items."""
    names = [name.strip() for name in value.split(",")]
    if any(not name for name in names):
        raise InvalidInput(f"{what} {value!r} has an empty item")
    return names


def parse_sortby(value: str | None, provider: Provider) -> tuple[tuple[str, bool], ...]:
    """(property, descending) pairs of `sortby`; InvalidInput naming an unknown property."""
    if value is None:
        return ()
    pairs = []
    for name in _names(value, "sortby"):
        descending = name.startswith("-")
        bare = name.lstrip("+-").strip()
        if bare not in provider.properties:
            raise InvalidInput(
                f"sortby: unknown property {bare!r} (properties: {', '.join(provider.properties)})"
            )
        pairs.append((bare, descending))
    return tuple(pairs)


def parse_properties(value: str | None, provider: Provider) -> tuple[str, ...] | None:
    """The properties to keep, in the order given; InvalidInput naming an unknown one."""
    if value is None:
        return None
    if not value.strip():
        return ()
    names = list(dict.fromkeys(_names(value, "properties")))
    unknown = [name for name in names if name not in provider.properties]
    if unknown:
        raise InvalidInput(
            f"properties: unknown property {', '.join(map(repr, unknown))} "
            f"(properties: {', '.join(provider.properties)}; id and geometry are always kept)"
        )
    return tuple(names)


async def items_options(
    conn: AsyncConnection,
    provider: Provider,
    params: QueryParams,
    filter_text: str | None,
    filter_lang: str | None,
    filter_crs: str | None,
    sortby: str | None,
    properties: str | None,
) -> ItemsOptions:
    """Check every parameter of an items request; translate the filter and plain queryables."""
    found = await queryables(conn, provider)
    check_parameters(params, provider, found)
    trees = []
    if filter_text is not None:
        trees.append(cql.parse(filter_text, filter_lang))
    elif filter_lang is not None or filter_crs is not None:
        raise InvalidInput("filter-lang and filter-crs need a filter")
    for name in params:
        taken = name in provider.filters or name in provider.extra_parameters
        if name in found and not taken and name not in STANDARD_PARAMETERS:
            trees.extend(cql.plain(name, value, found[name]) for value in params.getlist(name))
    condition = None
    if trees:
        tree = trees[0] if len(trees) == 1 else {"op": "and", "args": trees}
        condition = cql.translate(tree, found, parse_crs(filter_crs, "filter-crs"))
    return ItemsOptions(
        condition, parse_sortby(sortby, provider), parse_properties(properties, provider)
    )


def collection_paths(document: dict[str, Any]) -> dict[str, Any]:
    """Add `/collections/{id}/items` of each static collection to the OpenAPI document.

    Each lists the collection's queryables as query parameters (equality; comma-separated
    values for arrays), which is how clients such as GDAL learn what they may filter on.
    """
    paths = document.get("paths", {})
    generic = paths.get("/collections/{collection_id}/items", {}).get("get")
    if generic is None:
        return document
    base = [p for p in generic.get("parameters", []) if p.get("in") != "path"]
    for provider in STATIC_PROVIDERS.values():
        given = {p["name"] for p in base} | set(provider.filters) | provider.extra_parameters
        plain = [
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": f"queryable {name}: equal to (arrays: containing every one of "
                f"the comma-separated values); types in /collections/{provider.id}/queryables",
                "schema": {"type": "string"},
            }
            for name in provider.properties
            if name not in given
        ]
        operation = {
            **generic,
            "summary": f"{provider.title}: features",
            "operationId": f"items_{provider.id}",
            "parameters": [*base, *plain],
        }
        paths.setdefault(f"/collections/{provider.id}/items", {}).setdefault("get", operation)
    return document
