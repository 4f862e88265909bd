"""Per-agent rate limits, and the tick clock their ``Retry-After`` is estimated with.

Three budgets, from the seed design: actions per tick (``gateway.tickbudget``: counted
against the tick a command will be cut into), orders per wall-clock minute and messages per
wall-clock minute. A request (or a webhook reply) is admitted whole or not at all; a
refusal says how long to wait (``Retry-After``, whole seconds, at least 1).

The windows are a few lines here rather than the ``limits`` library: a command found to be
a duplicate after it was counted must be given back, and a request's orders and messages
are taken together or not at all; ``limits`` has neither, and its memory storage starts a
timer thread every 10 ms while in use.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.errors import RateLimited
from gateway.tickbudget import TickBudget
from projections.relational import queries

__all__ = [
    "MESSAGE_TYPES",
    "ORDER_TYPES",
    "MinuteLimits",
    "MovingWindow",
    "RateLimiter",
    "TickClock",
]

ORDER_TYPES = frozenset({"BUY", "SELL", "SHORT", "COVER", "CANCEL_ORDER"})
MESSAGE_TYPES = frozenset({"MESSAGE", "ALLY", "RUMOR"})
WINDOW = 60.0


class TickClock:
    """The season's current tick as the read model sees it, cached for a few ms."""

    def __init__(self, db: AsyncEngine, season: str, cache_seconds: float = 0.05) -> None:
        self.db, self.season, self.cache_seconds = db, season, cache_seconds
        self._tick = 0
        self._read_at = -math.inf
        self._changed_at = time.monotonic()
        self.tick_seconds = 1.0  # estimate of wall time per tick
        self._reading: asyncio.Task[None] | None = None  # one query at a time, shared

    def observe(self, tick: int) -> None:
        """Told of a tick (by the webhook dispatcher, say): no query needed."""
        now = time.monotonic()
        if tick > self._tick:
            elapsed = now - self._changed_at
            if 0 < elapsed < 60:
                self.tick_seconds = elapsed / (tick - self._tick)
            self._tick, self._changed_at = tick, now
        self._read_at = now

    async def current(self) -> int:
        if time.monotonic() - self._read_at > self.cache_seconds:
            if self._reading is None or self._reading.done():
                self._reading = asyncio.create_task(self._read())
            await asyncio.shield(self._reading)
        return self._tick

    async def _read(self) -> None:
        status = await queries.world_status(self.db, self.season)
        self.observe(status.tick if status else 0)

    def seconds_to_next_tick(self) -> float:
        return max(0.0, self._changed_at + self.tick_seconds - time.monotonic())


class MovingWindow:
    """At most ``limit`` hits per key in any ``seconds``; hits can be given back."""

    def __init__(self, limit: int, seconds: float = WINDOW) -> None:
        self.limit, self.seconds = limit, seconds
        self._hits: dict[str, deque[float]] = {}

    def wait(self, key: str, n: int, now: float) -> float:
        """Seconds until ``n`` more hits fit under the limit (0: they fit now)."""
        if n > self.limit:
            return self.seconds
        hits = self._hits.get(key)
        if hits is None:
            return 0.0
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return 0.0
        if len(hits) + n <= self.limit:
            return 0.0
        # The wait until enough of the window's oldest hits expire.
        return hits[len(hits) + n - self.limit - 1] + self.seconds - now

    def add(self, key: str, n: int, now: float) -> None:
        if n:
            self._hits.setdefault(key, deque()).extend([now] * n)

    def give_back(self, key: str, n: int = 1) -> None:
        hits = self._hits.get(key)
        for _ in range(min(n, len(hits or ()))):
            assert hits is not None
            hits.pop()


class MinuteLimits:
    """Orders and messages per wall-clock minute, per agent, taken whole or not at all."""

    def __init__(self, orders_per_minute: int, messages_per_minute: int) -> None:
        self.orders = MovingWindow(orders_per_minute)
        self.messages = MovingWindow(messages_per_minute)

    def _window(self, command_type: str) -> MovingWindow | None:
        if command_type in ORDER_TYPES:
            return self.orders
        return self.messages if command_type in MESSAGE_TYPES else None

    def take(self, agent_id: str, types: Sequence[str]) -> None:
        """Count ``types``, or raise ``RateLimited`` (nothing counted)."""
        now = time.monotonic()
        wanted = [
            (w, sum(self._window(t) is w for t in types)) for w in (self.orders, self.messages)
        ]
        for window, n in wanted:
            if n and (wait := window.wait(agent_id, n, now)) > 0:
                what = "orders" if window is self.orders else "messages"
                raise RateLimited(f"at most {window.limit} {what} per minute", math.ceil(wait))
        for window, n in wanted:
            window.add(agent_id, n, now)

    def give_back(self, agent_id: str, command_type: str) -> None:
        window = self._window(command_type)
        if window is not None:
            window.give_back(agent_id)


class RateLimiter:
    """The three budgets of an agent. ``admit`` counts a request's new commands; each is then
    ``stored`` (it is on the log) or ``released`` (a duplicate, or not stored): a command
    that did not newly reach the log never counts."""

    def __init__(self, ticks: TickBudget, minutes: MinuteLimits, clock: TickClock) -> None:
        self.ticks, self.minutes, self.clock = ticks, minutes, clock

    async def admit(self, agent_id: str, types: Sequence[str]) -> None:
        if not types:
            return
        if not await self.ticks.reserve(agent_id, len(types)):
            await self.clock.current()
            raise RateLimited(
                f"at most {self.ticks.limit} actions per tick",
                math.ceil(self.clock.seconds_to_next_tick()) or 1,
            )
        try:
            self.minutes.take(agent_id, types)
        except RateLimited:
            self.ticks.release(agent_id, len(types))
            raise

    def stored(self, agent_id: str, seq: int) -> None:
        self.ticks.stored(agent_id, seq)

    def release(self, agent_id: str, command_type: str) -> None:
        self.ticks.release(agent_id)
        self.minutes.give_back(agent_id, command_type)
