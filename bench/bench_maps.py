"""Render time and HTML size of each region's coverage and gap maps (target: Campania < 5 MB).

A scratch database gets the five regions, 3,000 seeded services and seeded analysis runs.
"""

from __future__ import annotations

import time

from common import load_south, peak_rss_mb, scratch_database
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from maps.data import MapParameters, list_scopes
from maps.publish import render_map
from maps.render import load_inputs
from tests.maps.seed import seed_analysis, seed_map_services

SERVICES = 3000


def main() -> None:
    """Load, seed, then render every region's two maps, printing time and size of each."""
    with scratch_database() as url:
        load_south(url)
        engine = create_engine(url)
        with Session(engine) as session, session.begin():
            seed_map_services(session, SERVICES)
            seed_analysis(session, catchment_km=20)
        print(f"{'region':<12} {'comuni':>6} {'services':>8} {'read':>7}   map       render   size")
        with Session(engine) as session:
            for scope in list_scopes(session, with_areas=False):
                start = time.perf_counter()
                inputs = load_inputs(session, scope, MapParameters(), "it", True)
                read_s = time.perf_counter() - start
                for kind in ("coverage", "gaps"):
                    start = time.perf_counter()
                    page = render_map(session, inputs, kind)
                    render_s = time.perf_counter() - start
                    print(
                        f"{scope.region_name:<12} {len(inputs.comuni):>6} "
                        f"{len(inputs.services):>8} {read_s:>5.2f} s   {kind:<9} "
                        f"{render_s:>4.2f} s {len(page) / 1e6:>5.2f} MB",
                        flush=True,
                    )
        engine.dispose()
    print(
        "read = query + polygon simplification (shared by both maps); "
        f"peak RSS {peak_rss_mb():.0f} MiB"
    )


if __name__ == "__main__":
    main()
