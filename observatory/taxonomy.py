"""Service taxonomy: two-level categories and cross-cutting attributes from data/taxonomy.yaml."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory.errors import ConfigurationError, NotFound


@dataclass(frozen=True)
class Category:
    """One category: code, parent, Italian and English labels."""

    code: str
    parent_code: str | None
    label_it: str
    label_en: str
    position: int


def _read(path: Path) -> dict[str, Any]:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigurationError(f"{path}: cannot read the taxonomy: {error}") from error


def read_categories(path: Path) -> list[Category]:
    """Flatten the two-level tree; raise on a duplicate code or a missing label."""
    categories: list[Category] = []
    seen: set[str] = set()

    def add(entry: dict[str, Any], parent: str | None) -> None:
        code = entry.get("code")
        if not code or not entry.get("it") or not entry.get("en"):
            raise ConfigurationError(f"{path}: category {entry!r} needs code, it and en")
        if code in seen:
            raise ConfigurationError(f"{path}: category code {code!r} appears twice")
        seen.add(code)
        categories.append(Category(code, parent, entry["it"], entry["en"], len(categories)))
        for child in entry.get("children") or []:
            add(child, code)

    for entry in _read(path).get("categories") or []:
        add(entry, None)
    if not categories:
        raise ConfigurationError(f"{path}: no categories under 'categories:'")
    return categories


@functools.cache
def read_synonyms(path: Path) -> dict[str, tuple[str, ...]]:
    """Category code -> the further names a sheet may give it ('SerD', 'SERT')."""
    synonyms: dict[str, tuple[str, ...]] = {}

    def add(entry: dict[str, Any]) -> None:
        if entry.get("synonyms"):
            synonyms[entry["code"]] = tuple(str(name) for name in entry["synonyms"])
        for child in entry.get("children") or []:
            add(child)

    for entry in _read(path).get("categories") or []:
        add(entry)
    return synonyms


@functools.cache
def read_attributes(path: Path) -> dict[str, Any]:
    """The attribute definitions (languages, target groups, access modes...)."""
    return _read(path).get("attributes") or {}


def store_categories(session: Session, path: Path) -> int:
    """Upsert the categories; remove those gone from the file unless services use them."""
    categories = read_categories(path)
    session.execute(
        text(
            "INSERT INTO service_category (code, parent_code, label_it, label_en, position) "
            "VALUES (:code, :parent_code, :label_it, :label_en, :position) "
            "ON CONFLICT (code) DO UPDATE SET parent_code = EXCLUDED.parent_code, "
            "label_it = EXCLUDED.label_it, label_en = EXCLUDED.label_en, "
            "position = EXCLUDED.position"
        ),
        [category.__dict__ for category in categories],
    )
    codes = [c.code for c in categories]
    in_use = (
        session.execute(
            text(
                "SELECT DISTINCT category_code FROM service "
                "WHERE category_code IS NOT NULL AND NOT (category_code = ANY(:codes))"
            ),
            {"codes": codes},
        )
        .scalars()
        .all()
    )
    if in_use:
        raise ConfigurationError(
            f"categories {sorted(in_use)} are gone from {path} but services still use them"
        )
    session.execute(
        text(
            "DELETE FROM service_category "
            "WHERE NOT (code = ANY(:codes)) AND parent_code IS NOT NULL"
        ),
        {"codes": codes},
    )
    session.execute(
        text("DELETE FROM service_category WHERE NOT (code = ANY(:codes))"), {"codes": codes}
    )
    return len(categories)


def check_category(session: Session, category_code: str | None) -> None:
    """Raise NotFound when `category_code` is not in the taxonomy (None means every category)."""
    if category_code is None:
        return
    found = session.execute(
        text("SELECT 1 FROM service_category WHERE code = :code"), {"code": category_code}
    ).scalar()
    if found is None:
        raise NotFound(f"unknown service category {category_code!r}")
