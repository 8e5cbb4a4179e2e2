"""Settings, read once from the environment (and `.env`); nothing else reads `os.environ`."""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"


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
    db_wait_s: float = Field(
        default=10.0, gt=0, description="Longest wait of a request for a database connection (s)."
    )
    public_read: bool = Field(
        default=True, description="Reads open to anyone; false = a valid API key is needed."
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
