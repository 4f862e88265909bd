"""Engine creation for the relational read model: one URL picks SQLite or Postgres.

Embedded default is a SQLite file under ``$WSS_HOME`` (``./var``); ``DATABASE_URL`` selects
Postgres (``postgresql+asyncpg://...``). Everything else uses the same SQLAlchemy code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = ["WAL_SIZE_LIMIT_BYTES", "create_engine", "default_url", "is_sqlite"]

WAL_SIZE_LIMIT_BYTES = 32 * 1024 * 1024
WAL_AUTOCHECKPOINT_PAGES = 1_000  # SQLite's default, stated: a passive checkpoint per ~4 MB


def default_url() -> str:
    """``DATABASE_URL`` if set, else the embedded SQLite file ``<WSS_HOME>/read.db``."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    home = Path(os.environ.get("WSS_HOME", "./var"))
    return f"sqlite+aiosqlite:///{home / 'read.db'}"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str | None = None, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url`` (default: :func:`default_url`), tuned per backend."""
    url = url or default_url()
    if not is_sqlite(url):
        kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(url, **kwargs)

    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **kwargs)
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets the gateway read while the projection writes; NORMAL is durable enough
        # for a read model that can always be rebuilt from the log.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        # A bounded WAL: truncated back to this size whenever a checkpoint resets it (the
        # projection also checkpoints with TRUNCATE every few batches: store.py).
        cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()
        # pysqlite's implicit transactions skip BEGIN before SELECT; take control so a
        # read-then-write batch is one real transaction (SQLAlchemy's documented recipe).
        dbapi_connection.isolation_level = None

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")
