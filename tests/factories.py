"""Seeded test and benchmark data: random services inside comuni, analysis runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import insert, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from observatory.models import Service


def random_points_in_comuni(
    codes: np.ndarray, polygons: np.ndarray, count: int, seed: int
) -> pd.DataFrame:
    """`count` points uniform over the union of `polygons`, each with its comune code."""
    rng = np.random.default_rng(seed)
    tree = shapely.STRtree(polygons)
    xmin, ymin, xmax, ymax = shapely.total_bounds(polygons)
    found: list[pd.DataFrame] = []
    total = 0
    while total < count:
        lon = rng.uniform(xmin, xmax, 4 * count)
        lat = rng.uniform(ymin, ymax, 4 * count)
        point_index, polygon_index = tree.query(shapely.points(lon, lat), predicate="within")
        first = np.unique(point_index, return_index=True)[1]
        batch = pd.DataFrame({
            "lon": lon[point_index[first]],
            "lat": lat[point_index[first]],
            "municipality_code": np.asarray(codes)[polygon_index[first]],
        })
        found.append(batch)
        total += len(batch)
    return pd.concat(found, ignore_index=True).iloc[:count]


def insert_services(
    session: Session,
    points: pd.DataFrame,
    category_code: str | None,
    capacity: list[float | None] | None = None,
    source: str = "test",
) -> list[int]:
    """Insert one active service per point (lon, lat, municipality_code); return their ids."""
    rows = [
        {
            "source": source,
            "source_key": f"{source}-{number}",
            "name": f"Servizio {number}",
            "category_code": category_code,
            "municipality_code": int(row.municipality_code),
            "geom": f"SRID=4326;POINT({float(row.lon)!r} {float(row.lat)!r})",
            "geocode_precision": "provided",
            "geocode_source": "test",
            "capacity": None if capacity is None else capacity[number],
            "status": "active",
        }
        for number, row in enumerate(points.itertuples(index=False))
    ]
    return list(session.scalars(insert(Service).returning(Service.id), rows))


LANGUAGES = ["en", "fr", "ar", "es", "ro", "uk", "zh", "bn", "wo", "ur", "ti", "pa"]
TARGET_GROUPS = ["regular", "asylum_seekers", "protection_holders", "stp", "eni"]
PRECISIONS = ["provided", "street", "postcode", "municipality"]

SEED_SERVICES = text(
    """
    WITH comuni AS (
        SELECT m.code, m.geom,
               ceil(:count * coalesce(p.value, 1)::float
                    / sum(coalesce(p.value, 1)) OVER ())::int AS n
        FROM municipality m
        LEFT JOIN population p ON p.municipality_code = m.code AND p.indicator = 'residents'
    ),
    points AS (
        SELECT c.code, (ST_Dump(ST_GeneratePoints(c.geom, c.n, :seed + c.code))).geom AS geom
        FROM comuni c
    ),
    numbered AS (
        SELECT row_number() OVER (
                   ORDER BY md5(code::text || ST_AsText(geom) || :seed), code
               ) AS i, code, geom
        FROM points
    ),
    leaves AS (
        SELECT array_agg(code ORDER BY code) AS codes FROM service_category c
        WHERE NOT EXISTS (SELECT 1 FROM service_category k WHERE k.parent_code = c.code)
    )
    INSERT INTO service (source, source_key, name, organization_name, category_code,
        address_1, postal_code, municipality_code, geom, geocode_precision, geocode_source,
        languages, target_groups, access_modes, mediation_available, phone, email,
        opening_hours, status, is_example)
    SELECT 'seed', :prefix || n.i, 'Servizio ' || n.i, 'Ente ' || (n.i % 500),
        l.codes[1 + (hashint4(n.i::int) & 65535) % array_length(l.codes, 1)],
        'Via Roma ' || (n.i % 200), lpad(((n.i * 7) % 99999)::text, 5, '0'), n.code, n.geom,
        (CAST(:precisions AS text[]))[1 + n.i % array_length(CAST(:precisions AS text[]), 1)],
        'seed',
        ARRAY['it', (CAST(:languages AS varchar[]))[1 + (n.i % 12)]],
        ARRAY[(CAST(:groups AS text[]))[1 + (n.i % 5)]],
        ARRAY['walk_in'], n.i % 3 = 0, '+39 081 ' || (100000 + n.i),
        'info' || n.i || '@example.org',
        'lun-ven 9-13', 'active', :example_every > 0 AND n.i % :example_every = 0
    FROM numbered n, leaves l
    WHERE n.i <= :count
    """
)


def seed_services(
    conn: Connection | Session,
    count: int,
    seed: int = 1,
    prefix: str = "s",
    *,
    precisions: list[str] | None = None,
    example_every: int = 0,
) -> int:
    """Insert `count` services at random points inside the comuni (weighted by residents).

    Every service is active, in a leaf category, with a phone, e-mail and languages; the
    geocode precision cycles through `precisions` (default: all "provided") and every
    `example_every`-th service is marked as example data (0: none).
    """
    result = conn.execute(
        SEED_SERVICES,
        {
            "count": count,
            "seed": seed,
            "prefix": prefix,
            "languages": LANGUAGES,
            "groups": TARGET_GROUPS,
            "precisions": precisions or ["provided"],
            "example_every": example_every,
        },
    )
    conn.execute(text("ANALYZE service"))
    return result.rowcount


SEED_ANALYSIS_RUN = text(
    """
    WITH run AS (
        INSERT INTO analysis_run (kind, category_code, parameters, parameters_hash, snapshot)
        VALUES (:kind, :category, CAST(:parameters AS jsonb), md5(CAST(:parameters AS text)), '{}')
        RETURNING id
    ), measured AS (
        SELECT m.code, coalesce(p.value, 0) AS demand,
            (SELECT count(*) FROM service s WHERE s.municipality_code = m.code
             AND (s.category_code = :category OR s.category_code IN
                  (SELECT code FROM service_category WHERE parent_code = :category))) AS services,
            (SELECT ST_Distance(s.geom::geography, m.point::geography) / 1000 FROM service s
             WHERE s.category_code = :category OR s.category_code IN
                  (SELECT code FROM service_category WHERE parent_code = :category)
             ORDER BY s.geom <-> m.point LIMIT 1) AS nearest_km
        FROM municipality m
        LEFT JOIN population p ON p.municipality_code = m.code AND p.indicator = 'residents'
    )
    INSERT INTO analysis_result (run_id, municipality_code, demand, services_count, nearest_km,
        services_within, covered, access_index, access_per_10k, unmet_demand, is_gap)
    SELECT run.id, code, demand, services, nearest_km, services, nearest_km <= :distance_km,
        services / nullif(demand, 0), services * 10000.0 / nullif(demand, 0),
        CASE WHEN demand > 0 AND NOT coalesce(nearest_km <= :distance_km, false)
             THEN demand ELSE 0 END,
        demand > 0 AND NOT coalesce(nearest_km <= :distance_km, false)
    FROM measured, run
    RETURNING run_id
    """
)


def seed_analysis_run(conn: Connection, kind: str, category: str, distance_km: float = 10.0) -> int:
    """Store an analysis run of `kind` over the seeded services; return its id."""
    parameters = f'{{"distance_km": {distance_km}, "demand": "residents"}}'
    rows = conn.execute(
        SEED_ANALYSIS_RUN,
        {"kind": kind, "category": category, "parameters": parameters, "distance_km": distance_km},
    ).all()
    return rows[0][0]
