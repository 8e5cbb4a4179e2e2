"""The project-local cluster lifecycle (the API riding out a restart: tests/reliability)."""

import os
import socket

import pytest

from observatory import localdb


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


def test_start_on_a_taken_port_says_why(cluster):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", cluster.port))
        taken.listen()
        with pytest.raises(localdb.LocalClusterError, match="Address already in use"):
            localdb.start(cluster)
