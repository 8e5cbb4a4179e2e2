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


# Where geocoders put an address they found only as "Italia": no service is there.
CENTRES_OF_ITALY = (
    (42.6384261, 12.674297),  # Nominatim, relation Italia
    (41.87194, 12.56738),  # Google Maps, "Italy"
    (42.83333, 12.83333),  # GeoNames 3175395
    (42.504154, 12.646361),  # repeated for unfound addresses in the real IndicePA file
)
CENTRE_DEGREES = 0.0005  # about 50 m: the same point, written with fewer decimals


def centre_of_italy(lat: float, lon: float) -> bool:
    """True when the point is one of the geocoders' centres of Italy."""
    return any(
        abs(lat - c_lat) <= CENTRE_DEGREES and abs(lon - c_lon) <= CENTRE_DEGREES
        for c_lat, c_lon in CENTRES_OF_ITALY
    )


def _discard(record: Record, why: str) -> None:
    """Drop the given coordinates (kept in a warning): the geocoder chain places the row."""
    record.warn(
        "coordinates_discarded", "lat/lon", f"{record.lat_text}, {record.lon_text}",
        f"the point ({record.lat}, {record.lon}) {why}: the coordinates are discarded and the "
        "row is placed like a row without coordinates",
    )
    record.lon = record.lat = record.precision = record.geocode_source = None


def decide(
    record: Record,
    placement: Placement,
    gazetteer: Gazetteer,
    tolerance_km: float,
) -> None:
    """Set the record's comune: the one the row names when it names one, else its point's.

    A registry's comune is an administrative fact; a point is a measurement. So a point in
    a neighbouring comune within the tolerance (a boundary imprecision) is kept, with the
    stated comune and the flag `comune_mismatch`. Given coordinates beyond the tolerance,
    or on a geocoder's centre of Italy, are discarded with a warning
    (`coordinates_discarded`): the row goes on to the geocoder chain like a row without
    coordinates. A geocoder's point beyond the tolerance gives way to the comune's point.
    A row naming no comune is placed by its point, and refused outside the geography.
    """
    stated, found = record.comune, placement.found_code
    if stated is None:
        if found is None:
            record.refuse(
                "outside_geography", "lat/lon", f"{record.lat}, {record.lon}",
                "the point falls in no comune of the loaded geography",
            )
            return
        record.municipality_code = found
        return
    given = record.precision == "provided"
    centre = given and centre_of_italy(record.lat or 0.0, record.lon or 0.0)
    if found == stated.code and not centre:
        record.municipality_code = stated.code
        return
    distance = placement.distance_km or 0.0
    if found == stated.code:
        how_far = f"inside {stated.label}, the comune the row names"
    else:
        where = gazetteer.comuni[found].label if found in gazetteer.comuni else "no loaded comune"
        how_far = (
            f"{distance:.1f} km outside {stated.label}, the comune the row names (it falls in "
            f"{where}; tolerance {tolerance_km:g} km)"
        )
    if centre:
        _discard(record, f"is a geocoder's centre of Italy, not an address; it is {how_far}")
        return
    if distance <= tolerance_km:
        record.flags.append("comune_mismatch")
    elif given:
        _discard(record, f"is {how_far}")
        return
    else:
        record.lon, record.lat = stated.lon, stated.lat
        record.precision, record.geocode_source = "municipality", "municipality"
        record.flags.append("geocoder_outside_comune")
    record.municipality_code = stated.code


def place(
    session: Session,
    records: list[Record],
    gazetteer: Gazetteer,
    tolerance_km: float,
) -> None:
    """Assign comune and area to every located record; refuse those that cannot be placed.

    Given coordinates that `decide` discards leave the record without a point nor a comune
    code: geocode it, then place it again (see the pipeline).
    """
    if not records:
        return
    placements = locate(session, records)
    for record in records:
        decide(record, placements[record.row_number], gazetteer, tolerance_km)
