"""Longitude, latitude from another coordinate system: one cached pyproj transformer per EPSG code.

Apart from the OGC API's CRS list (`observatory.features.crs`) so that the ingest (GeoPackage
layers) uses it without loading the API's feature providers. pyproj's Transformer is thread-safe
(3.1+), so the worker threads of the API share one per code.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

WGS84 = 4326
"""EPSG code of WGS 84 degrees, written by PostGIS (and here) as longitude, latitude."""


@lru_cache(maxsize=32)
def lon_lat_transformer(epsg: int) -> Callable[[float, float], tuple[float, float]]:
    """x, y in EPSG:`epsg` (PostGIS order) -> longitude, latitude; pyproj's CRSError if unknown."""
    if epsg == WGS84:
        return lambda x, y: (x, y)
    from pyproj import CRS, Transformer

    return Transformer.from_crs(CRS.from_epsg(epsg), WGS84, always_xy=True).transform
