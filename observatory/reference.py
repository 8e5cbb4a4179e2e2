"""Reference data in one call: geography and population (residents and foreign residents of
every year vendored), then areas and categories."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from observatory import areas, geography, taxonomy
from observatory.settings import get_settings


def store_areas_and_categories(session: Session, areas_file: Path | None = None) -> dict[str, int]:
    """Reload the territorial areas and the service categories; return comuni per area."""
    settings = get_settings()
    per_area = areas.store_areas(session, areas_file or settings.areas_file)
    taxonomy.store_categories(session, settings.taxonomy_file)
    return per_area


def store_reference(
    session: Session, data: geography.GeopopData, scope: str, areas_file: Path | None = None
) -> tuple[dict[str, int], dict[str, int]]:
    """Replace the geography with `data`, then reload areas and categories (one transaction)."""
    from observatory.foreign_residents import store_foreign_residents

    counts = geography.store_geopop(session, data, scope)
    years = store_foreign_residents(session)
    if years:
        counts |= {"foreign_residents_year": years[-1].year,
                   "foreign_residents": years[-1].total,
                   "foreign_residents_years": len(years)}
    return counts, store_areas_and_categories(session, areas_file)
