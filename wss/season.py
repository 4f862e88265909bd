"""Creating, resuming and running a season: the tick loop with its wall-clock pacing."""

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from nats.aio.client import Client
from nats.js import api

from domain.rules.versions import CURRENT_VERSION
from domain.simulate import start_command
from schemas.config import SeasonConfig
from wss import logs
from wss.engine import Engine, TickReport
from wss.errors import AppendUnacknowledged, WssError
from wss.lease import Lease
from wss.metrics import Metrics
from wss.seasonlog import LOG_COMPRESSION, SeasonInfo, SeasonLog
from wss.settings import Settings
from wss.snapshots import SnapshotStore


def new_season_id() -> str:
    return "s" + os.urandom(5).hex()


def new_seed() -> int:
    return int.from_bytes(os.urandom(4), "big")


async def create_season(
    nc: Client,
    seed: int,
    config: SeasonConfig | None = None,
    compression: api.StoreCompression = LOG_COMPRESSION,
    rules_version: int = CURRENT_VERSION,
) -> SeasonLog:
    """Make the streams and put the operator's StartSeason first on the command log
    (a new season runs the newest rules unless ``rules_version`` says otherwise)."""
    log = SeasonLog(nc, new_season_id())
    created = datetime.now(UTC).isoformat(timespec="seconds")
    info = SeasonInfo(season=log.season, seed=seed, status="created", created=created)
    await log.create(info, compression)
    await log.submit(start_command(seed, config, rules_version))
    return log


async def take_lease(log: SeasonLog, settings: Settings) -> Lease:
    """The right to run the season's engine, or ``Fenced``/``WssError`` saying why not."""
    info = await log.require()
    if info.status == "ended":
        raise WssError(f"season {log.season} has ended; replay it with the replayer")
    lease = Lease(log.js, log.season, settings.lease_seconds)
    await lease.acquire()
    return lease


@dataclass(frozen=True, slots=True)
class RunResult:
    season: str
    tick: int
    state_hash: str
    ended: bool


async def run_engine(
    nc: Client,
    nats_url: str,
    log: SeasonLog,
    settings: Settings,
    *,
    ticks: int | None,
    tick_ms: int,
    until_tick: int | None = None,
    stop: asyncio.Event,
    on_tick: Callable[[TickReport], None],
    lease: Lease | None = None,
    metrics: Metrics | None = None,
) -> RunResult:
    """Run ticks until ``ticks`` more are done, ``stop`` is set, or the season ends.

    A stop request finishes the tick under way: ticks are never cut in half on purpose.
    ``lease``: the season's lease if the caller already took it (see ``take_lease``).
    ``metrics``: observes each tick's duration; the engine's world is its world source
    unless one (the gateway's live world) is set already.
    """
    info = await log.require()
    if lease is None:
        lease = await take_lease(log, settings)
    snapshots = SnapshotStore(nats_url) if settings.snapshot_every > 0 else None
    engine = Engine(log, lease, snapshots, max(settings.snapshot_every, 1))
    if metrics is not None and metrics.world_source is None:
        metrics.world_source = engine
    logs.bind(season=log.season, tick=lambda: engine.world.tick if engine.world.started else None)
    try:
        await engine.recover()
        await log.save_info(_with(info, engine, "running"))
        done = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        while not stop.is_set() and (ticks is None or done < ticks):
            if until_tick is not None and engine.world.started and engine.world.tick >= until_tick:
                break
            report = await engine.tick()
            if report is None:  # nothing to start with yet
                await asyncio.sleep(0.05)
                continue
            done += report.tick > 0  # genesis (tick 0) is not a trading tick
            if metrics is not None:
                metrics.observe_tick(report)
            on_tick(report)
            if engine.world.ended:
                break
            if report.tick % 10 == 0:
                await log.save_info(_with(info, engine, "running"))
            deadline += tick_ms / 1000
            delay = deadline - loop.time()
            if delay > 0:
                await _sleep_or_stop(stop, delay, lease)
            else:
                deadline = loop.time()  # late: don't try to catch up in a burst
        ended = engine.world.ended
        await log.save_info(_with(info, engine, "ended" if ended else "stopped"))
        if ended:
            await log.seal()
        return RunResult(log.season, engine.world.tick, engine.last_hash, ended)
    except (TimeoutError, AppendUnacknowledged):
        # What a process paused (SIGSTOP) past its timeouts sees on resuming: if it lost
        # the lease meanwhile, say that (Fenced), not which request happened to time out.
        await lease.confirm()
        raise
    finally:
        await engine.close()
        await lease.release()
        if snapshots is not None:
            snapshots.close()


async def _sleep_or_stop(stop: asyncio.Event, delay: float, lease: Lease) -> None:
    """Wait out the tick's remaining time, keeping the lease fresh, unless asked to stop."""
    loop = asyncio.get_running_loop()
    until = loop.time() + delay
    while not stop.is_set() and (left := until - loop.time()) > 0:
        try:
            await asyncio.wait_for(stop.wait(), timeout=min(left, lease.ttl / 3))
        except TimeoutError:
            await lease.renew()


def _with(info: SeasonInfo, engine: Engine, status: str) -> SeasonInfo:
    return SeasonInfo(
        season=info.season,
        seed=info.seed,
        status=status,
        created=info.created,
        tick=engine.world.tick,
        state_hash=engine.last_hash,
    )
