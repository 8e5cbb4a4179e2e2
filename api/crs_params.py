"""The `crs` and `bbox-crs` query parameters (OGC API - Features Part 2)."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import Depends, Header, Query

from api.params import bbox_query
from observatory.errors import InvalidInput
from observatory.features import Bbox
from observatory.features.crs import URIS, Crs, parse_content_crs, parse_crs, to_xy

CRS_DESCRIPTION = (
    "CRS of the returned geometries (default CRS84, longitude, latitude), by URI or short "
    "form: " + ", ".join(URIS) + "; axis order as the CRS defines (EPSG:4326 is "
    "latitude, longitude; EPSG:6708 northing, easting)"
)


async def crs_query(
    crs: Annotated[
        str | None, Query(description=CRS_DESCRIPTION, examples=["EPSG:3857"])
    ] = None,
) -> Crs:
    """The CRS of the response; 400 naming an unsupported one and listing the supported."""
    return parse_crs(crs, "crs")


async def bbox_crs_query(
    bbox: Annotated[
        str | None,
        Query(
            description="minx,miny,maxx,maxy in bbox-crs, in its axis order (default CRS84: "
            "minLon,minLat,maxLon,maxLat)",
            examples=["14.20,40.80,14.32,40.90"],
        ),
    ] = None,
    bbox_crs: Annotated[
        str | None,
        Query(
            alias="bbox-crs",
            description="CRS of bbox (default CRS84), one of " + ", ".join(URIS),
            examples=["http://www.opengis.net/def/crs/EPSG/0/32633"],
        ),
    ] = None,
) -> tuple[Bbox | None, Crs]:
    """The bbox in x, y order with its CRS; degrees checked as the CRS84 bbox is."""
    crs = parse_crs(bbox_crs, "bbox-crs")
    if bbox is None:
        return None, crs
    parts = bbox.split(",")
    if crs.geographic:
        if crs.north_first and len(parts) == 4:
            bbox = ",".join(to_xy(parts, crs))
        return await bbox_query(bbox), crs
    if len(parts) != 4:
        raise InvalidInput(f"bbox must be four comma-separated numbers in {crs.uri}")
    try:
        values = tuple(float(part) for part in parts)
    except ValueError:
        raise InvalidInput(f"bbox {bbox!r} holds something that is not a number") from None
    if not all(math.isfinite(value) and abs(value) < 1e8 for value in values):
        raise InvalidInput(f"bbox values must be finite numbers of metres in {crs.uri}")
    minx, miny, maxx, maxy = to_xy(values, crs)
    if minx > maxx or miny > maxy:
        raise InvalidInput(f"bbox minimum exceeds maximum in {crs.uri} ({crs.label})")
    return (minx, miny, maxx, maxy), crs


async def content_crs_header(
    content_crs: Annotated[
        str | None,
        Header(
            alias="Content-Crs",
            description="CRS of the body's geometry (default CRS84, longitude, latitude), a "
            "URI in angle brackets or a short form: " + ", ".join(URIS) + "; coordinates in "
            "its axis order (EPSG:4326 latitude, longitude; EPSG:6708 northing, easting)",
            examples=["<http://www.opengis.net/def/crs/EPSG/0/32633>"],
        ),
    ] = None,
) -> Crs:
    """The CRS a write's body is written in; 400 naming an unsupported one."""
    return parse_content_crs(content_crs)


CrsDep = Annotated[Crs, Depends(crs_query)]
ContentCrsDep = Annotated[Crs, Depends(content_crs_header)]
BboxCrsDep = Annotated[tuple[Bbox | None, Crs], Depends(bbox_crs_query)]
