"""Configuration from the environment (``MATCHER_*``) or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Deployment settings. Defaults suit one person trying the engine on a laptop."""

    model_config = SettingsConfigDict(env_prefix="MATCHER_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///matcher.db",
        description="SQLAlchemy URL; a SQLite file by default, PostgreSQL in production",
    )
    hold_ttl_hours: float = Field(default=48.0, gt=0, description="How long a hold lasts")
    solver_time_limit: float = Field(default=20.0, gt=0, description="Seconds per solve")
    max_body_bytes: int = Field(default=1_000_000, gt=0, description="Largest request body")
    worker_threads: int = Field(
        default=16, gt=0, le=200, description="Requests one worker process runs at once"
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
