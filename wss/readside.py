"""Wiring the read projections of a season: which stores, how they follow the log.

Each projection keeps its position in its own store (the source of truth for resuming)
and also reports it, and any failure, to the ``wss_projections`` KV bucket
(``wss/positions.py``), so ``wss project --status`` can show positions, lag and failures
without opening the stores (chDB allows one process per data directory). Every projection
task runs supervised (``projections/health.py``): a failure is logged, reported and
retried with backoff, never a silent freeze.
"""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from nats.js.client import JetStreamContext

from projections.analytics.client import client_factory
from projections.analytics.projection import AnalyticsProjection
from projections.base import Projection
from projections.health import Failure, ReadHealth, supervise
from projections.relational.migrate import migrate
from projections.relational.store import RelationalProjection
from projections.runner import rebuild, run_projection
from wss.aio import cancel_and_wait
from wss.metrics import Metrics
from wss.positions import (
    Reporter,
    position_key,
    positions_bucket,
    reported_position,
)
from wss.settings import Settings
from wss.stores import relational_url, store_label

__all__ = [
    "PROJECTIONS",
    "ReadSide",
    "keep_following",
    "prepare",
    "rebuild_projection",
    "relational_url",
]

PROJECTIONS = ("relational", "analytics")
# Both stores pay a fixed cost per batch (one transaction, one insert per table), so
# catching up uses big batches; a live tail still flushes as soon as it is drained.
BATCH_SIZE = {"relational": 5_000, "analytics": 5_000}


async def prepare(settings: Settings) -> None:
    """Migrate the relational read model once per process, before its readers and writers
    start: Alembic keeps global state, so concurrent migrations in one process break."""
    settings.home.mkdir(parents=True, exist_ok=True)
    await migrate(relational_url(settings))


async def open_projection(name: str, settings: Settings, season: str) -> Projection:
    """A projection on its store; the relational schema must be migrated (``prepare``)."""
    if name == "relational":
        return RelationalProjection(relational_url(settings), season)
    if name == "analytics":
        factory = client_factory(settings.clickhouse_url, home=settings.home)
        return AnalyticsProjection(factory, season)
    raise ValueError(f"no projection named {name!r} (choose from {', '.join(PROJECTIONS)})")


async def close_projection(projection: Projection) -> None:
    closer: Callable[[], Awaitable[Any]] | None = getattr(projection, "aclose", None) or getattr(
        projection, "close", None
    )
    if closer is not None:
        await closer()


async def follow(
    js: JetStreamContext,
    season: str,
    name: str,
    settings: Settings,
    *,
    reporter: Reporter,
    on_progress: Callable[[], None] = lambda: None,
    observe: Callable[[int, int], None] | None = None,
) -> None:
    """Keep one projection of a season up to date until cancelled (or until it fails)."""
    projection = await open_projection(name, settings, season)

    def progress(position: int, last_seq: int) -> None:
        reporter(position, last_seq)
        if observe is not None:
            observe(position, last_seq)
        on_progress()

    try:
        await run_projection(js, season, projection, batch_size=BATCH_SIZE[name], progress=progress)
    finally:
        with contextlib.suppress(Exception):
            await close_projection(projection)


async def keep_following(
    js: JetStreamContext,
    season: str,
    name: str,
    settings: Settings,
    *,
    health: ReadHealth,
    task: str | None = None,
    metrics: Metrics | None = None,
) -> None:
    """``follow`` under supervision: a failure is reported (log, ``health``, the KV report
    that ``wss project --status`` reads) and retried with backoff, never left frozen."""
    task = task or name
    reporter = await new_reporter(js, season, name, settings)

    def listener(failed: str, failure: Failure | None) -> None:
        if failed == task:
            reporter.health(failure)

    health.listeners.append(listener)
    try:
        await supervise(
            task,
            lambda: follow(
                js,
                season,
                name,
                settings,
                reporter=reporter,
                on_progress=lambda: health.recovered(task),
                observe=metrics.projection_observer(task) if metrics is not None else None,
            ),
            health,
        )
    finally:
        health.listeners.remove(listener)


async def new_reporter(
    js: JetStreamContext, season: str, name: str, settings: Settings
) -> Reporter:
    return Reporter(
        await positions_bucket(js),
        position_key(season, name, settings),
        store_label(name, settings),
    )


async def rebuild_projection(
    js: JetStreamContext,
    season: str,
    name: str,
    settings: Settings,
    progress: Callable[[int, int], None],
) -> int:
    projection = await open_projection(name, settings, season)
    reporter = await new_reporter(js, season, name, settings)

    def both(position: int, last_seq: int) -> None:
        progress(position, last_seq)
        reporter(position, last_seq)

    try:
        return await rebuild(js, season, projection, batch_size=BATCH_SIZE[name], progress=both)
    finally:
        await reporter.flush()
        await close_projection(projection)


class ReadSide:
    """The projections a ``wss run`` keeps up to date, as tasks of its event loop."""

    def __init__(
        self,
        js: JetStreamContext,
        season: str,
        settings: Settings,
        metrics: Metrics | None = None,
    ) -> None:
        self.js, self.season, self.settings = js, season, settings
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.health = ReadHealth()
        self.metrics = metrics

    def start(self, names: tuple[str, ...] = PROJECTIONS) -> None:
        for name in names:
            self.tasks[name] = asyncio.create_task(
                keep_following(
                    self.js,
                    self.season,
                    name,
                    self.settings,
                    health=self.health,
                    metrics=self.metrics,
                )
            )

    async def drain(self, last_seq: int, within: float = 15.0) -> None:
        """Give the projections a moment to reach ``last_seq`` before stopping them."""
        deadline = time.monotonic() + within
        for name, task in self.tasks.items():
            while not task.done() and time.monotonic() < deadline:
                key = position_key(self.season, name, self.settings)
                position = await reported_position(self.js, key)
                if position is not None and position >= last_seq:
                    break
                await asyncio.sleep(0.1)

    async def stop(self) -> list[str]:
        """Cancel the tasks; returns the errors of any that had died."""
        errors = []
        for name, task in self.tasks.items():
            if task.done() and not task.cancelled() and task.exception() is not None:
                errors.append(f"projection {name} stopped: {task.exception()}")
            await cancel_and_wait(task)
        return errors
