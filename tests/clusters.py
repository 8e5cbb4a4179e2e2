"""Throwaway PostgreSQL clusters a test may stop and start, on free loopback ports."""

from __future__ import annotations

import shutil
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from observatory import localdb

CLUSTERS_DIR = Path("/var/tmp/osservatorio-test")
"""Where throwaway clusters live: a folder the postgres OS user can reach."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def throwaway_cluster() -> Iterator[localdb.LocalCluster]:
    """A cluster (not started) in its own folder; stopped and deleted afterwards."""
    base = CLUSTERS_DIR / uuid.uuid4().hex[:8]
    base.mkdir(parents=True)
    cluster = localdb.LocalCluster(base / "data", free_port(), "osservatorio")
    try:
        yield cluster
    finally:
        localdb.stop(cluster)
        shutil.rmtree(base, ignore_errors=True)


def cluster_url(cluster: localdb.LocalCluster) -> str:
    """The SQLAlchemy URL of the cluster's database."""
    return f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/{cluster.database}"
