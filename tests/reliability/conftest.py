"""Fixtures of the reliability tests: a throwaway cluster to stop and its app, fingerprints."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql
from sqlalchemy import create_engine

from api.main import create_app
from observatory import db, geography, localdb
from observatory.db import libpq_url
from observatory.settings import get_settings
from tests.clusters import cluster_url, throwaway_cluster
from tests.conftest import load_reference_data
from tests.factories import seed_analysis_run, seed_services

WRITTEN_TABLES = ("service", "ingest_run", "ingest_rejection")


def fingerprint(url: str) -> dict[str, str]:
    """Row count and md5 of every row of the tables a run writes: equal means unchanged."""
    query = sql.SQL(
        "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t.id)), '') "
        "FROM {} t"
    )
    with psycopg.connect(libpq_url(url)) as conn:
        return {
            table: conn.execute(query.format(sql.Identifier(table))).fetchone()[0]
            for table in WRITTEN_TABLES
        }


@pytest.fixture(scope="session")
def live_cluster(geopop_south: geography.GeopopData) -> Iterator[localdb.LocalCluster]:
    """A running throwaway cluster with the geography, 300 services and a coverage run."""
    with throwaway_cluster() as cluster:
        localdb.start(cluster)
        url = cluster_url(cluster)
        load_reference_data(url, geopop_south)
        engine = create_engine(url)
        with engine.begin() as conn:
            seed_services(conn, 300)
            seed_analysis_run(conn, "coverage", "SAN")
        engine.dispose()
        yield cluster


@pytest.fixture(scope="module")
def cluster_client(live_cluster: localdb.LocalCluster) -> Iterator[TestClient]:
    """A TestClient whose app (pool and sessions) reads the throwaway cluster."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", cluster_url(live_cluster))
        get_settings.cache_clear()
        db.get_engine.cache_clear()
        with TestClient(create_app()) as client:
            yield client
    get_settings.cache_clear()
    db.get_engine.cache_clear()
