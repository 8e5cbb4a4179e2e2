"""Query-parameter parsers of the OGC, spatial and HSDS routes: one rule for each parameter.

Small async dependencies (no threadpool hop) raising domain errors (400 problems).
"""

from __future__ import annotations

import functools
import math
import re
from typing import Annotated, Any

from fastapi import Depends, Query

from ingest.languages import CODES as LANGUAGE_CODES
from observatory import hsds
from observatory.errors import InvalidInput
from observatory.features import Bbox, Circle
from observatory.settings import get_settings
from observatory.taxonomy import read_attributes
from observatory.temporal import EXAMPLES, Interval, parse_datetime

CATEGORY = re.compile(r"^[A-Z]{3}(-[A-Z]{3})?$")
LANGUAGE = re.compile(r"^[a-z]{2}$")
"""ISO 639-1; a language without one is stored with its ISO 639-3 code (`LONG_CODES`)."""
LONG_CODES = frozenset(code for code in LANGUAGE_CODES if len(code) == 3)
MAX_OFFSET = 1_000_000_000
MAX_CODE = 999_999
MAX_RADIUS_KM = 500
NO_NUL = r"^[^\x00]*$"
"""Pattern of free-text parameters: PostgreSQL text cannot hold NUL bytes."""


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
        float | None,
        Query(ge=0.001, le=MAX_RADIUS_KM, description="circle radius (with lat, lon)"),
    ] = None,
) -> Circle | None:
    """A circle from lat, lon and radius_km, all three or none."""
    if not check_circle(lat, lon, radius_km, "radius_km", MAX_RADIUS_KM):
        return None
    return Circle(lon, lat, radius_km * 1000)  # type: ignore[operator]


def check_circle(
    lat: float | None, lon: float | None, radius: float | None, radius_name: str, most: float
) -> bool:
    """True for a whole circle (finite, on the globe, 0 < radius <= most); False for none."""
    if lat is None and lon is None and radius is None:
        return False
    if lat is None or lon is None or radius is None:
        raise InvalidInput(f"a circle needs lat, lon and {radius_name} together")
    if not all(math.isfinite(v) for v in (lat, lon, radius)):
        raise InvalidInput(f"lat, lon and {radius_name} must be finite numbers")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput(
            f"invalid coordinates lat={lat}, lon={lon}: lat in [-90, 90], lon in [-180, 180]"
        )
    if not 0 < radius <= most:
        raise InvalidInput(f"{radius_name} must be between 0 and {most:g}")
    return True


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


def parse_languages(value: str | None) -> list[str] | None:
    """Comma-separated ISO 639 codes in lower case; InvalidInput when one cannot be a code."""
    languages = _codes(value, "language")
    if languages is None:
        return None
    wrong = [
        code for code in languages
        if not (LANGUAGE.match(code.lower()) or code.lower() in LONG_CODES)
    ]
    if wrong:
        raise InvalidInput(
            f"language {', '.join(wrong)}: use ISO 639-1 codes such as ar, en "
            "(ISO 639-3, e.g. mnk, where a language has no 639-1 code)"
        )
    return [code.lower() for code in languages]


async def service_filters(
    category: Annotated[
        str | None,
        Query(description="category code; a top-level code (SAN) includes its children (SAN-ASL)"),
    ] = None,
    language: Annotated[
        str | None,
        Query(description="ISO 639-1 (or 639-3) codes, comma-separated: speaking any of them"),
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
    languages = parse_languages(language)
    if languages is not None:
        filters["language"] = languages
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


async def hsds_page(
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")] = 1,
    per_page: Annotated[int, Query(ge=1, le=1000, description="Items per page.")] = 50,
) -> tuple[int, int]:
    """The HSDS paging parameters."""
    return page, per_page


async def hsds_filters(
    search: Annotated[
        str | None,
        Query(
            max_length=200, pattern=NO_NUL, description="Text in name, description or organization."
        ),
    ] = None,
    taxonomy_term_id: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=NO_NUL,
            description="HSDS taxonomy term id, or a category code such as SAN.",
        ),
    ] = None,
    language: Annotated[
        str | None, Query(description="Language spoken (ISO 639-1, e.g. ar; 639-3 without one).")
    ] = None,
    lat: Annotated[
        float | None, Query(description="Latitude (WGS84) of the proximity centre.")
    ] = None,
    lon: Annotated[
        float | None, Query(description="Longitude (WGS84) of the proximity centre.")
    ] = None,
    proximity: Annotated[
        float | None, Query(description="Radius in metres around lat, lon.")
    ] = None,
) -> hsds.ServiceFilter:
    """The filters of the HSDS lists: the language and circle rules of the other routes."""
    languages = parse_languages(language)
    if languages is not None and len(languages) > 1:
        raise InvalidInput("language: the HSDS lists take one language code")
    circle = check_circle(lat, lon, proximity, "proximity (metres)", MAX_RADIUS_KM * 1000)
    return hsds.ServiceFilter(
        search=search or None,
        taxonomy_term_id=taxonomy_term_id or None,
        language=languages[0] if languages else None,
        proximity=hsds.Proximity(lat, lon, proximity) if circle else None,  # type: ignore[arg-type]
    )


async def datetime_query(
    datetime: Annotated[
        str | None,
        Query(
            max_length=100,
            description="services valid at this instant or during this interval (OGC API - "
            f"Features datetime; a date is that day in Italy), e.g. {EXAMPLES}",
            examples=["2025-01-01/.."],
        ),
    ] = None,
) -> Interval | None:
    """The OGC `datetime` interval, or None when not given."""
    return None if datetime is None else parse_datetime(datetime)


BboxDep = Annotated[Bbox | None, Depends(bbox_query)]
DatetimeDep = Annotated[Interval | None, Depends(datetime_query)]
CircleDep = Annotated[Circle | None, Depends(circle_query)]
LimitDep = Annotated[int, Depends(limit_query)]
OffsetDep = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="features to skip")]
ServiceFiltersDep = Annotated[dict[str, Any], Depends(service_filters)]
FeatureFiltersDep = Annotated[dict[str, Any], Depends(feature_filters)]
HsdsPageDep = Annotated[tuple[int, int], Depends(hsds_page)]
HsdsFiltersDep = Annotated[hsds.ServiceFilter, Depends(hsds_filters)]
