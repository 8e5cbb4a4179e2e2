"""Territorial areas: read data/areas.yaml, check it against the geography, store membership."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory.errors import ConfigurationError
from observatory.text import slugify

log = logging.getLogger(__name__)
STATUSES = {"attiva", "nuova"}


@dataclass
class AreaSpec:
    """One area as written in the yaml."""

    code: str
    name: str
    region: str
    status: str
    provinces: list[str] = field(default_factory=list)
    comuni: list[str] = field(default_factory=list)


def read_areas(path: Path) -> list[AreaSpec]:
    """Parse the areas file; raise ConfigurationError on a malformed entry."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigurationError(f"{path}: cannot read the areas file: {error}") from error
    entries = document.get("areas")
    if not isinstance(entries, list) or not entries:
        raise ConfigurationError(f"{path}: expected a non-empty list under 'areas:'")
    specs, seen = [], set()
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not entry.get("code") or not entry.get("region"):
            raise ConfigurationError(f"{path}: area #{number} needs at least code and region")
        code = str(entry["code"])
        if code in seen:
            raise ConfigurationError(f"{path}: area code {code!r} appears twice")
        seen.add(code)
        status = str(entry.get("status", "attiva"))
        if status not in STATUSES:
            raise ConfigurationError(f"area {code!r}: status {status!r} is not one of {STATUSES}")
        specs.append(
            AreaSpec(
                code=code,
                name=str(entry.get("name", code)),
                region=str(entry["region"]),
                status=status,
                provinces=[str(p) for p in entry.get("provinces") or []],
                comuni=[str(c) for c in entry.get("comuni") or []],
            )
        )
    return specs


def _region_codes(session: Session) -> dict[str, int]:
    """Region code by its ISTAT code (as text) and by the slug of its name."""
    return {
        key: code
        for code, name in session.execute(text("SELECT code, name FROM region"))
        for key in (str(code), slugify(name))
    }


def _lookup_tables(session: Session) -> tuple[dict, dict, dict, dict]:
    regions = _region_codes(session)
    provinces: dict[tuple[int, str], int] = {}
    for code, short, name, region in session.execute(
        text("SELECT code, short, name, region_code FROM province")
    ):
        for key in (str(code), short.upper(), slugify(name)):
            provinces[(region, key)] = code
    comuni: dict[tuple[int, str], list[int]] = {}
    province_members: dict[int, list[int]] = {}
    for code, name, region, province in session.execute(
        text("SELECT code, name, region_code, province_code FROM municipality")
    ):
        comuni.setdefault((region, str(code)), []).append(code)
        comuni.setdefault((region, slugify(name)), []).append(code)
        province_members.setdefault(province, []).append(code)
    return regions, provinces, comuni, province_members


def expand_areas(session: Session, specs: list[AreaSpec]) -> dict[str, list[int]]:
    """Return area code -> comune codes; skip areas whose region is not loaded."""
    regions, provinces, comuni, province_members = _lookup_tables(session)
    membership: dict[str, list[int]] = {}
    owner: dict[int, str] = {}
    for spec in specs:
        region = regions.get(slugify(spec.region))
        if region is None:
            log.info("area %s skipped: region %s is not loaded", spec.code, spec.region)
            continue
        members: list[int] = []
        for province in spec.provinces:
            key = province.upper() if len(province) <= 3 else slugify(province)
            found = provinces.get((region, key))
            if found is None:
                raise ConfigurationError(
                    f"area {spec.code!r}: province {province!r} not found in region {spec.region}"
                )
            members += province_members.get(found, [])
        for comune in spec.comuni:
            found_comuni = comuni.get((region, comune)) or comuni.get((region, slugify(comune)))
            if not found_comuni:
                raise ConfigurationError(
                    f"area {spec.code!r}: comune {comune!r} not found in region {spec.region}"
                )
            if len(found_comuni) > 1:
                raise ConfigurationError(
                    f"area {spec.code!r}: comune {comune!r} is ambiguous, use its ISTAT code"
                )
            members += found_comuni
        if not members:
            raise ConfigurationError(f"area {spec.code!r} is empty: list provinces or comuni")
        for code in members:
            if code in owner and owner[code] != spec.code:
                raise ConfigurationError(
                    f"comune {code} is in two areas: {owner[code]!r} and {spec.code!r}"
                )
            owner[code] = spec.code
        membership[spec.code] = sorted(set(members))
    return membership


def store_areas(session: Session, path: Path) -> dict[str, int]:
    """Replace the stored areas with those of `path`; return comuni per area."""
    specs = read_areas(path)
    membership = expand_areas(session, specs)
    regions = _region_codes(session)
    session.execute(text("DELETE FROM territorial_area"))
    for spec in specs:
        if spec.code not in membership:
            continue
        session.execute(
            text(
                "INSERT INTO territorial_area (code, name, region_code, status) "
                "VALUES (:code, :name, :region, :status)"
            ),
            {
                "code": spec.code,
                "name": spec.name,
                "region": regions[slugify(spec.region)],
                "status": spec.status,
            },
        )
        session.execute(
            text(
                "INSERT INTO area_municipality (area_code, municipality_code) "
                "SELECT :code, unnest(CAST(:members AS int[]))"
            ),
            {"code": spec.code, "members": membership[spec.code]},
        )
    return {code: len(members) for code, members in membership.items()}
