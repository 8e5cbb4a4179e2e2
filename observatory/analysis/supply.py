"""Supply side: the active services of a category (a top-level code includes its children),
now or as they were at an instant (`service_public_as_of`, migration 0009).

Services stand at their public point (the comune's point when the address is private): the
published distances could otherwise locate a private address from several comuni.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory.analysis.parameters import SUPPLIES
from observatory.errors import InvalidInput
from observatory.taxonomy import check_category
from observatory.temporal import reading_history

SERVICES_SQL = """
SELECT s.id, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat, s.capacity, s.municipality_code
FROM {source}
WHERE s.status = 'active' AND s.geom IS NOT NULL
  AND (CAST(:category AS text) IS NULL
       OR s.category_code IN (SELECT category_and_children(:category)))
ORDER BY s.id
"""
CURRENT_SQL = SERVICES_SQL.format(source="service_public s")
AS_OF_SQL = SERVICES_SQL.format(source="service_public_as_of(CAST(:as_of AS timestamptz)) s")

SNAPSHOT_SQL = """
SELECT count(*) AS services_total, max(updated_at) AS services_updated_at FROM service
"""


def load_services(
    session: Session, category_code: str | None, as_of: str | None = None
) -> pd.DataFrame:
    """Active services of the category (at instant `as_of`, ISO) with lon, lat, capacity, comune."""
    check_category(session, category_code)
    bound = {"category": category_code, "as_of": as_of}
    if as_of is None:
        rows = session.execute(text(CURRENT_SQL), bound).mappings().all()
    else:
        with reading_history(session):
            rows = session.execute(text(AS_OF_SQL), bound).mappings().all()
    columns = ["id", "lon", "lat", "capacity", "municipality_code"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"id": "int64", "lon": float, "lat": float, "capacity": float})


def supply_of(services: pd.DataFrame, supply: str) -> np.ndarray:
    """S_j: 1 per service (`count`) or its capacity, 1 where unknown (`capacity`)."""
    if supply == "count":
        return np.ones(len(services))
    if supply == "capacity":
        return services["capacity"].fillna(1.0).to_numpy(dtype=float)
    raise InvalidInput(f"unknown supply {supply!r}: choose one of {SUPPLIES}")


def services_snapshot(session: Session) -> dict[str, object]:
    """Count and last update of the whole service table, to tell when results are stale."""
    row = session.execute(text(SNAPSHOT_SQL)).mappings().one()
    updated = row["services_updated_at"]
    return {
        "services_total": int(row["services_total"]),
        "services_updated_at": updated.isoformat() if updated else None,
    }
