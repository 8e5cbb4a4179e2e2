"""Queryables (OGC API - Features Part 3): the public properties a filter may name, typed.

The types come from PostgreSQL itself (the provider's property expressions over its source,
read once per collection kind), so they can never drift from what the items carry. Only the
properties the provider already serves and its public geometry are queryable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psycopg import AsyncConnection, sql

if TYPE_CHECKING:
    from observatory.features.base import Provider

GEOMETRY = "geometry"
JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
# PostgreSQL type (as psycopg displays it, without modifiers) -> kind of value.
KINDS = {
    "text": "string",
    "varchar": "string",
    "bpchar": "string",
    "int2": "integer",
    "int4": "integer",
    "int8": "integer",
    "float4": "number",
    "float8": "number",
    "bool": "boolean",
    "timestamptz": "timestamp",
    "timestamp": "timestamp",
    "character varying": "string",
    "character": "string",
    "integer": "integer",
    "bigint": "integer",
    "smallint": "integer",
    "numeric": "number",
    "double precision": "number",
    "real": "number",
    "boolean": "boolean",
    "timestamp with time zone": "timestamp",
    "timestamp without time zone": "timestamp",
    "date": "date",
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "timestamp": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
}

TITLES = {
    "name": "Nome / Name",
    "organization_name": "Ente / Organisation",
    "category": "Categoria / Category",
    "municipality_code": "Codice ISTAT del comune / Municipality code",
    "address": "Indirizzo / Address",
    "postal_code": "CAP / Postcode",
    "phone": "Telefono / Phone",
    "email": "E-mail",
    "url": "Sito web / Website",
    "opening_hours": "Orari / Opening hours",
    "languages": "Lingue parlate (ISO 639) / Languages spoken",
    "target_groups": "Destinatari / Target groups",
    "access_modes": "Modalità di accesso / Access modes",
    "mediation_available": "Mediazione culturale / Cultural mediation",
    "step_free_access": "Accesso senza barriere / Step-free access",
    "cost": "Costo / Cost",
    "status": "Stato / Status",
    "geocode_precision": "Precisione della posizione / Location precision",
    "location_approximate": "Posizione approssimata / Approximate location",
    "updated_at": "Aggiornato il / Updated at",
    "province_code": "Codice ISTAT della provincia / Province code",
    "region_code": "Codice ISTAT della regione / Region code",
    "area": "Area territoriale / Territorial area",
    "area_km2": "Superficie km² / Area km²",
    "residents": "Residenti / Residents",
    "municipalities": "Comuni / Municipalities",
    "short": "Sigla / Abbreviation",
    "demand": "Domanda / Demand",
    "services_count": "Servizi / Services",
    "nearest_km": "Servizio più vicino km / Nearest service km",
    "services_within": "Servizi nel raggio / Services within reach",
    "covered": "Coperto / Covered",
    "access_index": "Indice di accesso / Access index",
    "access_per_10k": "Accesso per 10.000 / Access per 10,000",
    "unmet_demand": "Domanda non servita / Unmet demand",
    "is_gap": "Lacuna / Gap",
    "gap_rank": "Rango della lacuna / Gap rank",
    "run_id": "Analisi / Analysis run",
}
"""Titles of the queryables, Italian first."""

_cache: dict[Any, dict[str, Queryable]] = {}


@dataclass(frozen=True)
class Queryable:
    """A property a filter may name: its SQL expression, kind and PostgreSQL type."""

    name: str
    expression: sql.Composable
    kind: str
    """string, integer, number, boolean, timestamp, date, array or geometry."""
    sql_type: str = ""
    item_kind: str | None = None
    """The kind of an array's items."""
    enum: tuple[Any, ...] | None = None

    def schema(self) -> dict[str, Any]:
        """The property's JSON Schema (2020-12)."""
        if self.kind == GEOMETRY:
            return {
                "title": "Geometria / Geometry",
                "format": "geometry-any",
                "x-ogc-role": "primary-geometry",
            }
        title = {"title": TITLES[self.name]} if self.name in TITLES else {}
        if self.kind == "array":
            items = dict(SCHEMAS[self.item_kind or "string"])
            if self.enum:
                items["enum"] = list(self.enum)
            return {**title, "type": "array", "items": items}
        found = {**title, **SCHEMAS[self.kind]}
        if self.enum:
            found["enum"] = list(self.enum)
        return found


def _kind(base: str) -> tuple[str, str | None] | None:
    """(kind, item kind) of a PostgreSQL type, None when a filter cannot compare it."""
    if base.endswith("[]"):
        item = KINDS.get(base[:-2])
        return ("array", item) if item else None
    kind = KINDS.get(base)
    return (kind, None) if kind else None


async def queryables(conn: AsyncConnection, provider: Provider) -> dict[str, Queryable]:
    """The queryables of `provider`: its typed properties, then its geometry (cached)."""
    key = provider.queryables_key
    found = _cache.get(key)
    if found is not None:
        return found
    names = list(provider.properties)
    statement = sql.SQL("SELECT {} FROM {} LIMIT 0").format(
        sql.SQL(", ").join(provider.properties[name] for name in names), provider.source
    )
    cursor = conn.cursor()
    await cursor.execute(statement, provider.base_params)
    found = {}
    enums = await _enums(conn, provider)
    for name, column in zip(names, cursor.description or [], strict=True):
        # varchar(3)[] -> varchar[]: a cast never truncates a value compared with it
        base = re.sub(r"\(.*?\)", "", column.type_display).strip()
        kinds = _kind(base)
        if kinds is None:
            continue
        expression = provider.properties[name]
        found[name] = Queryable(name, expression, kinds[0], base, kinds[1], enums.get(name))
    found[GEOMETRY] = Queryable(GEOMETRY, provider.geometry, GEOMETRY)
    _cache[key] = found
    return found


async def _enums(conn: AsyncConnection, provider: Provider) -> dict[str, tuple[Any, ...]]:
    """The allowed values of the properties whose provider lists them (`enums`)."""
    found: dict[str, tuple[Any, ...]] = {}
    for name, query in provider.enums.items():
        cursor = conn.cursor()  # text values decoded (fetch_row keeps them as bytes)
        await cursor.execute(query)
        row = await cursor.fetchone()
        if row and row[0]:
            found[name] = tuple(row[0])
    return found


def document(provider: Provider, found: dict[str, Queryable], href: str) -> dict[str, Any]:
    """The queryables as a JSON Schema document (OGC API - Features Part 3)."""
    return {
        "$schema": JSON_SCHEMA,
        "$id": href,
        "type": "object",
        "title": provider.title,
        "properties": {name: queryable.schema() for name, queryable in found.items()},
        "additionalProperties": False,
    }
