"""The one place configuration is read. Every setting is documented in docs/configuration.md;
a test fails when one is not."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLEARANCE_", extra="ignore")

    home: Path = Field(default=Path.home() / ".clearance",
                       description="Folder for the default SQLite database and report files.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///<home>/clearance.db. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/db",
    )
    banks_dir: Path | None = Field(
        default=None, description="Default bank folder; the starter banks shipped with Clearance when unset."
    )
    log_level: str = Field(default="INFO", description="Logging level for structured logs.")
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="Log lines on stderr: json (one object per line), text, or auto (json for "
        "`clearance serve`, text for commands a person watches such as `clearance demo`).",
    )
    registry_cache_seconds: float = Field(
        default=1.0, ge=0.0,
        description="How often (seconds) a web process re-reads the registry version to drop cached "
        "list/statistics responses after a change made by another process.",
    )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.home.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.home / 'clearance.db'}"

    def reports_dir(self) -> Path:
        p = self.home / "reports"
        p.mkdir(parents=True, exist_ok=True)
        return p


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
