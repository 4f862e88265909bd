"""The season's world folded inside the gateway process, from the engine's latest snapshot.

The relational read model can fall many ticks behind under load; an agent must not. The
gateway therefore follows the event stream itself (an ordered consumer, like the SSE
hub) and folds it with the domain's own ``evolve``, a tick at a time: a tick's events are
buffered until its ``TickClosed`` and then applied together, so every read sees the world
at a tick boundary. It starts from the engine's latest world snapshot
(``wss.snapshots.latest_snapshot``, the loader the SSE hub uses) and folds only the events
after it, so start-up is bounded by the snapshot interval, not the season's length.

It keeps, besides the ``World``:

- the last outcomes by (agent, command id) (``OutcomeIndex``) folded since its start;
  older ones (at or below ``outcomes.horizon``, which starts at the snapshot) are answered
  by the relational ``actions`` table,
- the commands this process (or a scan of the command stream's uncut tail) knows were
  sent but not yet cut, so an id never sent can be told from one still pending,
- what the domain does not keep but reads show: each agent's registration tick and
  starting net worth, each open order's command id and ticks, API key hashes.

For agents and orders older than the snapshot these come from a bounded source: API key
hashes and open orders' created ticks from the snapshot's ``World`` itself (``Account``
carries ``api_key_hash``, ``Order`` its tick); registration tick, starting net worth and
open orders' command ids from the durable relational read model, once per agent on its
first fresh read (``gateway.freshreads.recall_older``). ``older_agents`` and
``older_orders`` are the ids still waiting for that.

It needs only the NATS connection, so it works the same inside ``wss run`` and in a
gateway process of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.js import api
from nats.js.errors import NotFoundError

from domain import evolve
from domain.clock import sim_time
from domain.state import World
from gateway.outcomes import OutcomeIndex
from projections.relational.outcomes import outcome_of
from projections.relational.queries import ActionOutcome
from schemas import events as ev
from schemas.events import parse_event
from wss.seasonlog import SeasonLog
from wss.snapshots import Snapshot

__all__ = ["LiveWorld", "OrderMeta"]

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (agent id, command id)


@dataclass(slots=True)
class OrderMeta:
    command_id: str
    created_tick: int
    updated_tick: int


class LiveWorld:
    """``live = LiveWorld(log); await live.start(); ...; await live.stop()``."""

    def __init__(
        self, log_: SeasonLog, *, outcomes_kept: int = 200_000, pending_kept: int = 200_000
    ) -> None:
        self.log = log_
        self.world = World()
        self.seq = 0  # event sequence of the last TickClosed applied
        self.sim_time = ""  # that TickClosed's simulated time
        self.outcomes = OutcomeIndex(outcomes_kept)
        self.registered_tick: dict[str, int] = {}
        self.starting_worth: dict[str, int] = {}
        self.order_meta: dict[int, OrderMeta] = {}
        self.key_hashes: dict[str, str] = {}  # sha256 of an API key -> agent id
        self.start_seq = 0  # the snapshot's event sequence it started after (0: the log's start)
        self.folded = 0  # events folded since the start
        self.notional_cents = 0  # traded value folded since the start (metrics)
        self.older_agents: set[str] = set()  # in the snapshot, facts not yet recalled
        self.older_orders: set[int] = set()  # open in the snapshot, command id not recalled
        self._pending: OrderedDict[Key, None] = OrderedDict()
        self._pending_kept = pending_kept
        self._scanned = 0  # command stream scanned for pending commands up to here
        self._scan_lock = asyncio.Lock()
        self._buffer: list[tuple[int, ev.EventBase]] = []
        self._received = 0  # last event sequence received (applied or buffered)
        self._closed = asyncio.Event()  # set at each applied tick, then replaced
        self._caught_up = asyncio.Event()
        self._target = 0
        self._sub: object | None = None

    @property
    def tick(self) -> int:
        return self.world.tick

    @property
    def received_seq(self) -> int:
        """The newest event sequence received (applied or buffered)."""
        return self._received

    @property
    def ready(self) -> bool:
        """Caught up with the log as it was at start: reads from here are fresh."""
        return self._caught_up.is_set()

    # -- following the log ---------------------------------------------------------------

    async def start(self, snapshot: Snapshot | None = None, catch_up_seconds: float = 30.0) -> None:
        """Follow the log from right after ``snapshot`` (None: from its start) and wait
        (bounded) until caught up. The snapshot's world becomes this one's: pass a copy
        if it is shared."""
        streams = self.log.streams
        try:
            self._target = await self.log.last_seq(streams.event_stream)
        except NotFoundError:
            self._target = 0
        if snapshot is not None and snapshot.event_seq <= self._target:
            self._seed(snapshot)
        if self._target <= self._received:
            self._caught_up.set()
        start = (
            {"deliver_policy": api.DeliverPolicy.ALL}
            if self.start_seq == 0
            else {
                "deliver_policy": api.DeliverPolicy.BY_START_SEQUENCE,
                "config": api.ConsumerConfig(opt_start_seq=self.start_seq + 1),
            }
        )
        self._sub = await self.log.js.subscribe(
            streams.event_subjects,
            stream=streams.event_stream,
            cb=self._on_msg,
            ordered_consumer=True,
            **start,
        )
        try:
            await asyncio.wait_for(self._caught_up.wait(), catch_up_seconds)
        except TimeoutError:
            log.warning("live world: still catching up with the log after %ss", catch_up_seconds)

    def _seed(self, snapshot: Snapshot) -> None:
        """Stand at the snapshot: its world, and what of the rest the world itself holds."""
        world = self.world = snapshot.world
        self.start_seq = self.seq = self._received = snapshot.event_seq
        self.sim_time = sim_time(world.tick, world.config).isoformat() if world.started else ""
        self.outcomes.horizon = snapshot.event_seq  # older outcomes: the relational model
        for agent_id, account in world.accounts.items():
            if account.api_key_hash:
                self.key_hashes[account.api_key_hash] = agent_id
        self.older_agents = set(world.accounts)
        for order_id, order in world.orders.items():
            self.order_meta[order_id] = OrderMeta("", order.tick, order.tick)
        self.older_orders = set(world.orders)

    async def stop(self) -> None:
        sub, self._sub = self._sub, None
        if sub is not None:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()  # type: ignore[attr-defined]

    async def _on_msg(self, msg: Msg) -> None:
        seq = msg.metadata.sequence.stream
        if seq <= self._received:
            return  # an ordered-consumer reset can re-deliver
        self._received = seq
        try:
            event = parse_event(msg.data)
        except ValueError:
            log.exception("live world: unreadable event at seq %d skipped", seq)
            return
        self._buffer.append((seq, event))
        if isinstance(event, ev.TickClosed):
            self._apply_tick(seq)
        if seq >= self._target:
            self._caught_up.set()

    def _apply_tick(self, closed_seq: int) -> None:
        """Fold one whole tick, synchronously: no reader sees half of it."""
        world, buffer = self.world, self._buffer
        self._buffer = []
        touched: list[int] = []
        self.folded += len(buffer)
        for seq, event in buffer:
            evolve(world, event)
            self._remember(event, touched)
            outcome = outcome_of(seq, event)
            if outcome is not None and not _builtin(world, outcome.agent_id):
                # Built-in traders never ask for their outcomes over HTTP, and they make
                # most of them: kept, they filled the index (and RSS) for nothing.
                self.outcomes.add(outcome)
                self._pending.pop((outcome.agent_id, outcome.command_id), None)
        for order_id in touched:
            if order_id not in world.orders:
                self.order_meta.pop(order_id, None)
                self.older_orders.discard(order_id)
        closed = buffer[-1][1]
        assert isinstance(closed, ev.TickClosed)
        self.seq, self.sim_time = closed_seq, closed.sim_time
        self._closed.set()
        self._closed = asyncio.Event()

    def _remember(self, event: ev.EventBase, touched: list[int]) -> None:
        """What reads show that the domain's world does not keep."""
        match event:
            case ev.SeasonStarted():
                prices = {c.symbol: c.initial_price for c in event.companies}
                for a in event.builtin_agents:
                    self.registered_tick[a.agent_id] = event.tick
                    worth = a.cash + sum(q * prices.get(s, 0) for s, q in a.holdings.items())
                    self.starting_worth[a.agent_id] = worth
            case ev.AgentRegistered():
                self.registered_tick[event.agent_id] = event.tick
                self.starting_worth[event.agent_id] = event.cash
                self.key_hashes[event.api_key_hash] = event.agent_id
            case ev.OrderAccepted():
                self.order_meta[event.order_id] = OrderMeta(
                    event.command_id, event.tick, event.tick
                )
                touched.append(event.order_id)
            case ev.TradeExecuted():
                self.notional_cents += event.price * event.quantity
                for order_id in (event.buy_order_id, event.sell_order_id):
                    if (known := self.order_meta.get(order_id)) is not None:
                        known.updated_tick = event.tick
                    touched.append(order_id)
            case ev.OrderCancelled() | ev.OrderExpired():
                touched.append(event.order_id)

    async def next_tick(self, timeout: float) -> bool:  # noqa: ASYNC109 - a bounded wait
        """Wait for the next applied tick; False if none came within ``timeout``."""
        try:
            await asyncio.wait_for(self._closed.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:  # noqa: ASYNC109
        """Wait (bounded) until ``condition()`` holds after some applied tick."""
        loop = asyncio.get_running_loop()
        until = loop.time() + timeout
        while not condition():
            left = until - loop.time()
            if left <= 0 or not await self.next_tick(left):
                return condition()
        return True

    # -- commands sent, outcomes ---------------------------------------------------------

    def expect(self, agent_id: str, command_id: str) -> None:
        """This process has just put the command on the log: it is pending until cut."""
        if self.outcomes.get(agent_id, command_id) is not None:
            return
        self._pending[(agent_id, command_id)] = None
        while len(self._pending) > self._pending_kept:
            self._pending.popitem(last=False)

    def outcome(self, agent_id: str, command_id: str) -> ActionOutcome | None:
        return self.outcomes.get(agent_id, command_id)

    def is_pending(self, agent_id: str, command_id: str) -> bool:
        return (agent_id, command_id) in self._pending

    async def scan_sent(self, agent_id: str, command_id: str) -> bool:
        """Was the command sent (by any gateway) after the last cut? Reads the command
        stream's tail once per call, from where the previous scan stopped."""
        async with self._scan_lock:
            if self.is_pending(agent_id, command_id):
                return True
            start = max(self._scanned, self.world.last_command_seq) + 1
            end = await self.log.last_seq(self.log.streams.command_stream)
            if end >= start:
                for _, command in await self.log.commands(start, end):
                    self.expect(command.agent_id, command.command_id)
                self._scanned = end
            return self.is_pending(agent_id, command_id)


def _builtin(world: World, agent_id: str) -> bool:
    account = world.accounts.get(agent_id)
    return account is not None and account.builtin
