"""Throughput of the relational projection: events folded per second into a given store.

Called by ``wss bench project``. Folds into a fresh, throw-away season id so a real read
database is not disturbed, then deletes that season's rows again.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

from projections.base import Sequenced
from projections.relational.database import create_engine
from projections.relational.migrate import migrate
from projections.relational.store import RelationalProjection
from schemas.events import Event

__all__ = ["bench_relational"]


async def bench_relational(
    url: str, events: Sequence[Event | Sequenced], *, batch_size: int = 1000
) -> float:
    """Events per second for folding ``events`` (seq = index + 1 unless given) in batches."""
    batch: list[Sequenced] = [
        e if isinstance(e, Sequenced) else Sequenced(i, e) for i, e in enumerate(events, 1)
    ]
    if not batch:
        return 0.0
    engine = create_engine(url)
    season = f"bench_{uuid.uuid4().hex[:12]}"
    projection = RelationalProjection(engine, season)
    try:
        await migrate(engine)
        started = time.perf_counter()
        for i in range(0, len(batch), batch_size):
            await projection.apply(batch[i : i + batch_size])
        elapsed = time.perf_counter() - started
        await projection.reset()
    finally:
        await engine.dispose()
    return len(batch) / elapsed if elapsed > 0 else float("inf")
