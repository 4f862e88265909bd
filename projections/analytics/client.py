"""Where analytics live: a ClickHouse server when ``CLICKHOUSE_URL`` is set, else chDB.

One code path: both are clickhouse-connect clients (``chdb://`` selects the embedded
engine inside this process). The client is synchronous; async callers wrap it in
``asyncio.to_thread`` and give each projection its own client.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import clickhouse_connect

from projections.base import StoreUnavailable

DEFAULT_DATABASE = "wss"


class QueryResult(Protocol):
    @property
    def result_rows(self) -> Sequence[Sequence[Any]]: ...


class AnalyticsClient(Protocol):
    """The slice of clickhouse-connect's ``Client`` the analytics code uses."""

    def command(self, cmd: str, parameters: dict[str, Any] | None = None) -> Any: ...

    def query(self, query: str, parameters: dict[str, Any] | None = None) -> QueryResult: ...

    def insert(
        self,
        table: str,
        data: Sequence[Sequence[Any]],
        column_names: Sequence[str],
        *,
        database: str | None = None,
        column_type_names: Sequence[str] | None = None,
        column_oriented: bool = False,
    ) -> Any: ...

    def close(self) -> None: ...


ClientFactory = Callable[[], AnalyticsClient]


def chdb_path(home: str | os.PathLike[str] | None = None) -> Path:
    """The embedded engine's data directory: ``<WSS_HOME>/chdb`` (WSS_HOME defaults to ./var)."""
    base = Path(home) if home is not None else Path(os.environ.get("WSS_HOME", "./var"))
    return (base / "chdb").resolve()


def connect(
    url: str | None = None, *, home: str | os.PathLike[str] | None = None
) -> AnalyticsClient:
    """A new client: ``url`` (or ``CLICKHOUSE_URL``) if given, else chDB under ``home``.

    chDB hosts one engine path per process: every client in a process must use the
    same ``home`` while any of them is open.
    """
    dsn = url if url is not None else os.environ.get("CLICKHOUSE_URL") or None
    if dsn is None:
        path = chdb_path(home)
        path.mkdir(parents=True, exist_ok=True)
        if path not in _OPENED_HERE and (holder := chdb_held_elsewhere(path)) is not None:
            raise StoreUnavailable(f"chDB at {path} is open in another process ({holder})")
        dsn = f"chdb://{path}"  # an absolute path gives the chdb:///abs/path form
        client: AnalyticsClient = clickhouse_connect.get_client(
            dsn=dsn, chdb_options=CHDB_CACHE_BOUNDS
        )
        _OPENED_HERE.add(path)
        return client
    server: AnalyticsClient = clickhouse_connect.get_client(dsn=dsn)
    return server


# The embedded engine shares the process with the engine and gateway: its caches get
# bounds sized for the analytics tables, not a server's (5 GiB each for marks and primary
# indexes by default, filled by every new part a live projection's inserts make).
# Applied by whichever client starts the engine; all of them go through ``connect``.
CHDB_CACHE_BOUNDS: dict[str, str] = {
    "mark_cache_size": str(64 << 20),
    "primary_index_cache_size": str(64 << 20),
    "index_mark_cache_size": str(16 << 20),
    "index_uncompressed_cache_size": "0",
    "uncompressed_cache_size": "0",
    "query_condition_cache_size": str(16 << 20),
    "compiled_expression_cache_size": str(16 << 20),
    "page_cache_max_size": "0",
}

# chDB directories this process has opened: their lock is ours, not another process's.
_OPENED_HERE: set[Path] = set()


def chdb_held_elsewhere(path: Path) -> str | None:
    """Who holds the chDB directory's lock (its ``status`` file: ``PID: N``), if anyone.

    Asked before opening, because a failed open makes chDB print its error to stderr on
    every attempt, and an engine waiting for the store retries for as long as it takes.
    """
    try:
        status = (path / "status").open("rb")
    except FileNotFoundError:
        return None
    with status:
        try:
            fcntl.flock(status, fcntl.LOCK_EX | fcntl.LOCK_NB)  # ClickHouse's own lock
        except BlockingIOError:
            return status.readline().decode(errors="replace").strip() or "unknown pid"
        fcntl.flock(status, fcntl.LOCK_UN)
    return None


def client_factory(
    url: str | None = None, *, home: str | os.PathLike[str] | None = None
) -> ClientFactory:
    """A factory for projections: each call opens a fresh client on the same store."""

    def factory() -> AnalyticsClient:
        return connect(url, home=home)

    return factory
