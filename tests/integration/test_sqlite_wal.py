"""The SQLite read model's WAL stays bounded while readers keep reading: a size limit on
every connection, and a TRUNCATE checkpoint every few applied batches."""

import asyncio
import contextlib
from pathlib import Path
from typing import cast

from sqlalchemy import text

from domain import simulate
from projections.base import Sequenced
from projections.relational.database import WAL_SIZE_LIMIT_BYTES, create_engine
from projections.relational.migrate import migrate
from projections.relational.store import RelationalProjection
from schemas.events import Event


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


async def test_sqlite_wal_stays_bounded_after_many_batches(tmp_path: Path) -> None:
    events = cast(list[Event], simulate(42, 120))
    batches = [
        [Sequenced(seq, e) for seq, e in enumerate(events, 1)][i : i + 200]
        for i in range(0, len(events), 200)
    ]
    assert len(batches) > 40
    db = tmp_path / "read.db"
    url = f"sqlite+aiosqlite:///{db}"
    await migrate(url)
    projection = RelationalProjection(url, "s1", checkpoint_every=5)
    readers = create_engine(url)
    stop = asyncio.Event()

    async def read_all_the_time() -> None:
        # A gateway's worth of short reads, each its own snapshot of the database.
        while not stop.is_set():
            async with readers.connect() as conn:
                await conn.execute(text("SELECT count(*) FROM trades"))
            await asyncio.sleep(0)

    reading = [asyncio.create_task(read_all_the_time()) for _ in range(2)]
    wal = Path(f"{db}-wal")
    sizes = []
    try:
        for n, batch in enumerate(batches, 1):
            await projection.apply(batch)
            sizes.append(_size(wal))
            if n % 5 == 0:
                assert sizes[-1] == 0, f"batch {n}: the checkpoint did not truncate the WAL"
        async with readers.connect() as conn:
            limit = (await conn.execute(text("PRAGMA journal_size_limit"))).scalar_one()
    finally:
        stop.set()
        for task in reading:
            with contextlib.suppress(Exception):
                await task
        await projection.aclose()
        await readers.dispose()
    assert limit == WAL_SIZE_LIMIT_BYTES
    assert max(sizes) < WAL_SIZE_LIMIT_BYTES
    assert _size(db) > max(sizes)  # the rows went into the database itself
