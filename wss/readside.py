"""Wiring the read projections of a season: which stores, how they follow the log.

Each projection keeps its position in its own store (the source of truth for resuming)
and also reports it to the ``wss_projections`` KV bucket, so ``wss project --status``
can show positions and lag without opening the stores (chDB allows one process per
data directory).
"""

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from nats.js.client import JetStreamContext
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from projections.analytics.client import client_factory
from projections.analytics.projection import AnalyticsProjection
from projections.base import Projection
from projections.relational.migrate import migrate
from projections.relational.store import RelationalProjection
from projections.runner import rebuild, run_projection
from wss import kv
from wss.aio import cancel_and_wait
from wss.settings import Settings

PROJECTIONS = ("relational", "analytics")
# Both stores pay a fixed cost per batch (one transaction, one insert per table), so
# catching up uses big batches; a live tail still flushes as soon as it is drained.
BATCH_SIZE = {"relational": 5_000, "analytics": 5_000}
POSITIONS_BUCKET = "wss_projections"
REPORT_EVERY_SECONDS = 1.0


def relational_url(settings: Settings) -> str:
    return settings.database_url or f"sqlite+aiosqlite:///{(settings.home / 'read.db').resolve()}"


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


async def positions_bucket(js: JetStreamContext) -> KeyValue:
    return await kv.bucket(js, POSITIONS_BUCKET)


async def reported_position(js: JetStreamContext, season: str, name: str) -> int | None:
    kv = await positions_bucket(js)
    try:
        entry = await kv.get(f"{season}.{name}")
    except KeyNotFoundError:
        return None
    return int(json.loads(entry.value or b"{}").get("position", 0))


@dataclass
class Reporter:
    """Throttled position reports to the KV bucket, from the runner's sync callback."""

    kv: KeyValue
    key: str
    last: float = 0.0
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def __call__(self, position: int, last_seq: int) -> None:
        now = time.monotonic()
        if now - self.last < REPORT_EVERY_SECONDS and position < last_seq:
            return
        self.last = now
        value = json.dumps({"position": position, "last_seq": last_seq}).encode()
        task = asyncio.get_running_loop().create_task(self.kv.put(self.key, value))
        self.tasks.add(task)  # keep a reference until done
        task.add_done_callback(self.tasks.discard)


async def follow(js: JetStreamContext, season: str, name: str, settings: Settings) -> None:
    """Keep one projection of a season up to date until cancelled."""
    projection = await open_projection(name, settings, season)
    reporter = Reporter(await positions_bucket(js), f"{season}.{name}")
    try:
        await run_projection(js, season, projection, batch_size=BATCH_SIZE[name], progress=reporter)
    finally:
        with contextlib.suppress(Exception):
            await close_projection(projection)


async def rebuild_projection(
    js: JetStreamContext,
    season: str,
    name: str,
    settings: Settings,
    progress: Callable[[int, int], None],
) -> int:
    projection = await open_projection(name, settings, season)
    reporter = Reporter(await positions_bucket(js), f"{season}.{name}")

    def both(position: int, last_seq: int) -> None:
        progress(position, last_seq)
        reporter(position, last_seq)

    try:
        return await rebuild(js, season, projection, batch_size=BATCH_SIZE[name], progress=both)
    finally:
        await close_projection(projection)


class ReadSide:
    """The projections a ``wss run`` keeps up to date, as tasks of its event loop."""

    def __init__(self, js: JetStreamContext, season: str, settings: Settings) -> None:
        self.js, self.season, self.settings = js, season, settings
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, names: tuple[str, ...] = PROJECTIONS) -> None:
        for name in names:
            self.tasks[name] = asyncio.create_task(
                follow(self.js, self.season, name, self.settings)
            )

    async def drain(self, last_seq: int, within: float = 15.0) -> None:
        """Give the projections a moment to reach ``last_seq`` before stopping them."""
        deadline = time.monotonic() + within
        for name, task in self.tasks.items():
            while not task.done() and time.monotonic() < deadline:
                position = await reported_position(self.js, self.season, name)
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
