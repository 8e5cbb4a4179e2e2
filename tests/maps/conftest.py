"""Fixtures of the map tests: seeded services, and maps rendered once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from maps.data import MapParameters, list_scopes, resolve_scope
from maps.publish import Written, write_index, write_maps
from tests.maps.seed import seed_map_services

CATCHMENT_KM = 10.0


@pytest.fixture(scope="package")
def seeded(engine: Engine) -> Iterator[Session]:
    """A session seeing the seeded services, rolled back after the map tests."""
    with engine.connect() as conn:
        outer = conn.begin()
        with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
            seed_map_services(session)
            yield session
        outer.rollback()


@dataclass
class Rendered:
    """Maps rendered once for the whole package of tests."""

    out_dir: Path
    written: list[Written]

    def html(self, path: str) -> str:
        """The HTML of the map at `path` (relative to the output folder)."""
        return (self.out_dir / path).read_text(encoding="utf-8")


@pytest.fixture(scope="package")
def rendered(seeded: Session, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The five regions' maps, Napoli's, Campania's in English, Basilicata's health services
    without tiles, and the index (all with a 10 km catchment)."""
    out_dir = tmp_path_factory.mktemp("maps")
    regions = list_scopes(seeded, with_areas=False)
    params = MapParameters(catchment_km=CATCHMENT_KM)
    written = write_maps(seeded, regions, out_dir, params, "it", True)
    napoli, campania = resolve_scope(seeded, None, "napoli"), resolve_scope(seeded, "campania")
    written += write_maps(seeded, [napoli], out_dir, params, "it", True)
    written += write_maps(seeded, [campania], out_dir, params, "en", True)
    basilicata = resolve_scope(seeded, "basilicata")
    written += write_maps(
        seeded, [basilicata], out_dir, MapParameters("SAN", catchment_km=CATCHMENT_KM), "it", False
    )
    write_index(out_dir, list_scopes(seeded), written, "it")
    return Rendered(out_dir, written)
