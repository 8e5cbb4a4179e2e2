"""The service registry as researchers take it away: public fields only, labels, comune, area.

It reads the `service_public` view (or, as of an instant, `service_public_as_of`): fields a
service lists in `private_fields` are empty, and the point is the public one (the comune's
representative point when the address is private).
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory.analysis.runs import resolve_scope
from observatory.exports import write_export
from observatory.taxonomy import check_category
from observatory.temporal import canonical, parse_as_of, reading_history

LIST_FIELDS = ("languages", "target_groups", "access_modes")

SERVICES_SQL = """
SELECT s.id, s.name, s.organization_name, s.description, s.category_code,
       c.label_it AS category_it, c.label_en AS category_en,
       s.address_1, s.postal_code, m.code AS municipality_code, m.name AS municipality,
       p.name AS province, g.name AS region, am.area_code AS area,
       s.geocode_precision, s.languages, s.target_groups, s.access_modes,
       s.mediation_available, s.step_free_access, s.documents_required, s.cost,
       s.phone, s.email, s.url, s.opening_hours, s.eligibility_description, s.capacity,
       s.status, s.is_example, s.updated_at, s.last_verified, s.geom AS geometry
FROM {source}
LEFT JOIN service_category c ON c.code = s.category_code
LEFT JOIN municipality m ON m.code = s.municipality_code
LEFT JOIN province p ON p.code = m.province_code
LEFT JOIN region g ON g.code = m.region_code
LEFT JOIN area_municipality am ON am.municipality_code = m.code
WHERE (:include_inactive OR s.status = 'active')
  AND (CAST(:category AS text) IS NULL
       OR s.category_code IN (SELECT category_and_children(:category)))
  AND (CAST(:region AS int) IS NULL OR m.region_code = :region)
  AND (CAST(:area AS text) IS NULL OR am.area_code = :area)
ORDER BY s.id
"""
AS_OF_SOURCE = "service_public_as_of(CAST(:as_of AS timestamptz)) s"


def services_frame(
    session: Session,
    region: str | None = None,
    area: str | None = None,
    category_code: str | None = None,
    include_inactive: bool = False,
    as_of: str | None = None,
) -> gpd.GeoDataFrame:
    """Services (active unless asked) with public fields, filtered by region, area, category.

    `as_of` (a date or date-time): the registry as it was then, else now.
    """
    check_category(session, category_code)
    region_code, area_code = resolve_scope(session, region, area)
    source = "service_public s" if as_of is None else AS_OF_SOURCE
    with reading_history(session) if as_of is not None else nullcontext():
        frame = gpd.read_postgis(
            text(SERVICES_SQL.format(source=source)),
            session.connection(),
            geom_col="geometry",
            params={"include_inactive": include_inactive, "category": category_code,
                    "region": region_code, "area": area_code,
                    "as_of": None if as_of is None else canonical(parse_as_of(as_of))},
        )
    frame["municipality_code"] = frame["municipality_code"].map(
        lambda code: None if pd.isna(code) else f"{int(code):06d}"
    )
    for column in LIST_FIELDS:
        frame[column] = frame[column].map(lambda values: ", ".join(values or []))
    frame["updated_at"] = frame["updated_at"].map(lambda t: None if pd.isna(t) else t.isoformat())
    frame["last_verified"] = frame["last_verified"].map(
        lambda d: None if d is None or pd.isna(d) else str(d)
    )
    frame["lon"] = frame.geometry.x
    frame["lat"] = frame.geometry.y
    return frame


def export_services(
    session: Session,
    path: Path,
    region: str | None = None,
    area: str | None = None,
    category_code: str | None = None,
    csv_dialect: str = "standard",
    include_inactive: bool = False,
    as_of: str | None = None,
) -> int:
    """Write the filtered registry to `path` (.geojson, .gpkg, .csv); return the count."""
    frame = services_frame(session, region, area, category_code, include_inactive, as_of)
    filters = {"region": region, "area": area, "category_code": category_code,
               "include_inactive": include_inactive}
    if as_of is not None:
        filters["as_of"] = canonical(parse_as_of(as_of))
    write_export(frame, path, {"parameters": filters}, "services", csv_dialect)
    return len(frame)
