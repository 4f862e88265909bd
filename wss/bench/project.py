"""``wss bench project``: events into SQLite, Postgres and chDB; SSE fan-out latency."""

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any, cast

import asyncpg

from domain import simulate
from projections.analytics.bench import bench_chdb
from projections.relational.bench import bench_relational
from projections.sse_bench import bench_sse
from schemas.events import Event
from wss.readside import BATCH_SIZE

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


async def _postgres(events: list[Event]) -> float:
    """Into DATABASE_URL when it is Postgres, else a throw-away database on localhost."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        return await bench_relational(url, events, batch_size=BATCH_SIZE["relational"])
    name = f"wss_bench_{os.urandom(4).hex()}"
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            return await bench_relational(
                f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}",
                events,
                batch_size=BATCH_SIZE["relational"],
            )
        finally:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def bench_project(ticks: int = 400, sse_clients: int = 1_000) -> dict[str, Any]:
    events = cast(list[Event], simulate(7, ticks))
    with tempfile.TemporaryDirectory(prefix="wss-bench-sqlite-") as home:
        sqlite_url = f"sqlite+aiosqlite:///{Path(home) / 'read.db'}"
        sqlite = asyncio.run(
            bench_relational(sqlite_url, events, batch_size=BATCH_SIZE["relational"])
        )
    postgres = asyncio.run(_postgres(events))
    chdb = bench_chdb(events, batch_size=BATCH_SIZE["analytics"])
    clients, p99 = bench_sse(clients=sse_clients)
    return {
        "bench": "project",
        "events": len(events),
        "sqlite_events_per_s": round(sqlite),
        "postgres_events_per_s": round(postgres),
        "chdb_rows_per_s": round(chdb),
        "sse_clients": clients,
        "sse_p99_ms": round(p99, 1),
    }
