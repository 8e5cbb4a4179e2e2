"""The project-local PostgreSQL 15 + PostGIS cluster used when DATABASE_URL is unset.

It lives in its own data dir (default `.pgdata` in the checkout), listens on 127.0.0.1
only, on its own port, and runs as the `postgres` OS user when started by root
(PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from observatory.errors import ObservatoryError
from observatory.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

PG_BIN = Path("/usr/lib/postgresql/15/bin")
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")
SERVICE_USER = "postgres"


class LocalClusterError(ObservatoryError):
    """The project-local cluster could not be created, started or stopped."""


@dataclass(frozen=True)
class LocalCluster:
    """Where the local cluster lives and how to reach it."""

    data_dir: Path
    port: int
    database: str

    @property
    def log_file(self) -> Path:
        """The server log, inside the data dir's parent so it survives re-init."""
        return self.data_dir.with_name(self.data_dir.name + ".log")


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _as_service_user(args: list[str]) -> list[str]:
    """Prefix `args` so they run as the postgres OS user when we are root."""
    if not _running_as_root():
        return args
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", SERVICE_USER, "--", *args]
    return ["su", SERVICE_USER, "-s", "/bin/sh", "-c", " ".join(args)]


def _service_user_can_reach(path: Path) -> bool:
    """Whether the postgres OS user can traverse every folder above `path`."""
    probe = subprocess.run(
        _as_service_user(["test", "-x", str(path)]), capture_output=True, check=False
    )
    return probe.returncode == 0


def cluster_for(settings: Settings) -> LocalCluster:
    """Decide the data dir: `.pgdata` in the checkout, or beside it when unreachable.

    When root runs a checkout that `postgres` cannot traverse (a clone under /root, mode
    700), the data dir moves to /var/tmp/osservatorio-pg/<hash of the checkout path>.
    """
    data_dir = settings.local_pg_dir or PROJECT_ROOT / ".pgdata"
    if settings.local_pg_dir is None and _running_as_root():
        if not _service_user_can_reach(PROJECT_ROOT):
            digest = hashlib.sha256(str(PROJECT_ROOT).encode()).hexdigest()[:12]
            data_dir = Path("/var/tmp/osservatorio-pg") / digest / "data"
    return LocalCluster(data_dir.resolve(), settings.local_pg_port, settings.local_pg_database)


def _pg(tool: str) -> str:
    path = PG_BIN / tool
    if path.exists():
        return str(path)
    found = shutil.which(tool)
    if not found:
        raise LocalClusterError(
            f"{tool} not found: install Debian's postgresql-15-postgis-3 (make db does it)"
        )
    return found


def _run(args: list[str], what: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LocalClusterError(f"{what} failed: {(result.stderr or result.stdout).strip()}")
    return result


def _prepare_dir(cluster: LocalCluster) -> None:
    """Create the data dir, owned by postgres when we are root (its parents stay as they are)."""
    cluster.data_dir.mkdir(parents=True, exist_ok=True)
    if _running_as_root():
        shutil.chown(cluster.data_dir, user=SERVICE_USER, group=SERVICE_USER)


def is_initialised(cluster: LocalCluster) -> bool:
    """Whether the data dir holds a cluster."""
    return (cluster.data_dir / "PG_VERSION").exists()


def is_running(cluster: LocalCluster) -> bool:
    """Whether a server is running on the data dir (pg_ctl status)."""
    if not is_initialised(cluster):
        return False
    result = subprocess.run(
        _as_service_user([_pg("pg_ctl"), "status", "-D", str(cluster.data_dir)]),
        capture_output=True, text=True, check=False,
    )
    return result.returncode == 0


def _init(cluster: LocalCluster) -> None:
    _prepare_dir(cluster)
    log.info("creating the local cluster in %s", cluster.data_dir)
    _run(
        _as_service_user([
            _pg("initdb"), "-D", str(cluster.data_dir), "-U", "postgres",
            "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8",
        ]),
        "initdb",
    )
    config = cluster.data_dir / "postgresql.conf"
    settings = (
        "\n# osservatorio local cluster\n"
        "listen_addresses = '127.0.0.1'\n"
        "unix_socket_directories = ''\n"
        "max_connections = 200\nshared_buffers = 512MB\nwork_mem = 32MB\n"
        "maintenance_work_mem = 256MB\n"
    )
    with config.open("a", encoding="utf-8") as conf:  # appending keeps postgres the owner
        conf.write(settings)


def _remove_stale_pid(cluster: LocalCluster) -> None:
    pid_file = cluster.data_dir / "postmaster.pid"
    if pid_file.exists():
        log.warning("removing stale pid file %s", pid_file)
        pid_file.unlink()


def start(cluster: LocalCluster, timeout_s: float = 60) -> bool:
    """Create and start the cluster if needed; return False when it was already running."""
    if not POSTGIS_CONTROL.exists():
        raise LocalClusterError(
            "PostGIS for PostgreSQL 15 is missing: apt-get install postgresql-15-postgis-3"
        )
    if not is_initialised(cluster):
        _init(cluster)
    if is_running(cluster):
        return False
    _remove_stale_pid(cluster)
    _prepare_log(cluster)
    try:
        _run(
            _as_service_user([
                _pg("pg_ctl"), "start", "-D", str(cluster.data_dir), "-l", str(cluster.log_file),
                "-o", f"-p {cluster.port}", "-w", "-t", str(int(timeout_s)),
            ]),
            "starting PostgreSQL",
        )
    except LocalClusterError as error:
        raise LocalClusterError(f"{error}\n{_log_tail(cluster)}") from error
    _create_database(cluster)
    return True


def _log_tail(cluster: LocalCluster, lines: int = 5) -> str:
    """The last lines of the server log, which say why a start failed (e.g. port in use)."""
    try:
        tail = cluster.log_file.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return f"(no server log at {cluster.log_file})"
    return f"server log {cluster.log_file}:\n" + "\n".join(tail)


def _prepare_log(cluster: LocalCluster) -> None:
    if _running_as_root() and not cluster.log_file.exists():
        cluster.log_file.touch()
        shutil.chown(cluster.log_file, user=SERVICE_USER, group=SERVICE_USER)


def _create_database(cluster: LocalCluster) -> None:
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            conn = psycopg.connect(
                host="127.0.0.1", port=cluster.port, user="postgres", dbname="postgres",
                autocommit=True,
            )
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    with conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (cluster.database,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{cluster.database}"')


def stop(cluster: LocalCluster) -> bool:
    """Stop the cluster; return False when it was not running."""
    if not is_running(cluster):
        return False
    _run(
        _as_service_user([_pg("pg_ctl"), "stop", "-D", str(cluster.data_dir), "-m", "fast", "-w"]),
        "stopping PostgreSQL",
    )
    return True
