"""Settings, read once from the environment (and `.env`); nothing else reads `os.environ`."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"


def _limit(default: float, description: str) -> Any:
    """A positive limit with its default and meaning."""
    return Field(default=default, gt=0, description=description)


class Settings(BaseSettings):
    """Runtime configuration of every part of the observatory."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the PostGIS database; unset = the project-local cluster.",
    )
    local_pg_port: int = Field(default=54329, description="Port of the project-local cluster.")
    local_pg_dir: Path | None = Field(
        default=None, description="Data dir of the project-local cluster (default .pgdata)."
    )
    local_pg_database: str = "osservatorio"
    areas_file: Path = DATA_DIR / "areas.yaml"
    taxonomy_file: Path = DATA_DIR / "taxonomy.yaml"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = 2
    api_worker_healthcheck_s: int = Field(
        default=60,
        gt=0,
        description="Seconds uvicorn waits for a busy worker's health-check answer before "
        "killing and restarting it.",
    )
    default_limit: int = 100
    max_limit: int = 10_000
    cors_origins: list[str] = Field(default_factory=list)
    upload_max_bytes: int = Field(
        default=20 * 1024 * 1024, gt=0, description="Largest upload body (bytes); 413 above."
    )
    upload_max_rows: int = _limit(20_000, "Most data rows an uploaded file may hold.")
    upload_max_columns: int = _limit(500, "Most columns a row of an uploaded file may hold.")
    upload_max_header_bytes: int = _limit(65_536, "Longest first line of an uploaded text file.")
    upload_max_xlsx_bytes: int = _limit(40 << 20, "Largest decompressed workbook (zip members).")
    upload_max_xlsx_strings_bytes: int = _limit(
        8 << 20, "Largest decompressed shared strings of a workbook (held in memory)."
    )
    upload_max_xlsx_ratio: int = _limit(100, "Highest compression ratio of a workbook member.")
    upload_max_seconds: float = _limit(300.0, "Longest wall time of an upload's ingest (s).")
    ingest_max_cell_chars: int = _limit(5_000, "Longest cell; a longer one rejects its row.")
    db_pool_size: int = Field(
        default_factory=lambda: max(2, os.cpu_count() or 1),
        gt=0,
        description="Most database connections of each API worker (default: the cores, at "
        "least 2). More queries at once than the cores only share them: the latency tail grows.",
    )
    db_wait_s: float = Field(
        default=10.0, gt=0, description="Longest wait of a request for a database connection (s)."
    )
    stale_after_days: int = Field(
        default=365, gt=0,
        description="A service not verified for longer than this (days) is flagged stale.",
    )
    public_read: bool = Field(
        default=True, description="Reads open to anyone; false = a valid API key is needed."
    )
    public_base_url: str | None = Field(
        default=None,
        description="Public URL of the API every link starts with (e.g. "
        "https://osservatorio.example.org/api); unset = the server's own address.",
    )
    map_cache_dir: Path | None = Field(
        default=None,
        description="Folder where served maps and gap files are kept, shared by the workers "
        "(default: <temp>/osservatorio-maps).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Proxy addresses whose X-Forwarded-For/-Proto are honoured; empty = none.",
    )
    http_max_url_bytes: int = Field(
        default=8 * 1024, gt=0, description="Longest request target (path and query); 414 above."
    )
    http_max_header_bytes: int = Field(
        default=32 * 1024, gt=0, description="Largest request head (line and headers); 431 above."
    )
    http_header_timeout_s: float = Field(
        default=10.0, gt=0, description="Longest time a client may take to send a request head."
    )
    http_keep_alive_s: int = Field(
        default=5, gt=0, description="Idle keep-alive connections are closed after this (s)."
    )
    http_limit_concurrency: int | None = Field(
        default=None, gt=0, description="Connections and tasks per worker before 503; unset = none."
    )
    http_graceful_shutdown_s: int = Field(
        default=30, gt=0, description="Longest wait for running requests on shutdown (s)."
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_driver(cls, url: str | None) -> str | None:
        """Use the psycopg 3 driver whatever scheme the user wrote."""
        if not url:
            return None
        for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @field_validator("public_base_url")
    @classmethod
    def _check_public_base_url(cls, url: str | None) -> str | None:
        """Accept only an absolute http(s) URL without a query; drop a trailing slash."""
        if not url:
            return None
        parts = urlsplit(url)
        extra = parts.query or parts.fragment
        if parts.scheme not in ("http", "https") or not parts.hostname or extra:
            raise ValueError(f"PUBLIC_BASE_URL must be an http(s) URL like https://host/api: {url}")
        return url.rstrip("/")

    @model_validator(mode="after")
    def _check_limits(self) -> Settings:
        """Refuse a default page size above the maximum."""
        if self.default_limit > self.max_limit:
            raise ValueError("default_limit must not exceed max_limit")
        return self

    @property
    def uses_local_cluster(self) -> bool:
        """True when no DATABASE_URL is set and the project-local cluster is used."""
        return self.database_url is None

    @property
    def sqlalchemy_url(self) -> str:
        """The URL every component connects to."""
        if self.database_url:
            return self.database_url
        return (
            f"postgresql+psycopg://postgres@127.0.0.1:{self.local_pg_port}/"
            f"{self.local_pg_database}"
        )


@functools.cache
def get_settings() -> Settings:
    """Return the settings, read once per process."""
    return Settings()
