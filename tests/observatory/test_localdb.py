"""The project-local cluster lifecycle, and the API riding out a database restart."""

import os

from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from observatory import db, geography, localdb
from observatory.settings import get_settings
from tests.clusters import cluster_url


def test_start_is_idempotent_and_stop_stops(cluster):
    assert localdb.start(cluster) is True
    assert localdb.start(cluster) is False
    assert localdb.is_running(cluster)
    if os.geteuid() == 0:
        assert (cluster.data_dir / "PG_VERSION").stat().st_uid != 0
    assert localdb.stop(cluster) is True
    assert localdb.stop(cluster) is False
    assert not localdb.is_running(cluster)


def test_start_recovers_from_a_stale_pid_file(cluster):
    localdb.start(cluster)
    localdb.stop(cluster)
    stale = cluster.data_dir / "postmaster.pid"
    stale.write_text("999999\n")
    assert localdb.start(cluster) is True
    assert localdb.is_running(cluster)


def test_readyz_goes_503_while_the_database_is_down_and_recovers(cluster, monkeypatch):
    localdb.start(cluster)
    url = cluster_url(cluster)
    db.upgrade(url)
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        geography.store_geopop(session, geography.read_geopop(None, [17]), "regions")
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    from api.main import create_app

    with TestClient(create_app()) as client:
        assert client.get("/readyz").status_code == 200
        localdb.stop(cluster)
        down = client.get("/readyz")
        assert down.status_code == 503
        assert down.json()["detail"] == "database unreachable"
        localdb.start(cluster)
        assert client.get("/readyz").status_code == 200
    db.get_engine.cache_clear()
    get_settings.cache_clear()
