"""The service registry as researchers take it away: public fields only, labels, comune, area.

It reads the `service_public` view: fields a service lists in `private_fields` are empty, and
the point is the public one (the comune's representative point when the address is private).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory.analysis.store import resolve_scope
from observatory.exports import write_export
from observatory.taxonomy import check_category

LIST_FIELDS = ("languages", "target_groups", "access_modes")

SERVICES_SQL = """
SELECT s.id, s.name, s.organization_name, s.description, s.category_code,
       c.label_it AS category_it, c.label_en AS category_en,
       s.address_1, s.postal_code, m.code AS municipality_code, m.name AS municipality,
       p.name AS province, g.name AS region, am.area_code AS area,
       s.geocode_precision, s.languages, s.target_groups, s.access_modes,
       s.mediation_available, s.step_free_access, s.documents_required, s.cost,
       s.phone, s.email, s.url, s.opening_hours, s.eligibility_description, s.capacity,
       s.status, s.is_example, s.updated_at, s.geom AS geometry
FROM service_public s
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


def services_frame(
    session: Session,
    region: str | None = None,
    area: str | None = None,
    category_code: str | None = None,
    include_inactive: bool = False,
) -> gpd.GeoDataFrame:
    """Services (active unless asked) with public fields, filtered by region, area, category."""
    check_category(session, category_code)
    region_code, area_code = resolve_scope(session, region, area)
    frame = gpd.read_postgis(
        text(SERVICES_SQL),
        session.connection(),
        geom_col="geometry",
        params={"include_inactive": include_inactive, "category": category_code,
                "region": region_code, "area": area_code},
    )
    frame["municipality_code"] = frame["municipality_code"].map(
        lambda code: None if pd.isna(code) else f"{int(code):06d}"
    )
    for column in LIST_FIELDS:
        frame[column] = frame[column].map(lambda values: ", ".join(values or []))
    frame["updated_at"] = frame["updated_at"].map(lambda t: None if pd.isna(t) else t.isoformat())
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
) -> int:
    """Write the filtered registry to `path` (.geojson, .gpkg, .csv); return the count."""
    frame = services_frame(session, region, area, category_code, include_inactive)
    filters = {"region": region, "area": area, "category_code": category_code,
               "include_inactive": include_inactive}
    write_export(frame, path, {"parameters": filters}, "services", csv_dialect)
    return len(frame)
