"""Faults: the database stops during an ingest, or under the running API, and comes back."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.main import create_app
from observatory import db, localdb
from observatory.settings import get_settings
from tests.clusters import cluster_url
from tests.helpers import assert_problem
from tests.reliability.conftest import fingerprint

CLI = [sys.executable, "-c", "from observatory.cli import main; main()"]
READS = [
    "/collections/services/items?limit=5",
    "/collections/services/items?bbox=15.5,40.0,16.5,41.0",
    "/services/nearest?lat=40.64&lon=15.80&k=3",
    "/hsds/services?per_page=5",
    "/maps/basilicata/coverage?tiles=false",
    "/stats/coverage?category=SAN",
]


@pytest.fixture
def app_on(live_cluster: localdb.LocalCluster) -> Iterator[str]:
    """Point the settings at the cluster; leave it running whatever the test did."""
    url = cluster_url(live_cluster)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        patch.setenv("DB_WAIT_S", "2")  # above the pool's 1 s back-off after a failed check
        get_settings.cache_clear()
        db.get_engine.cache_clear()
        try:
            yield url
        finally:
            localdb.start(live_cluster)
            db.get_engine.cache_clear()
            get_settings.cache_clear()


def _wait_until_ok(client: TestClient, path: str, within_s: float = 20) -> None:
    """Ask `path` until it answers 200; fail after `within_s` (the pool reconnects alone)."""
    deadline = time.monotonic() + within_s
    while (status := client.get(path).status_code) != 200:
        assert status == 503 and time.monotonic() < deadline, (path, status)
        time.sleep(0.2)


def _writing_backends(url: str) -> int:
    """Backends of the cluster's database inside a transaction that has written."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND backend_xid IS NOT NULL"
                )
            ).scalar_one()
    finally:
        engine.dispose()


def test_ingest_fails_cleanly_when_the_database_stops_mid_run_and_the_next_run_succeeds(
    live_cluster, app_on, tmp_path
):
    sheet = tmp_path / "servizi.csv"
    subprocess.run(
        [sys.executable, "-m", "ingest.sample", "--rows", "5000", str(sheet)], check=True
    )
    before = fingerprint(app_on)
    env = dict(os.environ, DATABASE_URL=app_on, COLUMNS="200")
    command = [*CLI, "ingest", str(sheet), "--source", "fault", "--report", str(tmp_path / "r.csv")]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 60
    while _writing_backends(app_on) == 0:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the ingest never started writing"
        time.sleep(0.05)
    localdb.stop(live_cluster)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 3, stderr
    assert "database unreachable" in stderr
    assert "Traceback" not in stderr
    localdb.start(live_cluster)
    assert fingerprint(app_on) == before
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    after = fingerprint(app_on)
    assert after["ingest_run"].startswith(f"{int(before['ingest_run'].split(':')[0]) + 1}:")
    assert int(after["service"].split(":")[0]) > int(before["service"].split(":")[0])


def test_reads_answer_503_while_the_database_is_down_and_recover_without_restart(
    live_cluster, app_on
):
    with TestClient(create_app()) as client:
        assert client.get("/readyz").status_code == 200
        for path in READS:
            assert client.get(path).status_code == 200, path
        localdb.stop(live_cluster)
        down = client.get("/readyz")
        assert down.status_code == 503 and down.json()["detail"] == "database unreachable"
        for path in READS:
            body = assert_problem(client.get(path), 503, "the database is unavailable")
            assert "Traceback" not in body["detail"] and "psycopg" not in body["detail"]
        localdb.start(live_cluster)
        for path in ["/readyz", *READS]:
            _wait_until_ok(client, path)


def test_a_restart_while_idle_costs_no_failed_request(live_cluster, app_on, monkeypatch):
    monkeypatch.setenv("DB_WAIT_S", "10")  # the default: checks back off 1 s, then 2 s
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        for path in READS:
            assert client.get(path).status_code == 200, path
        localdb.stop(live_cluster)
        localdb.start(live_cluster)
        for path in ["/readyz", *READS]:
            assert client.get(path).status_code == 200, path


def test_app_starts_while_the_database_is_down_and_becomes_ready(live_cluster, app_on):
    localdb.stop(live_cluster)
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 503
        assert_problem(client.get(READS[0]), 503, "the database is unavailable")
        localdb.start(live_cluster)
        for path in ["/readyz", READS[0]]:
            _wait_until_ok(client, path)
