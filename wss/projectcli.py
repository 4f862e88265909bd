"""``wss project``: status, rebuild and standalone running of the read projections."""

import asyncio
import contextlib
import sys

from nats.js.client import JetStreamContext

from projections.health import ReadHealth
from wss.aio import cancel_and_wait
from wss.bootstrap import nats
from wss.errors import Fenced, WssError
from wss.lease import Lease
from wss.metrics import Metrics, serve_metrics
from wss.positions import reported
from wss.progress import Progress
from wss.readside import PROJECTIONS, keep_following, prepare, rebuild_projection
from wss.seasonlog import SeasonLog, list_seasons
from wss.settings import Settings


async def status(settings: Settings, season: str | None) -> int:
    async with nats(settings) as conn:
        seasons = (
            [await SeasonLog(conn.nc, season).require()] if season else await list_seasons(conn.nc)
        )
        if not seasons:
            print("no seasons yet")
            return 0
        js = conn.nc.jetstream()
        print(f"{'season':<14}{'projection':<12}{'position':>10}{'log':>10}{'lag':>8}  store")
        failing = 0
        for info in seasons:
            log = SeasonLog(conn.nc, info.season)
            last = await log.last_seq(log.streams.event_stream)
            for name in PROJECTIONS:
                reports = await reported(js, info.season, name)
                if not reports:
                    print(f"{info.season:<14}{name:<12}{'-':>10}{last:>10,}{'-':>8}")
                for report in reports:
                    position = report.position
                    shown = "-" if position is None else f"{position:,}"
                    lag = "-" if position is None else f"{last - position:,}"
                    row = f"{info.season:<14}{name:<12}{shown:>10}{last:>10,}{lag:>8}"
                    print(f"{row}  {report.store}")
                    if report.failure is not None:
                        failing += 1
                        failure = report.failure
                        print(f"    FAILING at event {failure['seq']}: {failure['error']}")
    return 1 if failing else 0


async def rebuild(settings: Settings, name: str, season: str | None) -> int:
    if name not in PROJECTIONS:
        raise WssError(f"no projection {name!r}; choose from {', '.join(PROJECTIONS)}")
    async with nats(settings) as conn:
        await prepare(settings)
        seasons = (
            [await SeasonLog(conn.nc, season).require()] if season else await list_seasons(conn.nc)
        )
        js = conn.nc.jetstream()
        for info in seasons:
            lease = Lease(
                js,
                f"project.{info.season}.{name}",
                settings.lease_seconds,
                label=f"projection {name} of season {info.season}",
            )
            await lease.acquire()  # a live instance of this projection must be stopped first
            bar = Progress(f"rebuild {name} {info.season}")
            try:
                position = await rebuild_projection(js, info.season, name, settings, bar)
            finally:
                bar.close()
                await lease.release()
            print(
                f"rebuilt {name} for season {info.season} up to event {position:,}",
                file=sys.stderr,
            )
    return 0


async def run(settings: Settings, season: str | None, stop: asyncio.Event) -> int:
    """Follow every (season, projection) whose lease this instance can take.

    Several instances share the work: each pair is run by whichever instance holds its
    lease, and a pair whose holder died is taken over once its lease goes stale.
    """
    async with nats(settings) as conn:
        await prepare(settings)
        js = conn.nc.jetstream()
        running: dict[str, tuple[Lease, asyncio.Task[None]]] = {}
        health = ReadHealth()
        metrics = Metrics(health=health)
        server = (
            serve_metrics(metrics, settings.metrics_port)
            if settings.metrics_port is not None
            else None
        )
        try:
            while not stop.is_set():
                infos = (
                    [await SeasonLog(conn.nc, season).require()]
                    if season
                    else await list_seasons(conn.nc)
                )
                for info in infos:
                    for name in PROJECTIONS:
                        await _claim(
                            js, info.season, name, settings, running, health=health, metrics=metrics
                        )
                for key, (lease, task) in list(running.items()):
                    try:
                        await lease.renew()
                    except Fenced:
                        task.cancel()
                    if task.done():
                        del running[key]
                        if not task.cancelled() and task.exception() is not None:
                            print(f"projection {key} stopped: {task.exception()}", file=sys.stderr)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=settings.lease_seconds / 3)
        finally:
            for lease, task in running.values():
                await cancel_and_wait(task)
                await lease.release()
            if server is not None:
                server.close()
    return 0


async def _claim(
    js: JetStreamContext,
    season: str,
    name: str,
    settings: Settings,
    running: dict[str, tuple[Lease, "asyncio.Task[None]"]],
    *,
    health: ReadHealth,
    metrics: Metrics,
) -> None:
    key = f"project.{season}.{name}"
    if key in running:
        return
    lease = Lease(js, key, settings.lease_seconds, label=f"projection {name} of season {season}")
    try:
        await lease.acquire()
    except Fenced:
        return  # another instance runs it
    print(f"running projection {name} for season {season}", file=sys.stderr, flush=True)
    task = asyncio.create_task(
        keep_following(
            js, season, name, settings, health=health, task=f"{name} of {season}", metrics=metrics
        )
    )
    running[key] = (lease, task)
