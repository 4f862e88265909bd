"""``wss bench replay``: rebuild the world by folding a long season log from the start;
``wss bench fork``: fork such a season at its midpoint.

A season of ``events`` events is generated in memory (the same domain, seeded) and
appended to a fresh JetStream season. In one run the bench reads the event stream raw
(batched direct gets, nothing parsed: what JetStream gives), then folds it to the last
tick with the replayer's fold (the engine's recovery: direct gets, pydantic parsing,
``evolve``), and reports both rates and their ratio.
"""

import asyncio
import time
from typing import Any

from domain import World, context_for, step
from domain.simulate import start_command
from replayer.fold import fold
from replayer.fork import fork_season
from schemas import events as ev
from schemas.config import PopulationConfig, SeasonConfig
from wss.bench.harness import scratch_nats
from wss.bootstrap import Nats
from wss.engine import Engine
from wss.lease import Lease
from wss.season import create_season
from wss.seasonlog import SeasonLog
from wss.snapshots import SnapshotStore

CONFIG = SeasonConfig(symbols=20, population=PopulationConfig(noise_traders=200))


async def _generate(conn: Nats, events: int) -> tuple[SeasonLog, int, str, float, float]:
    """A season of about ``events`` events: (log, ticks, last hash, generate s, append s)."""
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
    closed = produced[-1]
    assert isinstance(closed, ev.TickClosed)
    return log, tick + 1, closed.state_hash, generate, publish


async def raw_read(log: SeasonLog) -> tuple[int, float]:
    """Every event of the stream read and not parsed: (events, seconds)."""
    stream = log.streams.event_stream
    began, count = time.perf_counter(), 0
    async for page in log.read(stream, 1, await log.last_seq(stream)):
        count += len(page)
    return count, time.perf_counter() - began


async def _run(events: int) -> dict[str, Any]:
    async with scratch_nats() as (conn, _):
        log, ticks, last_hash, generate, publish = await _generate(conn, events)
        raw_events, raw_seconds = await raw_read(log)
        began = time.perf_counter()
        folded = await fold(log)
        elapsed = time.perf_counter() - began
        assert folded.last_hash == last_hash
        total = folded.event_seq
        assert raw_events == total
        # The same restart from a snapshot at the last tick: what WSS_SNAPSHOT_EVERY buys.
        lease = Lease(log.js, log.season, ttl=30)
        await lease.acquire()
        snapshots = SnapshotStore(conn.url)
        try:
            await snapshots.save(log.season, folded.world, folded.event_seq, folded.last_hash)
            again = Engine(log, lease, snapshots=snapshots, snapshot_every=1)
            began = time.perf_counter()
            await again.recover()
            from_snapshot = time.perf_counter() - began
            await again.close()
        finally:
            snapshots.close()
        await lease.release()
        assert again.last_hash == folded.last_hash
        raw_rate, rate = total / raw_seconds, total / elapsed
        return {
            "bench": "replay",
            "events": total,
            "ticks": ticks,
            "raw_read_events_per_s": round(raw_rate),
            "events_per_s": round(rate),
            "replay_to_raw_ratio": round(rate / raw_rate, 3),
            "fold_seconds": round(elapsed, 2),
            "restart_from_snapshot_seconds": round(from_snapshot, 3),
            "generate_seconds": round(generate, 1),
            "append_events_per_s": round(total / publish),
        }


async def _fork(events: int) -> dict[str, Any]:
    async with scratch_nats() as (conn, _):
        log, ticks, _, _, _ = await _generate(conn, events)
        at = ticks // 2
        began = time.perf_counter()
        report = await fork_season(conn.nc, conn.url, log, at, changes={"fee_bps": 10})
        elapsed = time.perf_counter() - began
        fork = SeasonLog(conn.nc, report.fork)
        fork_events = await fork.last_seq(fork.streams.event_stream)
        return {
            "bench": "fork",
            "events": await log.last_seq(log.streams.event_stream),
            "ticks": ticks,
            "at": at,
            "fork_events": fork_events,
            "first_divergent_tick": report.first_divergent_tick,
            "fork_seconds": round(elapsed, 2),
        }


def bench_replay(events: int = 1_000_000) -> dict[str, Any]:
    return asyncio.run(_run(events))


def bench_fork(events: int = 100_000) -> dict[str, Any]:
    return asyncio.run(_fork(events))
