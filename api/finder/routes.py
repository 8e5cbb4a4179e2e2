"""Routes of the finder (/trova/): search, a page per service, per comune and per area.

Every page is rendered on the server and works without JavaScript; finder.js adds the map
(vendored Leaflet), suggestions while typing and "near me". Services are read through
`service_public` only, so private fields and private points are never shown.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import ConnectionDep, app_session
from api.finder import i18n, queries
from api.finder.places import Places, load_places
from api.finder.render import compressed, link, page, static_file
from observatory.data_version import VERSION_QUERY
from observatory.errors import InvalidInput, NotFound
from observatory.pool import fetch_row

router = APIRouter(prefix="/trova", tags=["finder"], include_in_schema=False)
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
APPROXIMATE = ("municipality", "postcode")
SUGGEST_MAX_CHARS = 100
MISSING_KEPT = 64  # regions and areas whose missing categories are kept per app
SAFE_URL = re.compile(r"^(https?://|www\.|[a-z0-9-]+\.[a-z]{2,})", re.IGNORECASE)


async def _places(request: Request, conn: ConnectionDep) -> Places:
    """The comuni of the loaded geography, read once per app."""
    places = getattr(request.app.state, "finder_places", None)
    if places is None:
        places = await load_places(conn)
        request.app.state.finder_places = places
    return places


def _kept(request: Request) -> queries.Kept:
    kept = getattr(request.app.state, "finder_kept", None)
    if kept is None:
        kept = request.app.state.finder_kept = queries.Kept()
    return kept


async def _guarded(
    request: Request, asked_lang: str | None, build: Callable[[str], Awaitable[Response]]
) -> Response:
    """Build a page in the chosen language; a bad parameter or a missing object is a page
    saying so (400 or 404), in the reader's language, naming what was not understood."""
    header = request.headers.get("accept-language")
    try:
        lang = i18n.choose_language(asked_lang, header)
        return await build(lang)
    except (InvalidInput, NotFound) as error:
        try:
            lang = i18n.choose_language(asked_lang, header)
        except InvalidInput:  # the page saying so is in the reader's language
            lang = i18n.choose_language(None, header)
        status = 404 if isinstance(error, NotFound) else 400
        return page(request, lang, "error.html", {"status": status, "detail": str(error)}, status)


def _coordinate(name: str, value: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not a number") from None
    if not low <= number <= high:
        raise InvalidInput(f"{name} {value!r} is outside {low:g}..{high:g}")
    return number


def _labels(categories: dict[str, dict[str, str]]) -> dict[str, str]:
    return {code: entry["label"] for code, entry in categories.items()}


@router.get("/")
async def search(
    request: Request,
    conn: ConnectionDep,
    q: str | None = None,
    comune: str | None = None,
    lat: str | None = None,
    lon: str | None = None,
    cat: str | None = None,
    lingua: str | None = None,
    lang: str | None = None,
) -> Response:
    """Home and search: a place (typed, a comune, a point), a category, a language spoken."""

    async def build(lang: str) -> Response:
        places = await _places(request, conn)
        kept = _kept(request)
        categories = await kept.get("categories", conn)
        category = (cat or "").strip() or None
        if category is not None and category not in categories:
            raise InvalidInput(f"unknown category {category!r}")
        language = (lingua or "").strip().lower() or None
        if language is not None and not LANGUAGE_CODE.match(language):
            raise InvalidInput(f"language {lingua!r} is not an ISO 639 code (e.g. ar, fr)")
        origin, how, choices = None, "", []
        typed = (q or "").strip()
        if lat or lon:
            if not (lat and lon):
                raise InvalidInput("give both lat and lon")
            point = (_coordinate("lon", lon, -180, 180), _coordinate("lat", lat, -90, 90))
            origin, how = {"lon": point[0], "lat": point[1], "label": None}, "point"
        elif comune:
            if not comune.strip().isdigit() or int(comune) not in places.comuni:
                raise InvalidInput(f"unknown comune {comune!r}")
            place = places.comuni[int(comune)]
            origin, how = {"lon": place.lon, "lat": place.lat, "label": place.label,
                           "code": place.code}, "comune"
            typed = typed or place.name
        elif typed:
            resolved = places.resolve(typed[:SUGGEST_MAX_CHARS])
            if resolved.place is not None:
                place = resolved.place
                origin, how = {"lon": place.lon, "lat": place.lat, "label": place.label,
                               "code": place.code}, resolved.how
            choices = resolved.choices
        results = []
        if origin is not None:
            results = await queries.nearest_active(
                conn, origin["lon"], origin["lat"], category, language
            )
            for result in results:
                where = places.comuni.get(result["comune"])
                result["comune_label"] = where.label if where else None
        context = {
            "typed": typed, "origin": origin, "how": how, "choices": choices,
            "category": category, "language": language, "results": results,
            "top_categories": await kept.get("top_categories", conn),
            "category_labels": _labels(categories),
            "spoken": await kept.get("languages", conn),
            "searched": bool(typed or origin),
            "map_data": {
                "points": [{"lat": r["lat"], "lon": r["lon"], "name": r["name"],
                            "href": link(f"/trova/servizio/{r['id']}", lang)} for r in results],
                "origin": origin, "pick": True, "labels": _map_labels(lang),
            },
        }
        return page(request, lang, "search.html", context)

    return await _guarded(request, lang, build)


@router.get("/comuni")
async def suggestions(request: Request, conn: ConnectionDep, q: str = "") -> Response:
    """Comuni whose name starts with (then contains) `q`: the suggestions of the place box."""
    places = await _places(request, conn)
    found = places.suggest(q[:SUGGEST_MAX_CHARS])
    body = orjson.dumps([{"code": p.code, "name": p.name, "province": p.province,
                          "label": p.label} for p in found])
    return compressed(request, body, "application/json",
                      headers={"Cache-Control": "public, max-age=300"})


@router.get("/servizio/{service_id}")
async def service(
    request: Request, conn: ConnectionDep, service_id: str, lang: str | None = None
) -> Response:
    """A service's page: what it offers, where, when, in which languages, how to reach it."""

    async def build(lang: str) -> Response:
        if not service_id.isdigit():
            raise NotFound(f"no service {service_id!r}")
        found = await queries.public_service(conn, int(service_id))
        categories = await _kept(request).get("categories", conn)
        context = {
            "s": found,
            "approximate": found["geocode_precision"] in APPROXIMATE,
            "hours": i18n.schedule_in_words(found.get("schedule"), lang),
            "languages": i18n.languages_by_name(found.get("languages"), lang),
            "updated": i18n.date_in_words(_date(found["updated"]), lang)
            if found.get("updated") else None,
            "category_labels": _labels(categories),
            "target_groups": _attribute_labels("target_groups", found["target_groups"], lang),
            "access_modes": _attribute_labels("access_modes", found["access_modes"], lang),
            "map_data": {
                "points": [{"lat": found["lat"], "lon": found["lon"], "name": found["name"],
                            "href": None}],
                "origin": None, "pick": False, "labels": _map_labels(lang),
            } if found.get("lat") is not None else None,
        }
        if found.get("url") and not SAFE_URL.match(found["url"]):
            found["url"] = None  # only http(s) links, or a bare host the page prefixes

        return page(request, lang, "service.html", context)

    return await _guarded(request, lang, build)


def _map_labels(lang: str) -> dict[str, str]:
    """The map's own words, in the page's language."""
    gettext = i18n.translations(lang).gettext
    return {"here": gettext("Punto di partenza")}


def _attribute_labels(name: str, codes: list[str] | None, lang: str) -> list[str]:
    """A service's values of a taxonomy attribute (target groups, access modes) in words, in
    the page's language (the code itself when the taxonomy does not know it)."""
    from observatory.settings import get_settings
    from observatory.taxonomy import read_attributes

    values = read_attributes(get_settings().taxonomy_file).get(name, {}).get("values") or []
    labels = {entry["code"]: entry["it"] for entry in values}
    gettext = i18n.translations(lang).gettext
    return [gettext(labels[code]) if code in labels else code for code in codes or []]


def _date(value: str) -> Any:
    from datetime import date

    return date.fromisoformat(value[:10])


async def _missing(
    request: Request, conn: ConnectionDep, region: str | None, area: str | None
) -> dict[str, Any]:
    """Missing top-level categories per comune of a region or an area, from the stored
    coverage runs (`observatory.analysis.missing`, computed once per data version); kept
    per app until the data version changes; concurrent requests share one computation."""
    row = await fetch_row(conn, VERSION_QUERY, {})
    key = (region, area, None if row is None else int(row[0]))
    kept = getattr(request.app.state, "finder_missing", None)
    if kept is None:
        kept = request.app.state.finder_missing = {}
    if key not in kept:  # one computation per key, however many requests wait for it
        if len(kept) >= MISSING_KEPT:
            kept.clear()
        kept[key] = asyncio.ensure_future(_compute_missing(request, region, area))
    try:
        return await asyncio.shield(kept[key])
    except Exception:
        kept.pop(key, None)  # asked again next time
        raise


async def _compute_missing(
    request: Request, region: str | None, area: str | None
) -> dict[str, Any]:

    def work() -> dict[str, Any]:
        from observatory.analysis import missing
        from observatory.analysis.parameters import Parameters

        with app_session(request) as session:
            frame = missing.missing_categories(session, Parameters("coverage"), region, area)
            session.commit()  # the coverage runs computed on first request are kept
        return {
            "catchment_km": frame.attrs["catchment_km"],
            "categories": frame.attrs["categories"],
            "by_comune": {int(code): list(row) for code, row in frame["missing"].items()},
            "residents": {int(code): (None if value != value else float(value))
                          for code, value in frame["foreign_residents"].items()},
        }

    return await run_in_threadpool(work)


@router.get("/comune/{code}")
async def comune_page(
    request: Request, conn: ConnectionDep, code: str, lang: str | None = None
) -> Response:
    """A comune: its services by category, the categories missing within the catchment, and
    its foreign residents."""

    async def build(lang: str) -> Response:
        if not code.isdigit():
            raise NotFound(f"unknown comune {code!r}")
        found = await queries.comune(conn, int(code))
        missing = await _missing(request, conn, found["region"], None)
        categories = await _kept(request).get("categories", conn)
        context = {
            "c": found, "groups": found["services"],
            "missing": missing["by_comune"].get(found["code"], []),
            "catchment_km": missing["catchment_km"], "shown": queries.SHOWN,
            "category_labels": _labels(categories),
        }
        return page(request, lang, "comune.html", context)

    return await _guarded(request, lang, build)


@router.get("/area/{code}")
async def area_page(
    request: Request, conn: ConnectionDep, code: str, lang: str | None = None
) -> Response:
    """A territorial area: services by category, what is missing in its comuni, foreign
    residents."""

    async def build(lang: str) -> Response:
        found = await queries.area(conn, code)
        missing = await _missing(request, conn, None, code)
        lacking: dict[str, list[int]] = {}
        for comune_code, codes in missing["by_comune"].items():
            for category in codes:
                lacking.setdefault(category, []).append(comune_code)
        names = {entry["code"]: entry["name"] for entry in found["comuni"]}
        rows = [
            {"category": category, "comuni": sorted(names.get(c, str(c)) for c in comuni),
             "foreign": sum(missing["residents"].get(c) or 0 for c in comuni)}
            for category in missing["categories"] if (comuni := lacking.get(category))
        ]
        categories = await _kept(request).get("categories", conn)
        context = {
            "a": found, "groups": found["services"], "missing": rows,
            "catchment_km": missing["catchment_km"], "shown": queries.SHOWN,
            "category_labels": _labels(categories),
        }
        return page(request, lang, "area.html", context)

    return await _guarded(request, lang, build)


@router.get("/static/{name}")
async def static(request: Request, name: str) -> Response:
    """The finder's CSS and script, and Leaflet's, gzipped, cached for a year (hashed URLs)."""
    found = static_file(name)
    if found is None:
        raise NotFound(f"no static file {name!r}")
    body, packed, media_type, _ = found
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type=media_type,
                        headers={**headers, "Content-Encoding": "gzip"})
    return Response(body, media_type=media_type, headers=headers)
