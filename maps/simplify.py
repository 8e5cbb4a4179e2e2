"""Light polygons for display: coverage simplification (shared edges stay shared) and rounding."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

GRID_DEG = 1e-5  # five decimals, about 1 m
REGION_TOLERANCE_DEG = 0.001  # about 100 m
AREA_TOLERANCE_DEG = 0.0004


def simplify_coverage(geoms: gpd.GeoSeries, tolerance_deg: float) -> gpd.GeoSeries:
    """Simplify neighbouring polygons together, so no gap or overlap opens between them.

    GEOS coverage simplification moves each shared edge once for both sides; snapping to a
    1e-5° grid afterwards rounds a shared vertex to the same place on both sides.
    """
    simplified = shapely.coverage_simplify(geoms.values, tolerance_deg)
    rounded = shapely.set_precision(simplified, GRID_DEG)
    return gpd.GeoSeries(rounded, index=geoms.index, crs=geoms.crs)


def dissolve_coverage(geoms: gpd.GeoSeries, keys: pd.Series) -> gpd.GeoSeries:
    """Union the polygons of each key (e.g. the comuni of each area) along their shared edges."""
    parts = {
        key: shapely.coverage_union_all(group.values) for key, group in geoms.groupby(keys)
    }
    return gpd.GeoSeries(parts, crs=geoms.crs)


MAIN_LAND_SHARE = 0.05  # landmasses under 5% of the scope's land leave the initial view


def main_land_bounds(geoms: gpd.GeoSeries) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the scope's main landmasses, to open its map on them.

    The comuni are dissolved into connected landmasses; those under `MAIN_LAND_SHARE` of the
    land (small islands such as Lampedusa, Pantelleria, the Aeolian and Egadi islands off
    Sicily) are left out of the bounds only: they are still drawn.
    """
    land = shapely.get_parts(shapely.coverage_union_all(geoms.values))
    land = land[~shapely.is_empty(land)]
    if len(land) == 0:
        return tuple(geoms.total_bounds)
    areas = shapely.area(land)
    main = land[areas >= MAIN_LAND_SHARE * areas.sum()]
    return tuple(shapely.total_bounds(main))
