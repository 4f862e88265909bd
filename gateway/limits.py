"""Per-agent rate limits and the tick clock they count ticks with.

Three budgets, from the seed design: actions per tick, orders per wall-clock minute and
messages per wall-clock minute. A request (or a webhook reply) is admitted whole or not at
all; a refusal says how long to wait (``Retry-After``, whole seconds, at least 1).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.errors import RateLimited
from projections.relational import queries

__all__ = ["MESSAGE_TYPES", "ORDER_TYPES", "RateLimiter", "TickClock"]

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


@dataclass(slots=True)
class _Budget:
    tick: int = -1
    in_tick: int = 0
    orders: deque[float] = field(default_factory=deque)
    messages: deque[float] = field(default_factory=deque)


class RateLimiter:
    def __init__(
        self, actions_per_tick: int, orders_per_minute: int, messages_per_minute: int
    ) -> None:
        self.actions_per_tick = actions_per_tick
        self.orders_per_minute = orders_per_minute
        self.messages_per_minute = messages_per_minute
        self._agents: dict[str, _Budget] = {}

    def admit(
        self, agent_id: str, types: Sequence[str], tick: int, seconds_to_next_tick: float
    ) -> None:
        """Count ``types`` against the agent's budgets, or raise ``RateLimited`` (no count)."""
        now = time.monotonic()
        b = self._agents.setdefault(agent_id, _Budget())
        if b.tick != tick:
            b.tick, b.in_tick = tick, 0
        for window in (b.orders, b.messages):
            while window and window[0] <= now - WINDOW:
                window.popleft()
        n_orders = sum(t in ORDER_TYPES for t in types)
        n_messages = sum(t in MESSAGE_TYPES for t in types)
        if b.in_tick + len(types) > self.actions_per_tick:
            raise RateLimited(
                f"at most {self.actions_per_tick} actions per tick",
                math.ceil(seconds_to_next_tick) or 1,
                code="rate_limited",
            )
        for used, n, limit, what in (
            (b.orders, n_orders, self.orders_per_minute, "orders"),
            (b.messages, n_messages, self.messages_per_minute, "messages"),
        ):
            if n and len(used) + n > limit:
                # The wait until enough of the window's oldest entries expire.
                index = min(len(used) - 1, len(used) + n - limit - 1)
                wait = used[index] + WINDOW - now if n <= limit else WINDOW
                raise RateLimited(f"at most {limit} {what} per minute", math.ceil(wait))
        b.in_tick += len(types)
        b.orders.extend([now] * n_orders)
        b.messages.extend([now] * n_messages)
