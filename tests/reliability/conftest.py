"""Fixtures of the reliability tests: a throwaway cluster to stop and its app, fingerprints."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql

from observatory import geography, localdb
from observatory.db import libpq_url
from tests.clusters import cluster_url, throwaway_cluster
from tests.conftest import load_seeded_data
from tests.helpers import app_client

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
        load_seeded_data(url, geopop_south, 300, ("coverage:SAN",))
        yield cluster


@pytest.fixture(scope="module")
def cluster_client(live_cluster: localdb.LocalCluster) -> Iterator[TestClient]:
    """A TestClient whose app (pool and sessions) reads the throwaway cluster."""
    with app_client(cluster_url(live_cluster)) as client:
        yield client
