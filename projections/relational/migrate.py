"""Run the relational read model's alembic migrations from code (no alembic.ini needed).

The alembic Config is built here and the live async connection is handed to ``env.py``
through ``config.attributes``, so this works inside a running event loop.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from projections.relational.database import create_engine

__all__ = ["MIGRATIONS_DIR", "alembic_config", "migrate"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def migrate(url: str | AsyncEngine | None = None, revision: str = "head") -> None:
    """Bring the database at ``url`` (or the given engine) up to ``revision``."""
    engine = url if isinstance(url, AsyncEngine) else create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade, revision)
    finally:
        if engine is not url:
            await engine.dispose()
