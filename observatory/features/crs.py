"""The coordinate reference systems of the OGC API (Features Part 2): one place to parse them.

A CRS is named by its URI (`http://www.opengis.net/def/crs/EPSG/0/3857`) or a short form
(`EPSG:3857`, `[EPSG:3857]`, `OGC:CRS84`, `CRS84`). Each maps to the SRID PostGIS transforms
to and to its axis order: CRS84 is longitude, latitude; EPSG:4326 is latitude, longitude;
EPSG:6708 (RDN2008 / UTM 33N, N-E) is northing, easting; the others are x, y. PostGIS always
writes x, y, so a CRS whose first axis points north has its coordinates swapped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from observatory.errors import InvalidInput
from observatory.projection import WGS84, lon_lat_transformer

OGC_PREFIX = "http://www.opengis.net/def/crs/"
CRS84_URI = f"{OGC_PREFIX}OGC/1.3/CRS84"
STORAGE_SRID = WGS84
"""The SRID of every stored geometry (longitude, latitude: storageCrs is CRS84)."""
_EPSG = re.compile(r"^\[?EPSG:{1,2}(\d{1,6})\]?$", re.IGNORECASE)
_URI = re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/0/(\d{1,6})$")
_CRS84 = re.compile(
    r"^(\[?OGC:CRS84\]?|CRS84|https?://www\.opengis\.net/def/crs/OGC/1\.3/CRS84)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Crs:
    """A supported CRS: its canonical URI, PostGIS SRID, axis order and coordinate precision."""

    uri: str
    srid: int
    north_first: bool
    """True when the first axis is latitude or northing: PostGIS's x, y are swapped."""
    decimals: int
    """Decimals written: 6 for degrees (about 0.1 m), 2 for metres (1 cm)."""
    label: str

    @property
    def is_storage(self) -> bool:
        """True when no transformation is needed (the stored SRID, axes aside)."""
        return self.srid == STORAGE_SRID

    @property
    def geographic(self) -> bool:
        """True for degrees of latitude and longitude."""
        return self.srid == STORAGE_SRID

    @property
    def header(self) -> str:
        """The value of the `Content-Crs` header: the URI in angle brackets."""
        return f"<{self.uri}>"


def _epsg(code: int, north_first: bool, decimals: int, label: str) -> Crs:
    return Crs(f"{OGC_PREFIX}EPSG/0/{code}", code, north_first, decimals, label)


CRS84 = Crs(CRS84_URI, STORAGE_SRID, False, 6, "WGS 84 longitude, latitude (CRS84)")
SUPPORTED: tuple[Crs, ...] = (
    CRS84,
    _epsg(4326, True, 6, "WGS 84 latitude, longitude"),
    _epsg(3857, False, 2, "WGS 84 / Pseudo-Mercator (web maps)"),
    _epsg(32633, False, 2, "WGS 84 / UTM zone 33N"),
    _epsg(6708, True, 2, "RDN2008 / UTM zone 33N (N-E)"),
)
URIS: list[str] = [crs.uri for crs in SUPPORTED]
T = TypeVar("T")
_BY_SRID = {crs.srid: crs for crs in SUPPORTED if crs is not CRS84}


def parse_crs(value: str | None, name: str = "crs") -> Crs:
    """The CRS a parameter names (None: CRS84); InvalidInput naming it and the supported ones."""
    if value is None:
        return CRS84
    text = value.strip()
    if _CRS84.match(text):
        return CRS84
    match = _EPSG.match(text) or _URI.match(text)
    if match and int(match.group(1)) in _BY_SRID:
        return _BY_SRID[int(match.group(1))]
    raise InvalidInput(
        f"{name} {value!r} is not supported: use one of {', '.join(URIS)} "
        "(or the short forms CRS84, EPSG:4326, EPSG:3857, EPSG:32633, EPSG:6708)"
    )


def parse_content_crs(value: str | None) -> Crs:
    """The CRS a `Content-Crs` request header names: a URI in angle brackets, or a short form."""
    text = value and value.strip()
    if text and text[0] == "<" and text[-1] == ">":
        text = text[1:-1]
    return parse_crs(text, "Content-Crs")


def to_lon_lat(coordinates: tuple[float, float], crs: Crs) -> tuple[float, float]:
    """A point written in `crs` (its axis order) as longitude, latitude; InvalidInput if off
    the CRS's area (pyproj answers infinity)."""
    x, y = to_xy(coordinates, crs)
    lon, lat = lon_lat_transformer(crs.srid)(x, y)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidInput(f"the point {list(coordinates)} is not a place in {crs.uri}")
    return lon, lat


def to_xy(values: Sequence[T], crs: Crs) -> tuple[T, ...]:
    """Coordinate pairs (a point, a bbox's two corners) written in `crs`'s axis order, as x, y."""
    if not crs.north_first:
        return tuple(values)
    return tuple(v for i in range(0, len(values), 2) for v in (values[i + 1], values[i]))
