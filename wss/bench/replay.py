"""``wss bench replay``: rebuild the world by folding a long season log from the start.

A season of ``events`` events is generated in memory (the same domain, seeded) and
appended to a fresh JetStream season; then an engine recovers it with no snapshot, the
production path: batched direct gets, pydantic parsing, ``evolve``.
"""

import asyncio
import time
from typing import Any

from domain import World, context_for, step
from domain.simulate import start_command
from schemas.config import PopulationConfig, SeasonConfig
from wss.bench.harness import scratch_nats
from wss.engine import Engine
from wss.lease import Lease
from wss.season import create_season
from wss.snapshots import SnapshotStore

CONFIG = SeasonConfig(symbols=20, population=PopulationConfig(noise_traders=200))


async def _run(events: int) -> dict[str, Any]:
    async with scratch_nats() as (conn, _):
        log = await create_season(conn.nc, seed=3, config=CONFIG)
        world = World()
        produced = step(world, [start_command(3, CONFIG)], context_for(world, 0, 1, 1))
        seq, tick, total = 0, 0, 0
        generate = publish = 0.0
        while True:
            t0 = time.perf_counter()
            payloads = [(e.type, e.model_dump_json().encode()) for e in produced]
            t1 = time.perf_counter()
            seq = await log.publish_tick(tick, 1, payloads, after_seq=seq, first=0)
            publish += time.perf_counter() - t1
            total += len(produced)
            if total >= events:
                break
            tick += 1
            t2 = time.perf_counter()
            produced = step(world, [], context_for(world, tick, 2, 1))
            generate += time.perf_counter() - t2 + (t1 - t0)
        lease = Lease(log.js, log.season, ttl=30)
        await lease.acquire()
        engine = Engine(log, lease, snapshots=None, snapshot_every=1)
        began = time.perf_counter()
        await engine.recover()
        elapsed = time.perf_counter() - began
        await engine.close()
        assert engine.last_hash == produced[-1].state_hash  # type: ignore[attr-defined]
        # The same restart from a snapshot at the last tick: what WSS_SNAPSHOT_EVERY buys.
        snapshots = SnapshotStore(conn.url)
        try:
            await snapshots.save(log.season, engine.world, engine.event_seq, engine.last_hash)
            again = Engine(log, lease, snapshots=snapshots, snapshot_every=1)
            began = time.perf_counter()
            await again.recover()
            from_snapshot = time.perf_counter() - began
            await again.close()
        finally:
            snapshots.close()
        await lease.release()
        assert again.last_hash == engine.last_hash
        return {
            "bench": "replay",
            "events": total,
            "ticks": tick + 1,
            "events_per_s": round(total / elapsed),
            "fold_seconds": round(elapsed, 2),
            "restart_from_snapshot_seconds": round(from_snapshot, 3),
            "generate_seconds": round(generate, 1),
            "append_events_per_s": round(total / publish),
        }


def bench_replay(events: int = 1_000_000) -> dict[str, Any]:
    return asyncio.run(_run(events))
