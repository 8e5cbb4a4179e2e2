"""Change between two moments of the registry (two dates, or two snapshot runs of a source).

Services opened and closed: a service is *opened* when it is active at the end and was not at
the start (new, or reopened), *closed* when it was active at the start and is not at the end
(closed or suspended), read from the registry's history (`service_public_as_of`). With two
ingest runs of one source the moments are the runs' ends and only that source's services are
compared.

Coverage gained and lost per comune: a comune is covered at a moment when some service
active then (of the category, anywhere) is within `catchment_km` of its point, as the
coverage analysis measures it; it *entered a gap* when it has foreign residents and lost its
coverage, *left a gap* when it gained it. The foreign residents are those at 1 January in
force at the end (see `observatory.trends.population_year`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory.analysis.parameters import DEFAULT_CATCHMENT_KM
from observatory.errors import InvalidInput, NotFound
from observatory.trends import ALL, ROOTS_SQL, covered_within, population_year

FIRST_YEAR, LAST_YEAR = 1900, 2200
SIMPLIFY_DEGREES = 0.0005  # about 50 m
MAP_MAX_COMUNI = 800
GAINED, LOST, UNCHANGED = "gained", "lost", "unchanged"
OPENED, CLOSED = "opened", "closed"
SERVICES_SQL = """
SELECT s.id, s.name, s.category_code, s.status, s.municipality_code, s.source,
       ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat
FROM service_public_as_of(:at) s
WHERE s.status = 'active'
"""
COMUNI_SQL = """
SELECT m.code, m.name, m.region_code, am.area_code AS area, ta.name AS area_name,
       ST_X(m.point) AS lon, ST_Y(m.point) AS lat
FROM municipality m
LEFT JOIN area_municipality am ON am.municipality_code = m.code
LEFT JOIN territorial_area ta ON ta.code = am.area_code
ORDER BY m.code
"""
RUN_SQL = "SELECT id, source, finished_at, options FROM ingest_run WHERE id = :id"
UNITS = {
    "opened": "services active at `to` and not at `from` (new or reopened)",
    "closed": "services active at `from` and not at `to` (closed or suspended)",
    "gained": "comuni covered at `to` and not at `from` (a service within catchment_km)",
    "lost": "comuni covered at `from` and not at `to`",
    "foreign_residents": "persons at 1 January of parameters.population_year (ISTAT)",
    "entered_gap": "comuni with foreign residents that lost their coverage",
    "left_gap": "comuni with foreign residents that gained coverage",
}


def _run_moment(session: Session, run_id: int, name: str) -> tuple[datetime, str]:
    """The end of an ingest run and its source."""
    row = session.execute(text(RUN_SQL), {"id": run_id}).mappings().first()
    if row is None:
        raise NotFound(f"{name}: no ingest run {run_id}")
    if row["finished_at"] is None:
        raise InvalidInput(f"{name}: ingest run {run_id} has not finished")
    return row["finished_at"], row["source"]


def _moment(value: str, name: str) -> datetime:
    """The instant of a date or date-time, within the years the data can have."""
    from observatory.temporal import parse_as_of

    try:
        moment = parse_as_of(value, name)
    except OverflowError:
        moment = None
    if moment is None or not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise InvalidInput(f"{name} {value!r}: give a date between {FIRST_YEAR} and {LAST_YEAR}")
    return moment


def resolve_moments(
    session: Session, start: str | None, end: str | None,
    from_run: int | None = None, to_run: int | None = None,
) -> tuple[datetime, datetime, str | None]:
    """The two instants (dates are their last instant in Italy) and the source of two runs."""
    if (from_run is None) != (to_run is None):
        raise InvalidInput("give both from_run and to_run (two snapshots of one source)")
    if from_run is not None and to_run is not None:
        if start or end:
            raise InvalidInput("give two dates (from, to) or two runs (from_run, to_run)")
        lo, source = _run_moment(session, from_run, "from_run")
        hi, other = _run_moment(session, to_run, "to_run")
        if source != other:
            raise InvalidInput(f"runs {from_run} and {to_run} are of different sources "
                               f"({source!r}, {other!r})")
    else:
        if not start or not end:
            raise InvalidInput("give both from and to (dates YYYY-MM-DD or date-times)")
        lo, hi, source = _moment(start, "from"), _moment(end, "to"), None
    if lo > hi:
        raise InvalidInput("from is after to")
    return lo, hi, source


def _active(session: Session, at: datetime) -> dict[int, Any]:
    """The services active at `at`, by id (rows: id, name, category_code, ..., lon, lat)."""
    return {row.id: row for row in session.execute(text(SERVICES_SQL), {"at": at})}


def _covered(services: list[Any], lon: np.ndarray, lat: np.ndarray,
             catchment_km: float) -> np.ndarray:
    placed = [s for s in services if s.lon is not None]
    return covered_within(np.array([s.lon for s in placed], dtype=float),
                          np.array([s.lat for s in placed], dtype=float),
                          lon, lat, catchment_km)


def change(
    session: Session, start: str | None = None, end: str | None = None,
    from_run: int | None = None, to_run: int | None = None,
    catchment_km: float = DEFAULT_CATCHMENT_KM, category: str | None = None,
    region: str | None = None, area: str | None = None,
) -> dict[str, Any]:
    """The change document: parameters, units, summary, per area, services and comuni."""
    from observatory.analysis.runs import resolve_scope

    if not 0 < catchment_km <= 500:
        raise InvalidInput("catchment_km must be a number of km in (0, 500]")
    lo, hi, source = resolve_moments(session, start, end, from_run, to_run)
    region_code, area_code = resolve_scope(session, region, area)
    roots = dict(session.execute(text(ROOTS_SQL)).all())
    if category is not None and category not in roots:
        raise InvalidInput(f"unknown category {category!r}")

    def wanted(service: Any) -> bool:
        return category is None or category in (service.category_code,
                                                roots.get(service.category_code))

    before = {k: v for k, v in _active(session, lo).items() if category is None or wanted(v)}
    after = {k: v for k, v in _active(session, hi).items() if category is None or wanted(v)}
    comuni = [dict(r) for r in session.execute(text(COMUNI_SQL)).mappings()]
    years = sorted(session.execute(text(
        "SELECT DISTINCT year FROM population WHERE indicator = 'foreign_residents'")).scalars())
    if not years:
        raise InvalidInput("no foreign residents loaded: run `observatory geo load`")
    year = population_year(years, hi.date())
    foreign = dict(session.execute(text(
        "SELECT municipality_code, value FROM population "
        "WHERE indicator = 'foreign_residents' AND year = :year"), {"year": year}).all())
    by_code = {c["code"]: c for c in comuni}

    def in_scope(code: int | None) -> bool:
        row = by_code.get(code)
        return row is not None and (region_code is None or row["region_code"] == region_code) \
            and (area_code is None or row["area"] == area_code)

    services = []
    for kind, ids, state in ((OPENED, after.keys() - before.keys(), after),
                             (CLOSED, before.keys() - after.keys(), before)):
        for service_id in ids:
            service = state[service_id]
            if (source is None or service.source == source) and \
                    in_scope(service.municipality_code):
                comune = by_code[service.municipality_code]
                services.append({
                    "id": service_id, "change": kind, "name": service.name,
                    "category_code": service.category_code,
                    "top_category": roots.get(service.category_code),
                    "source": service.source,
                    "municipality_code": f"{comune['code']:06d}", "comune": comune["name"],
                    "area": comune["area"],
                })
    services.sort(key=lambda s: (s["change"] != OPENED, s["area"] or "", s["comune"], s["id"]))
    lon = np.array([c["lon"] for c in comuni], dtype=float)
    lat = np.array([c["lat"] for c in comuni], dtype=float)
    covered_from = _covered(list(before.values()), lon, lat, catchment_km)
    covered_to = _covered(list(after.values()), lon, lat, catchment_km)
    municipalities = []
    for i, comune in enumerate(comuni):
        if not in_scope(comune["code"]):
            continue
        was, now = bool(covered_from[i]), bool(covered_to[i])
        residents = float(foreign.get(comune["code"], 0))
        municipalities.append({
            "municipality_code": f"{comune['code']:06d}", "name": comune["name"],
            "area": comune["area"], "area_name": comune["area_name"],
            "covered_from": was, "covered_to": now,
            "change": GAINED if now and not was else LOST if was and not now else UNCHANGED,
            "foreign_residents": residents,
            "gap_from": residents > 0 and not was, "gap_to": residents > 0 and not now,
        })
    return {
        "parameters": {
            "from": lo.isoformat(), "to": hi.isoformat(), "from_run": from_run,
            "to_run": to_run, "source": source, "category": category,
            "catchment_km": catchment_km, "region": region, "area": area,
            "population_year": year,
        },
        "units": UNITS,
        "summary": _summary(services, municipalities),
        "areas": _per_area(services, municipalities),
        "services": services,
        "municipalities": municipalities,
    }


def _summary(services: list[dict[str, Any]], comuni: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals of a set of services changed and comuni."""
    def residents(state: str) -> float:
        return float(sum(c["foreign_residents"] for c in comuni if c["change"] == state))

    return {
        "opened": sum(1 for s in services if s["change"] == OPENED),
        "closed": sum(1 for s in services if s["change"] == CLOSED),
        "comuni_gained": sum(1 for c in comuni if c["change"] == GAINED),
        "comuni_lost": sum(1 for c in comuni if c["change"] == LOST),
        "foreign_residents_gained": residents(GAINED),
        "foreign_residents_lost": residents(LOST),
        "entered_gap": sum(1 for c in comuni if c["gap_to"] and not c["gap_from"]),
        "left_gap": sum(1 for c in comuni if c["gap_from"] and not c["gap_to"]),
    }


def _per_area(services: list[dict[str, Any]], comuni: list[dict[str, Any]]) -> list[dict]:
    """Per area (None: comuni in no area): the summary, and opened/closed per category."""
    rows = []
    for area in sorted({c["area"] for c in comuni}, key=lambda a: (a is None, a or "")):
        mine = [s for s in services if s["area"] == area]
        counted = Counter((s["top_category"] or "-", s["change"]) for s in mine)
        categories = sorted({category for category, _ in counted})
        rows.append({
            "area": area,
            "area_name": next(c["area_name"] for c in comuni if c["area"] == area),
            **_summary(mine, [c for c in comuni if c["area"] == area]),
            "categories": [{"category": ALL, "opened": counted_total(counted, OPENED),
                            "closed": counted_total(counted, CLOSED)}] + [
                {"category": category, "opened": counted[(category, OPENED)],
                 "closed": counted[(category, CLOSED)]} for category in categories],
        })
    return rows


def counted_total(counted: Counter, kind: str) -> int:
    """The count of `kind` over every category."""
    return sum(n for (_, state), n in counted.items() if state == kind)


def change_csv(document: dict[str, Any], table: str = "municipalities",
               dialect: str = "standard") -> bytes:
    """One table of a change document as CSV: municipalities, services or areas."""
    import pandas as pd

    from observatory.exports import csv_bytes

    if table not in ("municipalities", "services", "areas"):
        raise InvalidInput(f"unknown table {table!r}: municipalities, services or areas")
    rows = document[table]
    if table == "areas":
        rows = [{**{k: v for k, v in row.items() if k != "categories"},
                 "categories": " ".join(f"{c['category']}:+{c['opened']}-{c['closed']}"
                                        for c in row["categories"])} for row in rows]
    return csv_bytes(pd.DataFrame(rows), dialect, {"parameters": document["parameters"]})


def _shapes(session: Session, document: dict[str, Any]) -> dict[str, Any]:
    """Simplified polygons (shapely) of the document's comuni, by 6-character code."""
    import shapely

    codes = [int(c["municipality_code"]) for c in document["municipalities"]]
    rows = session.execute(text(
        "SELECT code, ST_AsBinary(ST_SimplifyPreserveTopology(geom, :tolerance)) "
        "FROM municipality WHERE code = ANY(:codes)"),
        {"codes": codes, "tolerance": SIMPLIFY_DEGREES}).all()
    return {f"{code:06d}": shapely.from_wkb(bytes(wkb)) for code, wkb in rows}


def change_features(session: Session, document: dict[str, Any]) -> dict[str, Any]:
    """The comuni of a change document as GeoJSON (RFC 7946) with their polygons."""
    from observatory.exports import export_metadata, rfc7946_geometry

    shapes = _shapes(session, document)
    features = [
        {"type": "Feature", "id": row["municipality_code"],
         "geometry": rfc7946_geometry(shapes[row["municipality_code"]]), "properties": row}
        for row in document["municipalities"]
    ]
    members = export_metadata({"parameters": document["parameters"],
                               "summary": document["summary"], "units": document["units"]})
    return {"type": "FeatureCollection", **members, "features": features}


CHANGE_COLOURS = {GAINED: "#0072B2", LOST: "#D55E00", UNCHANGED: "#dddddd"}  # Okabe-Ito
CHANGE_LABELS = {GAINED: "copertura acquisita / gained", LOST: "copertura persa / lost",
                 UNCHANGED: "invariato / unchanged"}


def change_map(session: Session, document: dict[str, Any]) -> str:
    """An SVG map of the comuni: coverage gained, lost or unchanged; opened/closed services."""
    from observatory.svg import map_svg

    if len(document["municipalities"]) > MAP_MAX_COMUNI:
        raise InvalidInput(
            f"the change map draws at most {MAP_MAX_COMUNI} comuni, this scope has "
            f"{len(document['municipalities'])}: give an area or a smaller region, or use "
            "format=geojson")
    shapes = _shapes(session, document)
    drawn = []
    for row in document["municipalities"]:
        state = "coperto" if row["covered_to"] else "scoperto"
        drawn.append((shapes[row["municipality_code"]],
                      CHANGE_COLOURS[row["change"]],
                      f"{row['name']}: {CHANGE_LABELS[row['change']]} ({state}), "
                      f"{row['foreign_residents']:,.0f} stranieri"))
    parameters = document["parameters"]
    title = (f"Copertura {parameters['from'][:10]} → {parameters['to'][:10]}, "
             f"{parameters['catchment_km']:g} km")
    legend = [(CHANGE_COLOURS[k], CHANGE_LABELS[k]) for k in (GAINED, LOST, UNCHANGED)]
    return map_svg(title, drawn, legend)
