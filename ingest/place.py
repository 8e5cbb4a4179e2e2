"""Point in polygon in PostGIS: each point's comune and area, checked against the stated one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from ingest.gazetteer import Gazetteer
from ingest.record import Record
from observatory.db import copy_rows

STAGE_SQL = """
CREATE TEMP TABLE stage_point (
    row_number int, geom geometry(Point, 4326), stated_code int
) ON COMMIT DROP
"""

# The stated comune is tried first (rows arrive grouped by it, so PostGIS reuses its
# prepared polygon); only points outside it search every comune through the GiST index.
LOCATE_SQL = """
SELECT row_number, found,
       CASE WHEN stated_code IS NOT NULL AND found IS DISTINCT FROM stated_code
            THEN ST_Distance(stated_geom::geography, geom::geography) / 1000 END
FROM (
    SELECT s.row_number, s.stated_code, s.geom, stated.geom AS stated_geom,
           CASE WHEN ST_Intersects(stated.geom, s.geom) THEN stated.code
                ELSE (SELECT m.code FROM municipality m WHERE ST_Intersects(m.geom, s.geom)
                      LIMIT 1) END AS found
    FROM stage_point s LEFT JOIN municipality stated ON stated.code = s.stated_code
) located
"""


@dataclass(frozen=True)
class Placement:
    """The comune a point falls in, and its distance from the stated comune when it differs."""

    found_code: int | None
    distance_km: float | None


def ewkt(lon: float, lat: float) -> str:
    """A WGS84 point as EWKT, rounded to 7 decimals (about 1 cm)."""
    return f"SRID=4326;POINT({lon:.7f} {lat:.7f})"


def locate(session: Session, records: list[Record]) -> dict[int, Placement]:
    """Find, in one query, the comune of every record's point (keyed by row number)."""
    session.execute(text("DROP TABLE IF EXISTS stage_point"))
    session.execute(text(STAGE_SQL))
    rows = sorted(
        (r.comune.code if r.comune else 0, r.row_number, ewkt(r.lon, r.lat)) for r in records
    )
    copy_rows(
        session,
        "COPY stage_point (row_number, geom, stated_code) FROM STDIN",
        ((number, point, code or None) for code, number, point in rows),
    )
    session.execute(text("ANALYZE stage_point"))
    placements = {
        number: Placement(code, distance)
        for number, code, distance in session.execute(text(LOCATE_SQL))
    }
    session.execute(text("DROP TABLE stage_point"))
    return placements


def decide(
    record: Record,
    placement: Placement,
    gazetteer: Gazetteer,
    tolerance_km: float,
) -> None:
    """Set the record's comune from its point; flag or refuse disagreement with the stated one."""
    stated, found = record.comune, placement.found_code
    code = found
    if stated is not None and found != stated.code:
        distance = placement.distance_km or 0.0
        where = gazetteer.comuni[found].label if found in gazetteer.comuni else "no loaded comune"
        if distance <= tolerance_km:
            code = stated.code if found is None else found
            record.flags.append("comune_mismatch")
        elif record.precision != "provided":
            record.lon, record.lat = stated.lon, stated.lat
            record.precision, record.geocode_source = "municipality", "municipality"
            record.flags.append("geocoder_outside_comune")
            code = stated.code
        else:
            record.refuse(
                "outside_stated_comune", "lat/lon", f"{record.lat}, {record.lon}",
                f"the point is {distance:.1f} km outside {stated.label}, the stated comune "
                f"(it falls in {where}; tolerance {tolerance_km:g} km)",
            )
            return
    if code is None:
        record.refuse(
            "outside_geography", "lat/lon", f"{record.lat}, {record.lon}",
            "the point falls in no comune of the loaded geography",
        )
        return
    record.municipality_code = code


def place(
    session: Session,
    records: list[Record],
    gazetteer: Gazetteer,
    tolerance_km: float,
) -> None:
    """Assign comune and area to every located record; refuse those that cannot be placed."""
    placements = locate(session, records)
    for record in records:
        decide(record, placements[record.row_number], gazetteer, tolerance_km)
