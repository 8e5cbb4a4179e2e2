"""Exact WGS84 geodesic distances between demand points and services, never a projection.

Candidates come from a KD-tree on the ellipsoid's unit normals. If the normals of two points
are an angle t apart, their geodesic distance s satisfies t * R_min <= s <= t * R_max, with
R_min = b^2/a and R_max = a^2/b the extreme radii of curvature: the normal turns by at most
ds / R_min along the geodesic, and the preimage of the great-circle arc between the normals
under the Gauss map is a path no longer than t * R_max. So a pair is surely outside d when
t * R_min > d and surely inside when t * R_max <= d; every other pair, and every distance
reported, is an exact geodesic (pyproj `Geod.inv`, Karney's algorithm, which agrees with
PostGIS `geography` to about 1e-13).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyproj import Geod
from scipy.spatial import cKDTree

GEOD = Geod(ellps="WGS84")
MIN_RADIUS_KM = GEOD.b**2 / GEOD.a / 1000  # meridional radius of curvature at the equator
MAX_RADIUS_KM = GEOD.a**2 / GEOD.b / 1000  # radius of curvature at the poles
SAFETY = 1 + 1e-9  # margin on the bounds, far above the rounding of the normals


@dataclass(frozen=True)
class Pairs:
    """Demand/service pairs within a distance: indices, and geodesic km when asked for."""

    demand_index: np.ndarray
    service_index: np.ndarray
    distance_km: np.ndarray | None


def unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Unit normals of the ellipsoid at geodetic `lon`, `lat` (degrees), shape (n, 3)."""
    lon_r, lat_r = np.radians(lon), np.radians(lat)
    cos_lat = np.cos(lat_r)
    return np.column_stack([cos_lat * np.cos(lon_r), cos_lat * np.sin(lon_r), np.sin(lat_r)])


def chord_bound(distance_km: np.ndarray | float) -> np.ndarray | float:
    """Chord between unit normals of two points at most `distance_km` apart, with margin."""
    angle = np.minimum(np.asarray(distance_km) / MIN_RADIUS_KM * SAFETY, np.pi)
    return 2 * np.sin(angle / 2) * SAFETY


def geodesic_km(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Geodesic distance on WGS84 in km, element-wise."""
    if len(lon1) == 0:
        return np.zeros(0)
    metres = GEOD.inv(lon1, lat1, lon2, lat2, return_back_azimuth=False)[2]
    return np.asarray(metres) / 1000


class PointIndex:
    """Service points with a KD-tree, to find pairs and nearest services from demand points."""

    def __init__(self, lon: np.ndarray, lat: np.ndarray) -> None:
        self.lon = np.asarray(lon, dtype=float)
        self.lat = np.asarray(lat, dtype=float)
        self.tree = cKDTree(unit_vectors(self.lon, self.lat)) if len(self.lon) else None

    def pairs_within(
        self, lon: np.ndarray, lat: np.ndarray, radius_km: float, with_distances: bool = True
    ) -> Pairs:
        """Every (demand, service) pair with geodesic distance <= `radius_km` (inclusive).

        Without `with_distances` only the pairs the curvature bounds cannot settle get an
        exact geodesic: membership is the same, and the call is much faster.
        """
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        empty = np.zeros(0, dtype=np.int64)
        if self.tree is None or len(lon) == 0:
            return Pairs(empty, empty, np.zeros(0) if with_distances else None)
        found = cKDTree(unit_vectors(lon, lat)).sparse_distance_matrix(
            self.tree, float(chord_bound(radius_km)), output_type="ndarray"
        )
        i, j = found["i"].astype(np.int64), found["j"].astype(np.int64)
        if with_distances:
            distance = geodesic_km(lon[i], lat[i], self.lon[j], self.lat[j])
            keep = distance <= radius_km
            return Pairs(i[keep], j[keep], distance[keep])
        angle = 2 * np.arcsin(np.minimum(found["v"] / 2, 1.0))
        keep = angle * MAX_RADIUS_KM * SAFETY <= radius_km
        unsure = np.flatnonzero(~keep)
        keep[unsure] = geodesic_km(
            lon[i[unsure]], lat[i[unsure]], self.lon[j[unsure]], self.lat[j[unsure]]
        ) <= radius_km
        return Pairs(i[keep], j[keep], None)

    def nearest(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Geodesic km to the nearest service and its index (inf and -1 when there is none)."""
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        if self.tree is None or len(lon) == 0:
            return np.full(len(lon), np.inf), np.full(len(lon), -1, dtype=np.int64)
        vectors = unit_vectors(lon, lat)
        _, first = self.tree.query(vectors, k=1)
        first_km = geodesic_km(lon, lat, self.lon[first], self.lat[first])
        # Any service geodesically nearer than the chord-nearest one lies within this ball.
        candidates = self.tree.query_ball_point(vectors, chord_bound(first_km))
        counts = np.fromiter((len(c) for c in candidates), dtype=np.int64, count=len(lon))
        demand = np.repeat(np.arange(len(lon)), counts)
        service = np.concatenate([np.asarray(c, dtype=np.int64) for c in candidates])
        distance = geodesic_km(lon[demand], lat[demand], self.lon[service], self.lat[service])
        order = np.lexsort((service, distance, demand))
        starts = np.searchsorted(demand[order], np.arange(len(lon)))
        best = order[starts]
        return distance[best], service[best]
