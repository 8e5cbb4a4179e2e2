"""Geocoding chain, offline first: coordinates given, the PostGIS cache, an optional online
geocoder (Nominatim or Photon through geopy, rate-limited, cached), the comune's point.

The network call (`OnlineGeocoder.__call__`) is apart from the pure parts
(`query_key`, `prepare_result`) so they are tested without a server.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlalchemy.orm import Session

from ingest.record import Record
from ingest.validate import in_italy
from observatory.errors import InvalidInput
from observatory.progress import track
from observatory.text import slugify

log = logging.getLogger(__name__)

PROVIDERS = ("nominatim", "photon")
_MUNICIPALITY_TYPES = {
    "city", "town", "village", "hamlet", "municipality", "suburb", "locality", "quarter",
    "neighbourhood", "administrative", "county", "district",
}


@dataclass(frozen=True)
class GeocoderSpec:
    """Which online geocoder to use; `min_delay_s` follows the provider's usage policy."""

    provider: str
    url: str
    min_delay_s: float = 1.0
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise InvalidInput(f"unknown geocoder {self.provider!r}: use one of {PROVIDERS}")
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise InvalidInput(f"geocoder URL {self.url!r} must start with http:// or https://")


@dataclass(frozen=True)
class Found:
    """A geocoder's answer: the point, its precision and the raw answer."""

    lon: float
    lat: float
    precision: str
    raw: dict[str, Any]


def query_key(record: Record) -> str | None:
    """The normalised query of a record with an address: 'via-roma-1|80100|63049'."""
    if not record.address or record.comune is None:
        return None
    return f"{slugify(record.address)}|{record.postcode or ''}|{record.comune.code}"


def prepare_result(raw: dict[str, Any], provider: str) -> Found | None:
    """Turn a Nominatim or Photon answer into a point with its precision (None if unusable)."""
    if provider == "photon":
        lon, lat = raw["geometry"]["coordinates"]
        kind = raw.get("properties", {}).get("type", "")
    else:
        lon, lat = raw["lon"], raw["lat"]
        kind = raw.get("addresstype") or raw.get("type", "")
        if raw.get("class") == "boundary":
            kind = "administrative"
    lon, lat = float(lon), float(lat)
    if not in_italy(lat, lon):
        return None
    if kind in {"postcode", "postal_code"}:
        precision = "postcode"
    elif kind in _MUNICIPALITY_TYPES:
        precision = "municipality"
    else:  # a house, a street, a named place such as an office: street level
        precision = "street"
    return Found(lon, lat, precision, raw)


class OnlineGeocoder:
    """A geopy geocoder limited to Italy, with the provider's minimum delay between calls."""

    def __init__(self, spec: GeocoderSpec) -> None:
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim, Photon

        parts = urlsplit(spec.url)
        domain = parts.netloc + parts.path.rstrip("/")
        kind = Nominatim if spec.provider == "nominatim" else Photon
        self.provider = spec.provider
        self.client = kind(
            user_agent="osservatorio-ingest", domain=domain, scheme=parts.scheme,
            timeout=spec.timeout_s,
        )
        self.limited = RateLimiter(
            self.client.geocode, min_delay_seconds=spec.min_delay_s, max_retries=1,
            error_wait_seconds=2 * spec.min_delay_s, swallow_exceptions=False,
        )

    def __call__(self, record: Record) -> Found | None:
        """Ask the provider for `record`'s address; None when it finds nothing usable."""
        from geopy.exc import GeopyError

        comune = record.comune
        assert comune is not None
        try:
            if self.provider == "nominatim":
                query = {"street": record.address, "city": comune.name, "country": "Italia"}
                if record.postcode:
                    query["postalcode"] = record.postcode
                location = self.limited(query, exactly_one=True, country_codes="it")
            else:
                place = f"{record.postcode or ''} {comune.name}".strip()
                location = self.limited(f"{record.address}, {place}, Italia", exactly_one=True)
        except GeopyError as error:
            log.warning("geocoder %s failed on row %d: %s", self.provider, record.row_number, error)
            raise GeocoderUnavailable(str(error)) from error
        return None if location is None else prepare_result(location.raw, self.provider)


class GeocoderUnavailable(Exception):
    """The online geocoder did not answer (nothing is cached for that query)."""


class GeocodeCache:
    """The `geocode_cache` table: answers (and misses) of online geocoders, by query."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def lookup(self, keys: Iterable[str]) -> dict[str, list[tuple[str, Found | None]]]:
        """Cached answers per query: (provider, Found or None for a miss)."""
        rows = self.session.execute(
            text(
                "SELECT query, provider, ST_X(geom), ST_Y(geom), precision FROM geocode_cache "
                "WHERE query = ANY(:keys)"
            ),
            {"keys": list(keys)},
        ).all()
        found: dict[str, list[tuple[str, Found | None]]] = {}
        for key, provider, lon, lat, precision in rows:
            answer = None if lon is None else Found(lon, lat, precision, {})
            found.setdefault(key, []).append((provider, answer))
        return found

    def store(self, provider: str, answers: dict[str, Found | None]) -> None:
        """Keep the answers (misses too, so they are not asked again)."""
        if not answers:
            return
        self.session.execute(
            text(
                "INSERT INTO geocode_cache (query, provider, geom, precision, raw) "
                "VALUES (:query, :provider, ST_SetSRID(ST_MakePoint(CAST(:lon AS float8), "
                "CAST(:lat AS float8)), 4326), :precision, CAST(:raw AS jsonb)) "
                "ON CONFLICT (query, provider) DO UPDATE SET geom = EXCLUDED.geom, "
                "precision = EXCLUDED.precision, raw = EXCLUDED.raw, created_at = now()"
            ),
            [
                {
                    "query": key,
                    "provider": provider,
                    "lon": None if found is None else found.lon,
                    "lat": None if found is None else found.lat,
                    "precision": None if found is None else found.precision,
                    "raw": json.dumps(None if found is None else found.raw),
                }
                for key, found in answers.items()
            ],
        )


def _place(record: Record, found: Found, source: str) -> None:
    record.lon, record.lat = found.lon, found.lat
    record.precision, record.geocode_source = found.precision, source


class Geocoder(Protocol):
    """What the chain needs of an online geocoder (OnlineGeocoder, or a fake in tests)."""

    provider: str

    def __call__(self, record: Record) -> Found | None:
        """The answer for `record`'s address; raise GeocoderUnavailable when it cannot ask."""


def geocode(
    records: list[Record], cache: GeocodeCache, geocoder: Geocoder | None = None
) -> dict[str, int]:
    """Give every accepted record a point and precision; return how many came from each step."""
    counts = {"provided": 0, "cache": 0, "online": 0, "municipality": 0}
    pending: list[Record] = []
    for record in records:
        if record.lon is not None:
            record.precision, record.geocode_source = "provided", "provided"
            counts["provided"] += 1
        else:
            pending.append(record)
    keyed = [(r, k) for r in pending if (k := query_key(r)) is not None]
    cached = cache.lookup({k for _, k in keyed}) if keyed else {}
    answers: dict[str, Found | None] = {}
    provider = geocoder.provider if geocoder else None
    for record, key in track(keyed, len(keyed), "Geocodifica / geocoding"):
        hits = cached.get(key, [])
        best = next(((p, f) for p, f in hits if f is not None), None)
        if best is not None:
            _place(record, best[1], best[0])  # the provider: a re-run changes nothing
            counts["cache"] += 1
            continue
        if key in answers:
            found = answers[key]
        elif geocoder is None or any(p == provider for p, _ in hits):
            continue
        else:
            try:
                found = answers[key] = geocoder(record)
            except GeocoderUnavailable:
                log.warning("geocoder unavailable: the other addresses fall back to their comune")
                geocoder = None
                continue
        if found is not None and provider:
            _place(record, found, provider)
            counts["online"] += 1
    if provider:
        cache.store(provider, answers)
    for record in pending:
        if record.lon is None and record.comune is not None:
            record.lon, record.lat = record.comune.lon, record.comune.lat
            record.precision, record.geocode_source = "municipality", "municipality"
            counts["municipality"] += 1
    return counts
