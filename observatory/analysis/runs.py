"""Finding a stored run without the analysis stack (no pandas): what every request that
shows an analysis does first, so a worker that never computed answers quickly.

`observatory.analysis.store` computes and stores the runs these functions find.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from observatory.analysis.parameters import Parameters
from observatory.errors import NotFound
from observatory.geography import resolve_regions
from observatory.models import AnalysisRun

CURRENT_SQL = """
SELECT (SELECT version FROM data_version WHERE id = 1) AS version,
       (SELECT max(year) FROM population WHERE indicator = :indicator) AS latest_year,
       (SELECT code FROM region WHERE code::text = :region OR lower(name) = lower(:region))
           AS region_code,
       EXISTS (SELECT 1 FROM territorial_area WHERE code = :area) AS area_exists
"""


def current(
    session: Session, params: Parameters, region: str | None = None, area: str | None = None
) -> tuple[Parameters, int, int | None]:
    """In one read: `params` with its year (latest when None), the data version, the region code.

    Raises NotFound for an unknown region or area. A given year is checked when computing.
    """
    row = session.execute(text(CURRENT_SQL), {
        "indicator": params.demand, "region": (region or "").strip(), "area": area,
    }).one()
    region_code = row.region_code
    if region and region_code is None:
        region_code = resolve_regions([region])[0]  # a slug; NotFound when unknown
    if area is not None and not row.area_exists:
        raise NotFound(f"unknown territorial area {area!r}: see `observatory status`")
    if params.year is None and row.latest_year is not None:
        params = dataclasses.replace(params, year=int(row.latest_year))
    return params, int(row.version), region_code


def find_run(session: Session, params: Parameters, version: int) -> AnalysisRun | None:
    """The stored run of exactly these (resolved) parameters on data version `version`."""
    query = select(AnalysisRun).where(
        AnalysisRun.parameters_hash == params.digest(), AnalysisRun.data_version == version
    )
    return session.scalars(query.order_by(AnalysisRun.id.desc()).limit(1)).first()


def resolve_scope(
    session: Session, region: str | None = None, area: str | None = None
) -> tuple[int | None, str | None]:
    """Turn a region name/slug/code and an area code into filter values; raise when unknown."""
    region_code = None
    if region:  # the stored regions first (one indexed read), then names and slugs
        region_code = session.execute(
            text("SELECT code FROM region WHERE code::text = :r OR lower(name) = lower(:r)"),
            {"r": region.strip()},
        ).scalar() or resolve_regions([region])[0]
    if area is not None:
        found = session.execute(
            text("SELECT 1 FROM territorial_area WHERE code = :code"), {"code": area}
        ).scalar()
        if found is None:
            raise NotFound(f"unknown territorial area {area!r}: see `observatory status`")
    return region_code, area
