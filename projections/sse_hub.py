"""The live SSE hub: one JetStream consumer per process, fanned out to many clients.

Routing. Each event goes to the channels it belongs to, in the view those channels may
see (``visibility.views``: a public trade names no counterparty); a client
subscribes to a set of channels and receives each matching event once, as an SSE
message whose ``id`` is the event's stream sequence, ``event`` its type and ``data``
its JSON. ``leaderboard`` is computed here: at each ``TickClosed`` the hub publishes
the top agents (its id is that TickClosed's sequence). Fundamentals are private and
never leave the engine.

Back-pressure. Every subscriber has a bounded queue. The hub never waits for a client:
when a queue is full the client is dropped, and its stream ends with
``event: error`` / ``data: {"error":"slow_consumer"}``.

Start. The hub follows the log from the engine's latest snapshot (``hub_seed.py``), not
from its first event, so starting on a long season costs the same as on a short one.

Resume. A client sending ``Last-Event-ID: N`` is registered first, at the hub's current
sequence L (no ``await`` in between, so no event slips past): live events above L queue
up while the events in (N, L] are replayed from JetStream by a private pull consumer,
then the queue takes over. Each sequence is delivered exactly once, in order. A replay is
bounded (``max_replay`` events): an older N first gets ``event: error`` with
``resume_gap_too_large`` saying which events are skipped. The leaderboard is state, not
history: a replay includes only the latest one.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError
from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from projections.analytics.book import BOOK_EVENT_TYPES, AgentBook
from projections.hub_seed import HubSeed
from projections.visibility import views
from schemas import limits
from schemas.events import TickClosed, parse_event
from wss.streams import SeasonStreams

log = logging.getLogger(__name__)

PUBLIC_CHANNELS = frozenset({"tick", "market", "news", "leaderboard", "trades", "legal"})
MAX_CHANNELS = 64
_ONE_CHANNEL = (
    f"(?:{'|'.join(sorted(PUBLIC_CHANNELS))}"
    f"|market:{limits.SYMBOL_PATTERN[1:-1]}|agent:{limits.AGENT_ID_PATTERN[1:-1]})"
)
CHANNEL = re.compile(f"^{_ONE_CHANNEL}$")
# ``?channels=`` as a whole, for the OpenAPI document (the server also trims spaces).
CHANNELS_PATTERN = f"^{_ONE_CHANNEL}(?:,{_ONE_CHANNEL}){{0,{MAX_CHANNELS - 1}}}$"
MAX_SEQUENCE = 2**63 - 1
_SEQUENCE = re.compile(r"^[0-9]{1,19}$")
SLOW_CONSUMER = "slow_consumer"
SEP = "\r\n"
CATCH_UP_REPORT_SECONDS = 10.0
CATCH_UP_YIELD_EVERY = 1_000
# Live: yield to the clients' responses every so many events (at most a quarter of a
# client's queue, so a client that keeps up never overflows between two yields).
# Yielding after every event made the hub wait a whole loop turn per event: under load it
# fell behind the log and nats-py's pending queue grew without bound.
LIVE_YIELD_EVERY = 64
GAP_TOO_LARGE = "resume_gap_too_large"
MAX_REPLAY = 100_000  # events a Last-Event-ID resume replays at most


def error_frame(code: str, detail: str) -> bytes:
    """An ``event: error`` message without an id (the client resumes from its last id)."""
    data = json.dumps({"error": code, "detail": detail})
    return f"event: error{SEP}data: {data}{SEP}{SEP}".encode()


def frame(seq: int, event: str, data: str) -> bytes:
    """One encoded SSE message (encoded once, shared by every subscriber)."""
    return f"id: {seq}{SEP}event: {event}{SEP}data: {data}{SEP}{SEP}".encode()


@dataclass(frozen=True, slots=True)
class Outgoing:
    seq: int
    kind: str  # the SSE event name; (seq, kind) names one message whatever its view
    channels: frozenset[str]
    data: bytes  # the encoded SSE frame


class SlowConsumerError(Exception):
    """The subscriber's queue overflowed; it was dropped."""


class Subscriber:
    """A client's bounded queue; filled by the hub, drained by the client's response."""

    def __init__(self, channels: frozenset[str], after: int, max_queue: int) -> None:
        self.channels = channels
        self.after = after  # deliver only sequences above this (hand-over point)
        self.max_queue = max_queue
        self.dropped: str | None = None
        self.closed = False
        self._queue: deque[Outgoing] = deque()
        self._last: tuple[int, str] = (0, "")  # the last message queued
        self._wake = asyncio.Event()

    def offer(self, out: Outgoing) -> bool:
        """Queue ``out`` if it concerns us; False when that overflowed the queue."""
        if out.seq <= self.after or self.channels.isdisjoint(out.channels):
            return True
        if (out.seq, out.kind) == self._last:
            return True  # another view of a message this client already has (views())
        self._last = (out.seq, out.kind)
        if len(self._queue) >= self.max_queue:
            self.drop(SLOW_CONSUMER)
            return False
        self._queue.append(out)
        self._wake.set()
        return True

    def drop(self, reason: str) -> None:
        self.dropped = reason
        self._queue.clear()
        self._wake.set()

    def close(self) -> None:
        self.closed = True
        self._wake.set()

    async def next(self) -> Outgoing | None:
        """The next queued message; None once closed; raises when dropped."""
        while True:
            if self.dropped is not None:
                raise SlowConsumerError(self.dropped)
            if self._queue:
                return self._queue.popleft()
            if self.closed:
                return None
            self._wake.clear()
            await self._wake.wait()


class SseHub:
    """``hub = SseHub(js, season); await hub.start(); ...; await hub.stop()``."""

    def __init__(
        self,
        js: JetStreamContext,
        season: str,
        *,
        queue_size: int = 1_024,
        leaderboard_size: int = 10,
        replay_batch: int = 512,
        max_replay: int = MAX_REPLAY,
    ) -> None:
        self.js = js
        self.streams = SeasonStreams(season)
        self.queue_size = queue_size
        self._yield_every = max(1, min(LIVE_YIELD_EVERY, queue_size // 4))
        self.leaderboard_size = leaderboard_size
        self.replay_batch = replay_batch
        self.max_replay = max_replay
        self.last_seq = 0  # last stream sequence fanned out
        self.received = 0  # events taken from the log (a start from a seed skips the rest)
        self.subscribers: set[Subscriber] = set()
        self.dropped = 0
        self._book = AgentBook()
        self._leaderboard: Outgoing | None = None
        self._sub: JetStreamContext.PushSubscription | None = None
        self._caught_up = asyncio.Event()
        self._target = 0
        self._last_close: tuple[int, int] | None = None  # (seq, tick) of the last TickClosed

    # -- lifecycle -----------------------------------------------------------------

    async def start(self, seed: HubSeed | None = None) -> None:
        """Follow the log from ``seed`` (a snapshot's book; None: the log's start) and
        return once caught up with the log as it was when called.

        The catch-up covers only the events after the seed, so it is bounded by the
        snapshot interval; there is no deadline to miss on a long season.
        """
        try:
            info = await self.js.stream_info(self.streams.event_stream)
            self._target = info.state.last_seq
        except NotFoundError:
            self._target = 0  # the engine has not created the stream yet
        if seed is not None and seed.seq <= self._target:
            self._book, self.last_seq = seed.book, seed.seq
            self._leaderboard = self._leaderboard_frame(seed.seq, seed.tick)
        if self._target <= self.last_seq:
            self._caught_up.set()
        start = (
            {"deliver_policy": api.DeliverPolicy.ALL}
            if self.last_seq == 0
            else {
                "deliver_policy": api.DeliverPolicy.BY_START_SEQUENCE,
                "config": api.ConsumerConfig(opt_start_seq=self.last_seq + 1),
            }
        )
        self._sub = await self.js.subscribe(
            self.streams.event_subjects, cb=self._on_msg, ordered_consumer=True, **start
        )
        began = time.monotonic()
        while not self._caught_up.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._caught_up.wait(), CATCH_UP_REPORT_SECONDS)
            if not self._caught_up.is_set():
                log.warning(
                    "sse hub: catching up, at event %d of %d after %.0fs",
                    self.last_seq,
                    self._target,
                    time.monotonic() - began,
                )

    async def stop(self) -> None:
        sub, self._sub = self._sub, None
        if sub is not None:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        for subscriber in list(self.subscribers):
            subscriber.close()
        self.subscribers.clear()

    # -- the live consumer ---------------------------------------------------------

    async def _on_msg(self, msg: Msg) -> None:
        seq = msg.metadata.sequence.stream
        if seq <= self.last_seq:
            return  # an ordered-consumer reset can re-deliver
        self.received += 1
        if not self._caught_up.is_set():
            self._catch_up(seq, msg)
            if self.received % CATCH_UP_YIELD_EVERY == 0:
                await asyncio.sleep(0)
            return
        try:
            outgoing = self._route(seq, msg.data)
        except Exception:
            log.exception("sse hub: unreadable event at seq %d skipped", seq)
            outgoing = []
        self.last_seq = seq
        for out in outgoing:
            self._fan_out(out)
        if seq >= self._target:
            self._caught_up.set()
        # Let the clients' responses drain their queues now and then: a burst from the
        # consumer must not overflow a client that keeps up.
        if self.received % self._yield_every == 0:
            await asyncio.sleep(0)

    def _catch_up(self, seq: int, msg: Msg) -> None:
        """Before start returns no client is connected: only the book's events matter, and
        only the last leaderboard. The subject names the type, so the rest is not parsed."""
        kind = msg.subject.rpartition(".")[2]
        try:
            if kind in BOOK_EVENT_TYPES:
                self._book.apply(parse_event(msg.data))
            elif kind == "TickClosed":
                self._last_close = (seq, int(json.loads(msg.data)["tick"]))
        except Exception:
            log.exception("sse hub: unreadable event at seq %d skipped", seq)
        self.last_seq = seq
        if seq >= self._target:
            if self._last_close is not None:
                self._leaderboard = self._leaderboard_frame(*self._last_close)
            self._caught_up.set()

    def _route(self, seq: int, raw: bytes) -> list[Outgoing]:
        event = parse_event(raw)
        self._book.apply(event)
        out = [
            Outgoing(seq, event.type, view.channels, frame(seq, event.type, view.data))
            for view in views(event, raw.decode())
        ]
        if isinstance(event, TickClosed):
            self._leaderboard = self._leaderboard_frame(seq, event.tick)
            out.append(self._leaderboard)
        return out

    def _leaderboard_frame(self, seq: int, tick: int) -> Outgoing:
        top = self._book.valuations()[: self.leaderboard_size]
        data = json.dumps(
            {
                "tick": tick,
                "seq": seq,
                "top": [
                    {"rank": v.rank, "agent_id": v.agent_id, "net_worth": v.net_worth} for v in top
                ],
            },
            separators=(",", ":"),
        )
        return Outgoing(
            seq, "Leaderboard", frozenset({"leaderboard"}), frame(seq, "Leaderboard", data)
        )

    def _fan_out(self, out: Outgoing) -> None:
        for subscriber in list(self.subscribers):
            if not subscriber.offer(out):
                # Never wait for a slow client: it goes, everyone else carries on.
                self.subscribers.discard(subscriber)
                self.dropped += 1

    # -- clients -------------------------------------------------------------------

    def subscribe(self, channels: Iterable[str], after: int | None = None) -> Subscriber:
        """Register a live subscriber for events above ``max(after, last_seq)``."""
        handover = self.last_seq
        subscriber = Subscriber(frozenset(channels), max(handover, after or 0), self.queue_size)
        self.subscribers.add(subscriber)
        return subscriber

    async def stream(
        self, channels: Iterable[str], last_event_id: int | None = None
    ) -> AsyncIterator[bytes]:
        """Encoded SSE frames for ``channels``: replay after ``last_event_id``, then live."""
        wanted = frozenset(channels)
        handover = self.last_seq
        subscriber = self.subscribe(wanted, last_event_id)
        try:
            if last_event_id is not None and last_event_id < handover:
                start = max(last_event_id, handover - self.max_replay)
                if start > last_event_id:
                    yield error_frame(
                        GAP_TOO_LARGE,
                        f"a resume replays at most {self.max_replay:,} events: events "
                        f"{last_event_id + 1}..{start} are skipped; read the state over HTTP",
                    )
                async for data in self._replay(wanted, start, handover):
                    yield data
            while (out := await subscriber.next()) is not None:
                yield out.data
        except SlowConsumerError as exc:
            # No id: the client must resume from the last event it really received.
            yield error_frame(str(exc), "the client fell behind; resume with Last-Event-ID")
        finally:
            self.subscribers.discard(subscriber)

    async def _replay(self, wanted: frozenset[str], after: int, upto: int) -> AsyncIterator[bytes]:
        """Stored events in (after, upto] on ``wanted``, read by a private pull consumer."""
        config = api.ConsumerConfig(
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=after + 1,
            ack_policy=api.AckPolicy.NONE,
            inactive_threshold=60.0,
            mem_storage=True,
        )
        psub = await self.js.pull_subscribe(
            self.streams.event_subjects, stream=self.streams.event_stream, config=config
        )
        latest = self._leaderboard
        try:
            while True:
                try:
                    msgs = await psub.fetch(self.replay_batch, timeout=5.0)
                except nats.errors.TimeoutError:
                    return  # nothing left (the range was purged): go live
                for msg in msgs:
                    meta = msg.metadata
                    seq = meta.sequence.stream
                    if seq > upto:
                        return
                    event = parse_event(msg.data)
                    for view in views(event, msg.data.decode()):
                        if not wanted.isdisjoint(view.channels):
                            yield frame(seq, event.type, view.data)
                            break  # the most complete view this client may see
                    if latest is not None and latest.seq == seq and "leaderboard" in wanted:
                        yield latest.data
                    if seq >= upto or meta.num_pending == 0:
                        return
        finally:
            with contextlib.suppress(Exception):
                await psub.unsubscribe()


Authorize = Callable[[Request, str], bool | Awaitable[bool]]


def parse_channels(raw: str) -> list[str]:
    """Validate ``?channels=a,b``; raises ValueError naming the bad channel."""
    channels = [c.strip() for c in raw.split(",") if c.strip()]
    if not channels:
        raise ValueError("no channels: pass ?channels=tick,market:APEX,...")
    if len(channels) > MAX_CHANNELS:
        raise ValueError(f"at most {MAX_CHANNELS} channels")
    for channel in channels:
        if CHANNEL.match(channel):
            continue
        raise ValueError(f"unknown channel {channel!r}")
    return channels


def parse_sequence(raw: str | None) -> int | None:
    """A ``Last-Event-ID``: a stream sequence, 0..2^63-1; raises ValueError."""
    if not raw:
        return None
    if not _SEQUENCE.match(raw) or int(raw) > MAX_SEQUENCE:
        raise ValueError(f"Last-Event-ID must be a stream sequence, 0..{MAX_SEQUENCE}")
    return int(raw)


def sse_endpoint(
    hub: SseHub,
    authorize: Authorize | None = None,
    *,
    ping: float = 15.0,
    send_timeout: float = 30.0,
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint: ``GET ...?channels=tick,market:APEX,agent:<id>``.

    ``agent:<id>`` channels need ``authorize(request, id)`` to say yes (403 otherwise,
    and always without ``authorize``). Resumes from the ``Last-Event-ID`` header (or a
    ``last_event_id`` query parameter for a first connection).
    """

    async def endpoint(request: Request) -> Response:
        try:
            channels = parse_channels(request.query_params.get("channels", ""))
            last_id = parse_sequence(
                request.headers.get("last-event-id") or request.query_params.get("last_event_id")
            )
        except ValueError as exc:
            return JSONResponse({"error": "bad_request", "detail": str(exc)}, status_code=400)
        for channel in channels:
            if channel.startswith("agent:"):
                agent_id = channel.removeprefix("agent:")
                allowed = authorize(request, agent_id) if authorize is not None else False
                if inspect.isawaitable(allowed):
                    allowed = await allowed
                if not allowed:
                    detail = f"channel {channel!r} is private: it needs that agent's API key"
                    return JSONResponse({"error": "forbidden", "detail": detail}, status_code=403)
        return EventSourceResponse(
            hub.stream(channels, last_id), ping=ping, send_timeout=send_timeout
        )

    return endpoint
