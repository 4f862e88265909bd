"""Everything a season's gateway needs, started together: ``async with running_gateway(...)``.

Migrates the relational read model, runs the relational projection as a task, starts the
live world (agents' fresh reads) and the SSE hub, and serves the app (with its webhook
dispatcher) on ``host:port``. ``wss run`` wraps its engine loop in this; tests and the
bench use it the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.deps import GatewayDeps, GatewaySettings
from gateway.liveworld import LiveWorld
from gateway.serve import GatewayServer, serve_gateway
from projections.analytics.client import AnalyticsClient
from projections.health import ReadHealth, supervise
from projections.hub_seed import nats_url_of, seed_of
from projections.relational import RelationalProjection, create_engine, migrate
from projections.runner import run_projection
from projections.sse_hub import SseHub
from wss import logs
from wss.aio import cancel_and_wait
from wss.metrics import Metrics
from wss.seasonlog import SeasonLog
from wss.snapshots import latest_snapshot

__all__ = ["RunningGateway", "running_gateway"]


@dataclass(frozen=True, slots=True)
class RunningGateway:
    server: GatewayServer
    deps: GatewayDeps
    projection: RelationalProjection

    @property
    def url(self) -> str:
        return self.server.url


async def _project(
    log_: SeasonLog, projection: RelationalProjection, health: ReadHealth, metrics: Metrics
) -> None:
    """The relational projection, supervised: a failure shows in ``/ready`` and is retried
    with backoff (it resumes by position)."""
    observe = metrics.projection_observer(projection.name)

    def progress(position: int, last_seq: int) -> None:
        observe(position, last_seq)
        health.recovered(projection.name)

    await supervise(
        projection.name,
        lambda: run_projection(
            log_.js, log_.season, projection, fetch_timeout=0.25, progress=progress
        ),
        health,
    )


@contextlib.asynccontextmanager
async def running_gateway(
    season_log: SeasonLog,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    settings: GatewaySettings | None = None,
    database: str | AsyncEngine | None = None,
    project: bool = True,
    sse: bool = True,
    migrate_schema: bool | None = None,
    analytics: AnalyticsClient | None = None,
    health: ReadHealth | None = None,
    metrics: Metrics | None = None,
) -> AsyncIterator[RunningGateway]:
    """Serve the gateway for ``season_log``'s season until the block exits.

    With ``project=False`` someone else runs the relational projection and owns its
    schema, so by default no migration runs here: alembic keeps global state, and two
    migrations at once in one process break each other.
    """
    db = database if isinstance(database, AsyncEngine) else create_engine(database)
    if project if migrate_schema is None else migrate_schema:
        await migrate(db)
    projection = RelationalProjection(db, season_log.season)
    health = health or ReadHealth()
    metrics = metrics or Metrics()
    task = (
        asyncio.create_task(_project(season_log, projection, health, metrics)) if project else None
    )
    hub = SseHub(season_log.js, season_log.season) if sse else None
    live = LiveWorld(season_log)
    logs.bind(service="gateway", season=season_log.season, tick=lambda: live.tick, fallback=True)
    try:
        # Both from the latest snapshot: start-up must not grow with the season's length.
        snap = await latest_snapshot(nats_url_of(season_log.nc), season_log.season)
        seed = seed_of(snap) if hub is not None and snap is not None else None  # a copy
        await live.start(snap)  # folds on from the snapshot's world itself
        if hub is not None:
            await hub.start(seed)
        deps = GatewayDeps(
            log=season_log,
            db=db,
            settings=settings or GatewaySettings(),
            hub=hub,
            analytics=analytics,
            live=live,
            health=health,
            metrics=metrics,
        )
        server = await serve_gateway(deps, host, port)
        try:
            yield RunningGateway(server, deps, projection)
        finally:
            if hub is not None:
                await hub.stop()  # ends open SSE responses, so the server stops at once
            await server.stop()
    finally:
        await live.stop()
        if hub is not None:
            await hub.stop()
        if task is not None:
            await cancel_and_wait(task)
        if not isinstance(database, AsyncEngine):
            await db.dispose()
