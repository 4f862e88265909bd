"""A season served by the gateway over real uvicorn and a real nats-server, for e2e tests.

``gateway_env`` creates a season, runs the engine as a task (for ``engine_ticks`` ticks, or
until the block exits), and serves the gateway with its relational projection and SSE hub.
Waits poll with bounded timeouts; nothing sleeps for a fixed time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import httpx
from nats.aio.client import Client
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.deps import GatewaySettings
from gateway.runtime import RunningGateway, running_gateway
from gateway.webhooks import WebhookDispatcher
from projections.relational import queries
from schemas.config import NO_CROOKS, PopulationConfig, SeasonConfig
from wss.metrics import Metrics
from wss.natsserver import connect, free_port
from wss.season import RunResult, create_season, run_engine
from wss.seasonlog import SeasonLog
from wss.settings import Settings

T = TypeVar("T")
SECRET = b"test-server-secret"
TEST_SETTINGS = GatewaySettings(
    allow_private_callbacks=True,
    webhook_secret=SECRET,
    register_wait_seconds=3.0,
    registrations_per_minute=1_000,  # tests register many agents from one address
)
CONFIG = SeasonConfig(
    symbols=4,
    # No seeded crooks: the tests script their own crimes, and the SEC would otherwise
    # open cases (and fill the prison) of its own in the same season.
    population=PopulationConfig(
        market_makers=2, noise_traders=4, momentum_traders=1, value_traders=1, crooks=NO_CROOKS
    ),
)


@dataclass
class Env:
    nc: Client
    log: SeasonLog
    gateway: RunningGateway
    engine_task: asyncio.Task[RunResult]
    stop_engine: asyncio.Event  # set it to stop the engine after its current tick

    @property
    def url(self) -> str:
        return self.gateway.url

    @property
    def db(self) -> AsyncEngine:
        return self.gateway.deps.db

    @property
    def season(self) -> str:
        return self.log.season

    @property
    def webhooks(self) -> WebhookDispatcher:
        """The app's webhook dispatcher (its ``reports`` say what each fan-out did)."""
        app: Any = self.gateway.server.config.app
        dispatcher: WebhookDispatcher = app.state.webhooks
        return dispatcher

    async def command_seq(self) -> int:
        return await self.log.last_seq(self.log.streams.command_stream)

    async def world_tick(self) -> int:
        status = await queries.world_status(self.db, self.season)
        return status.tick if status else -1


async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    timeout: float = 10.0,  # noqa: ASYNC109
    every: float = 0.02,
) -> T:
    """Poll ``probe`` until it returns something truthy, or fail after ``timeout``."""
    async with asyncio.timeout(timeout):
        while True:
            value = await probe()
            if value:
                return value
            await asyncio.sleep(every)


@contextlib.asynccontextmanager
async def gateway_env(
    nats_url: str,
    tmp: Path,
    *,
    engine_ticks: int | None = None,
    tick_ms: int = 100,
    seed: int = 7,
    project: bool = True,
    reconnect_attempts: int = 3,
    snapshot_every: int = 0,
    **settings: Any,
) -> AsyncIterator[Env]:
    """``project=False``: no relational projection runs (its schema exists, empty), as
    when it has fallen far behind. ``reconnect_attempts``: how many times (about one a
    second) the connection tries again after losing the server. ``snapshot_every``: the
    engine snapshots the world every that many ticks (0: never)."""
    nc = await connect(nats_url, max_reconnect_attempts=reconnect_attempts)
    log = await create_season(nc, seed, CONFIG)
    stop = asyncio.Event()
    metrics = Metrics()  # one per process, as in `wss run`: the engine's and the gateway's
    engine = asyncio.create_task(
        run_engine(
            nc,
            nats_url,
            log,
            Settings(home=tmp, snapshot_every=snapshot_every, lease_seconds=5),
            ticks=engine_ticks,
            tick_ms=tick_ms,
            stop=stop,
            on_tick=lambda _r: None,
            metrics=metrics,
        )
    )
    try:
        async with running_gateway(
            log,
            port=free_port(),
            settings=replace(TEST_SETTINGS, **settings),
            database=f"sqlite+aiosqlite:///{tmp / 'read.db'}",
            project=project,
            migrate_schema=True,
            metrics=metrics,
        ) as gateway:
            env = Env(nc, log, gateway, engine, stop)
            yield env
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(engine, 10)
        await nc.drain()


@contextlib.asynccontextmanager
async def settled_env(
    nats_url: str, tmp: Path, ticks: int = 3, **settings: Any
) -> AsyncIterator[Env]:
    """A season that ran ``ticks`` ticks and stopped: the world (and the built-in traders'
    resting orders) exists and the tick stands still, so per-tick limits are exact."""
    async with gateway_env(nats_url, tmp, engine_ticks=ticks, tick_ms=0, **settings) as env:

        async def settled() -> bool:
            return await env.world_tick() >= ticks and env.engine_task.done()

        await eventually(settled)
        yield env


@contextlib.asynccontextmanager
async def http_client(env: Env) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=env.url, timeout=10, trust_env=False) as client:
        yield client
