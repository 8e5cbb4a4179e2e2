"""Seeded test data: random service points inside comuni, inserted as services."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import insert
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
