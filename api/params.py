"""Query-parameter parsers: small async dependencies (no threadpool hop) raising domain errors."""

from __future__ import annotations

import functools
import math
import re
from typing import Annotated, Any

from fastapi import Depends, Query

from observatory.errors import InvalidInput
from observatory.features import Bbox, Circle
from observatory.settings import get_settings
from observatory.taxonomy import read_attributes

CATEGORY = re.compile(r"^[A-Z]{3}(-[A-Z]{3})?$")
LANGUAGE = re.compile(r"^[a-z]{2}$")
MAX_OFFSET = 1_000_000_000
MAX_CODE = 999_999


async def bbox_query(
    bbox: Annotated[
        str | None,
        Query(
            description="minLon,minLat,maxLon,maxLat in WGS84 (CRS84)",
            examples=["14.20,40.80,14.32,40.90"],
        ),
    ] = None,
) -> Bbox | None:
    """Parse and check a bounding box: four numbers, min ≤ max, within lon/lat range."""
    if bbox is None:
        return None
    parts = bbox.split(",")
    if len(parts) != 4:
        raise InvalidInput("bbox must be four comma-separated numbers: minLon,minLat,maxLon,maxLat")
    try:
        minx, miny, maxx, maxy = (float(part) for part in parts)
    except ValueError:
        raise InvalidInput(f"bbox {bbox!r} holds something that is not a number") from None
    if not all(math.isfinite(value) for value in (minx, miny, maxx, maxy)):
        raise InvalidInput("bbox values must be finite numbers")
    if not (
        -180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90
    ):
        raise InvalidInput("bbox is outside the longitude (-180..180) / latitude (-90..90) range")
    if minx > maxx or miny > maxy:
        raise InvalidInput("bbox minimum exceeds maximum: write minLon,minLat,maxLon,maxLat")
    return (minx, miny, maxx, maxy)


async def circle_query(
    lat: Annotated[float | None, Query(ge=-90, le=90, description="circle centre")] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180, description="circle centre")] = None,
    radius_km: Annotated[
        float | None, Query(ge=0.001, le=500, description="circle radius (with lat, lon)")
    ] = None,
) -> Circle | None:
    """A circle from lat, lon and radius_km, all three or none."""
    parts = (lat, lon, radius_km)
    if all(part is None for part in parts):
        return None
    if lat is None or lon is None or radius_km is None:
        raise InvalidInput("a circle needs lat, lon and radius_km together")
    return Circle(lon, lat, radius_km * 1000)


async def limit_query(
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=get_settings().max_limit,
            description="features per page (default 100)",
        ),
    ] = None,
) -> int:
    """The page size, default from the settings."""
    return limit or get_settings().default_limit


@functools.cache
def _target_groups() -> frozenset[str]:
    attributes = read_attributes(get_settings().taxonomy_file)
    return frozenset(value["code"] for value in attributes["target_groups"]["values"])


def parse_category(category: str) -> str:
    """A category code in upper case; InvalidInput when it cannot be one."""
    if not CATEGORY.match(category.upper()):
        raise InvalidInput(f"category {category!r} is not a code such as SAN or SAN-ASL")
    return category.upper()


def _codes(value: str | None, name: str) -> list[str] | None:
    """Split a comma-separated list, refusing an empty one."""
    if value is None:
        return None
    codes = [code.strip() for code in value.split(",") if code.strip()]
    if not codes:
        raise InvalidInput(f"{name} must name at least one code")
    return codes


async def service_filters(
    category: Annotated[
        str | None,
        Query(description="category code; a top-level code (SAN) includes its children (SAN-ASL)"),
    ] = None,
    language: Annotated[
        str | None,
        Query(description="ISO 639-1 codes, comma-separated: services speaking any of them"),
    ] = None,
    target_group: Annotated[
        str | None,
        Query(description="target group codes (taxonomy), comma-separated: any of them"),
    ] = None,
) -> dict[str, Any]:
    """The service filters given: category, languages spoken, target groups."""
    filters: dict[str, Any] = {}
    if category is not None:
        filters["category"] = parse_category(category)
    languages = _codes(language, "language")
    if languages is not None:
        wrong = [code for code in languages if not LANGUAGE.match(code.lower())]
        if wrong:
            raise InvalidInput(f"language {', '.join(wrong)}: use ISO 639-1 codes such as ar, en")
        filters["language"] = [code.lower() for code in languages]
    groups = _codes(target_group, "target_group")
    if groups is not None:
        wrong = sorted(set(groups) - _target_groups())
        if wrong:
            raise InvalidInput(
                f"unknown target_group {', '.join(wrong)} "
                f"(known: {', '.join(sorted(_target_groups()))})"
            )
        filters["target_group"] = groups
    return filters


async def place_filters(
    municipality_code: Annotated[
        int | None, Query(ge=1, le=MAX_CODE, description="ISTAT code of a comune")
    ] = None,
    area: Annotated[
        str | None, Query(max_length=60, description="territorial area code (e.g. napoli)")
    ] = None,
    region: Annotated[
        str | None, Query(max_length=60, description="region ISTAT code or name")
    ] = None,
) -> dict[str, Any]:
    """The place filters given: comune, area, region."""
    given = {"municipality_code": municipality_code, "area": area, "region": region}
    return {name: value for name, value in given.items() if value is not None}


async def feature_filters(
    services: Annotated[dict[str, Any], Depends(service_filters)],
    places: Annotated[dict[str, Any], Depends(place_filters)],
    province: Annotated[
        int | None, Query(ge=1, le=MAX_CODE, description="province ISTAT code")
    ] = None,
    is_gap: Annotated[bool | None, Query(description="gaps collections: only gaps")] = None,
) -> dict[str, Any]:
    """Every property filter of the items endpoint."""
    extra = {"province": province, "is_gap": is_gap}
    return {**services, **places, **{k: v for k, v in extra.items() if v is not None}}


BboxDep = Annotated[Bbox | None, Depends(bbox_query)]
CircleDep = Annotated[Circle | None, Depends(circle_query)]
LimitDep = Annotated[int, Depends(limit_query)]
OffsetDep = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="features to skip")]
ServiceFiltersDep = Annotated[dict[str, Any], Depends(service_filters)]
FeatureFiltersDep = Annotated[dict[str, Any], Depends(feature_filters)]
