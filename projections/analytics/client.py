"""Where analytics live: a ClickHouse server when ``CLICKHOUSE_URL`` is set, else chDB.

One code path: both are clickhouse-connect clients (``chdb://`` selects the embedded
engine inside this process). The client is synchronous; async callers wrap it in
``asyncio.to_thread`` and give each projection its own client.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import clickhouse_connect

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
        dsn = f"chdb://{path}"  # an absolute path gives the chdb:///abs/path form
    client: AnalyticsClient = clickhouse_connect.get_client(dsn=dsn)
    return client


def client_factory(
    url: str | None = None, *, home: str | os.PathLike[str] | None = None
) -> ClientFactory:
    """A factory for projections: each call opens a fresh client on the same store."""

    def factory() -> AnalyticsClient:
        return connect(url, home=home)

    return factory
