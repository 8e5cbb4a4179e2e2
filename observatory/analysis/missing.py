"""What is missing where: per comune, the top-level categories with no service within the
catchment, and the foreign residents affected.

One coverage run per top-level category (`run_analysis`, stored and reused like any other
run) tells which comuni have a service of that category within the catchment.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory.analysis.demand import load_municipalities
from observatory.analysis.parameters import Parameters
from observatory.analysis.runs import resolve_scope
from observatory.analysis.store import run_analysis

TOP_CATEGORIES_SQL = text(
    "SELECT code FROM service_category WHERE parent_code IS NULL ORDER BY position, code"
)
COVERED_SQL = text(
    "SELECT run_id, municipality_code, covered FROM analysis_result WHERE run_id = ANY(:runs)"
)


def missing_categories(
    session: Session,
    params: Parameters | None = None,
    region: str | None = None,
    area: str | None = None,
) -> pd.DataFrame:
    """Per comune (of `region` or `area`, else all): the categories missing within the catchment.

    `params` gives the demand and catchment (default: `Parameters` defaults; its kind and
    category are ignored). Indexed by comune code, with name, province, region, area,
    area_name, residents, foreign_residents, `missing` (top-level codes in taxonomy order),
    `missing_count` and `affected_foreign_residents` (the comune's foreign residents when
    a category is missing, else 0; NaN when not loaded). `attrs` holds the categories, the
    run id of each, the catchment and the demand.
    """
    params = params or Parameters("coverage")
    region_code, area_code = resolve_scope(session, region, area)
    municipalities = load_municipalities(session, {params.demand: params.year})
    categories = list(session.execute(TOP_CATEGORIES_SQL).scalars())
    runs = {
        code: run_analysis(
            session,
            Parameters(
                "coverage", code, params.demand, params.catchment_km, year=params.year,
                as_of=params.as_of,
            ),
            municipalities,
        ).id
        for code in categories
    }
    covered = pd.DataFrame(
        session.execute(COVERED_SQL, {"runs": list(runs.values())}).all(),
        columns=["run_id", "municipality_code", "covered"],
    ).pivot(index="municipality_code", columns="run_id", values="covered")
    covered = covered.reindex(index=municipalities.index, columns=list(runs.values()))
    covered.columns = categories
    frame = municipalities[
        ["name", "province", "region_code", "region", "area", "area_name", "residents",
         "foreign_residents"]
    ].copy()
    missing = ~covered.fillna(False).astype(bool)
    frame["missing"] = [
        [code for code, absent in row.items() if absent] for _, row in missing.iterrows()
    ]
    frame["missing_count"] = missing.sum(axis=1).astype(int)
    frame["affected_foreign_residents"] = frame.foreign_residents.where(
        frame.missing_count > 0, 0.0
    )
    if region_code is not None:
        frame = frame[frame.region_code == region_code]
    if area_code is not None:
        frame = frame[frame.area == area_code]
    frame.attrs = {
        "categories": categories,
        "runs": runs,
        "catchment_km": float(params.catchment_km),
        "demand": params.demand,
        "foreign_residents_year": municipalities.attrs.get("foreign_residents_year"),
    }
    return frame


def missing_by_area(frame: pd.DataFrame) -> pd.DataFrame:
    """Per area and missing category: comuni without it and the foreign residents affected."""
    rows = frame[frame.area.notna()].explode("missing").dropna(subset=["missing"])
    return (
        rows.groupby(["area", "missing"], sort=False)
        .agg(comuni=("name", "size"), foreign_residents_affected=("foreign_residents", "sum"))
        .reset_index()
        .rename(columns={"missing": "category"})
    )
