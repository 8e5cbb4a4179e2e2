"""Map test data: the seeded services plus two special ones, and analysis runs."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.factories import PRECISIONS, seed_services

XSS_NAME = "<script>alert(1)</script>"
PRIVATE_PHONE = "+39 000 SEGRETO"
NAPOLI = 63049

SPECIAL_SQL = text(
    """
    INSERT INTO service (source, source_key, name, organization_name, category_code, address_1,
                         phone, languages, municipality_code, geom, geocode_precision,
                         geocode_source, private_fields)
    SELECT 'seed', :key, :name, 'Ente <b>grassetto</b>', 'LEG', 'Via Toledo 1', :phone,
           ARRAY['ar', 'sq']::varchar[], m.code, m.point, 'street', 'seed',
           CAST(:private AS text[])
    FROM municipality m WHERE m.code = :code
    """
)

RUN_SQL = text(
    """
    INSERT INTO analysis_run (kind, category_code, parameters, parameters_hash, snapshot)
    VALUES (:kind, NULL, CAST(:parameters AS jsonb), md5(CAST(:parameters AS text)), '{}'::jsonb)
    RETURNING id
    """
)

COVERAGE_SQL = text(
    """
    INSERT INTO analysis_result (run_id, municipality_code, demand, services_count, nearest_km,
                                 services_within, covered, access_index, access_per_10k,
                                 unmet_demand, is_gap)
    SELECT :run, m.code, d.demand, c.n, near.km, within.n, within.n > 0,
           within.n / NULLIF(d.demand, 0), within.n * 10000.0 / NULLIF(d.demand, 0),
           CASE WHEN d.demand > 0 AND within.n = 0 THEN d.demand ELSE 0 END,
           d.demand > 0 AND within.n = 0
    FROM municipality m
    CROSS JOIN LATERAL (SELECT COALESCE(max(p.value), 0) AS demand FROM population p
                        WHERE p.municipality_code = m.code AND p.indicator = 'residents') d
    CROSS JOIN LATERAL (SELECT count(*) AS n FROM service s
                        WHERE s.municipality_code = m.code) c
    CROSS JOIN LATERAL (SELECT ST_Distance(m.point::geography, s.geom::geography) / 1000 AS km
                        FROM service s ORDER BY s.geom <-> m.point LIMIT 1) near
    CROSS JOIN LATERAL (SELECT count(*) AS n FROM service s
                        WHERE ST_DWithin(m.point::geography, s.geom::geography, :radius_m)) within
    """
)


def seed_map_services(session: Session, count: int = 600) -> None:
    """`count` seeded services of every geocode precision, some example data, plus two special
    ones: one named `<script>alert(1)</script>`, one with a private phone (both in Napoli).
    """
    seed_services(session, count, prefix="seed-", precisions=PRECISIONS, example_every=10)
    session.execute(
        SPECIAL_SQL,
        {"key": "xss", "name": XSS_NAME, "phone": "+39 081 1", "private": [], "code": NAPOLI},
    )
    session.execute(
        SPECIAL_SQL,
        {
            "key": "private",
            "name": "Sportello riservato",
            "phone": PRIVATE_PHONE,
            "private": ["phone"],
            "code": NAPOLI,
        },
    )


COPY_SQL = text(
    """
    INSERT INTO analysis_result (run_id, municipality_code, demand, services_count, nearest_km,
                                 services_within, covered, access_index, access_per_10k,
                                 unmet_demand, is_gap)
    SELECT :run, municipality_code, demand, services_count, nearest_km, services_within, covered,
           access_index, access_per_10k, unmet_demand, is_gap
    FROM analysis_result WHERE run_id = :source
    """
)


def seed_analysis(session: Session, catchment_km: float = 10) -> dict[str, int]:
    """Coverage, access and gap runs (all categories) over every comune; their ids by kind."""
    parameters = json.dumps({"catchment_km": catchment_km, "demand": "residents"})
    runs = {
        kind: session.execute(RUN_SQL, {"kind": kind, "parameters": parameters}).scalar_one()
        for kind in ("coverage", "access", "gaps")
    }
    session.execute(COVERAGE_SQL, {"run": runs["coverage"], "radius_m": catchment_km * 1000})
    for kind in ("access", "gaps"):
        session.execute(COPY_SQL, {"run": runs[kind], "source": runs["coverage"]})
    return runs


def services_in_region(session: Session, region_code: int) -> int:
    """Active services located in the comuni of a region."""
    return session.execute(
        text(
            "SELECT count(*) FROM service s JOIN municipality m ON m.code = s.municipality_code "
            "WHERE m.region_code = :region AND s.status = 'active'"
        ),
        {"region": region_code},
    ).scalar_one()


def comuni_in_region(session: Session, region_code: int) -> int:
    """Comuni of a region."""
    return session.execute(
        text("SELECT count(*) FROM municipality WHERE region_code = :region"),
        {"region": region_code},
    ).scalar_one()
