"""Read-only database roles for researchers (QGIS, R, psql): public data, never personal data.

A reader may read the geography, population, areas, categories, analyses and the services
through `service_public` (private fields blanked); not `service` itself, `ingest_rejection`
(raw rows may hold personal data), `ingest_run`, `geocode_cache` nor `api_key`; and write
nothing.
"""

from __future__ import annotations

import re

import psycopg
from psycopg import sql

from observatory.errors import InvalidInput

READABLE = (
    "region", "province", "municipality", "territorial_area", "area_municipality",
    "population", "geography_load", "service_category", "analysis_run", "analysis_result",
    "service_public",
)
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def create_reader(conn: psycopg.Connection, name: str, password: str) -> bool:
    """Create (or update) the LOGIN role `name` reading the public data; True when created."""
    if not ROLE_NAME.fullmatch(name):
        raise InvalidInput(f"role name {name!r}: lower-case letters, digits and _ only")
    role = sql.Identifier(name)
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    verb = "ALTER" if exists else "CREATE"
    conn.execute(
        sql.SQL(verb + " ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}").format(
            role, sql.Literal(password)
        )
    )
    database = conn.execute("SELECT current_database()").fetchone()[0]
    conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
        sql.Identifier(database), role
    ))
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role))
    conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(
        sql.SQL(", ").join(sql.Identifier(table) for table in READABLE), role
    ))
    return exists is None
