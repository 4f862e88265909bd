"""Tick webhooks: after each ``TickClosed``, POST every agent with a callback URL its view.

The dispatcher follows the season's event stream (an ordered JetStream consumer from
"now"), collects per agent what the tick brought (fills, rejections, messages to it), and
at ``TickClosed`` waits briefly for the read model to reach that tick, then fans out:
bounded concurrency, a timeout, no retries (a missed tick is missed: no retry storms).
Each body is signed ``X-WSS-Signature: sha256=<HMAC(agent's webhook secret, body)>``.
The agent may answer ``{"actions": [...]}``: those go through the same path as
``POST /api/v1/actions`` (validation, rate limits) and act in the next tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext, api
from pydantic import ValidationError

from gateway import readmodel
from gateway.actions import ActionService
from gateway.auth import sign, webhook_secret
from gateway.deps import GatewayDeps
from gateway.errors import ApiError
from gateway.hooks_http import HookResponse, HookTransport
from gateway.limits import TickClock
from gateway.models import WebhookReply
from projections.relational import queries
from schemas import events as ev
from schemas.events import parse_event
from wss.aio import cancel_and_wait

__all__ = ["SIGNATURE_HEADER", "FanoutReport", "WebhookDispatcher"]

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-WSS-Signature"
_TARGET_SEES = frozenset({"MESSAGE", "ALLY", "BRIBE"})
_ALERTS = (
    ev.OrderAccepted,
    ev.OrderRejected,
    ev.CommandRejected,
    ev.OrderCancelled,
    ev.OrderExpired,
    ev.MarginCalled,
    ev.MarginCallMet,
    ev.PositionLiquidated,
    ev.AgentBankrupted,
    ev.AgentStatusChanged,
    ev.SocialActionRecorded,
)
NEWS_PER_WEBHOOK = 20


@dataclass(slots=True)
class TickMail:
    """What one tick brought each agent, collected while the tick's events stream by."""

    messages: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    alerts: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, event: ev.Event) -> None:
        if isinstance(event, ev.TradeExecuted):
            fill = {"alert": "fill", **event.model_dump(mode="json")}
            self.alerts[event.buyer_id].append(fill)
            if event.seller_id != event.buyer_id:
                self.alerts[event.seller_id].append(fill)
            return
        if isinstance(event, _ALERTS):
            self.alerts[event.agent_id].append(
                {"alert": event.type, **event.model_dump(mode="json")}
            )
        if (
            isinstance(event, ev.SocialActionRecorded)
            and event.target_agent_id
            and event.action in _TARGET_SEES
        ):
            self.messages[event.target_agent_id].append(
                {
                    "tick": event.tick,
                    "from_agent_id": event.agent_id,
                    "action": event.action,
                    "text": event.text,
                    "amount": event.amount,
                }
            )


@dataclass(frozen=True, slots=True)
class FanoutReport:
    tick: int
    targets: int
    delivered: int
    failed: int
    actions: int
    seconds: float


class WebhookDispatcher:
    def __init__(self, deps: GatewayDeps, actions: ActionService, clock: TickClock) -> None:
        self.deps, self.actions, self.clock = deps, actions, clock
        s = deps.settings
        self.http = HookTransport(
            s.webhook_timeout_seconds, s.max_body_bytes, allow_private=s.allow_private_callbacks
        )
        self.semaphore = asyncio.Semaphore(s.webhook_concurrency)
        self.reports: list[FanoutReport] = []
        self._mail = TickMail()
        self._sub: JetStreamContext.PushSubscription | None = None
        self._pending: asyncio.Queue[tuple[int, ev.TickClosed, TickMail]] = asyncio.Queue(1)
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        streams = self.deps.log.streams
        self._worker = asyncio.create_task(self._work(), name="wss-webhooks")
        self._sub = await self.deps.log.js.subscribe(
            streams.event_subjects,
            cb=self._on_msg,
            ordered_consumer=True,
            deliver_policy=api.DeliverPolicy.NEW,
        )

    async def stop(self) -> None:
        sub, self._sub = self._sub, None
        if sub is not None:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        if self._worker is not None:
            await cancel_and_wait(self._worker)
        await self.http.aclose()

    async def _on_msg(self, msg: Msg) -> None:
        try:
            event = parse_event(msg.data)
        except ValidationError:
            log.warning("webhooks: unreadable event skipped")
            return
        if not isinstance(event, ev.TickClosed):
            self._mail.add(event)
            return
        mail, self._mail = self._mail, TickMail()
        self.clock.observe(event.tick)
        item = (msg.metadata.sequence.stream, event, mail)
        if self._pending.full():  # the last fan-out is still running: the newest tick wins
            with contextlib.suppress(asyncio.QueueEmpty):
                self._pending.get_nowait()
        self._pending.put_nowait(item)

    async def _work(self) -> None:
        while True:
            seq, closed, mail = await self._pending.get()
            try:
                self.reports.append(await self.dispatch(seq, closed, mail))
                del self.reports[:-100]
            except Exception:
                log.exception("webhooks: tick %d fan-out failed", closed.tick)

    async def _await_projection(self, seq: int) -> None:
        loop = asyncio.get_running_loop()
        until = loop.time() + self.deps.settings.webhook_projection_wait_seconds
        while loop.time() < until:
            if await queries.projection_position(self.deps.db, self.deps.season) >= seq:
                return
            await asyncio.sleep(0.01)

    async def dispatch(self, seq: int, closed: ev.TickClosed, mail: TickMail) -> FanoutReport:
        """Send this tick's webhooks; returns what happened (never raises for a bad agent)."""
        began = time.perf_counter()
        db, season = self.deps.db, self.deps.season
        await self._await_projection(seq)
        targets = await readmodel.callback_agents(db, season)
        if not targets:
            return FanoutReport(closed.tick, 0, 0, 0, 0, time.perf_counter() - began)
        books = await readmodel.portfolios(db, season, [t.agent_id for t in targets])
        stocks = await queries.list_stocks(db, season)
        world = await queries.world_status(db, season)
        news = await queries.news(db, season, since_tick=closed.tick, limit=NEWS_PER_WEBHOOK)
        # The shared parts are encoded once; each body splices in the agent's own parts,
        # in TickWebhook's field order.
        head = (
            f'{{"season":{json.dumps(season)},"tick":{closed.tick},'
            f'"sim_time":{json.dumps(closed.sim_time)},"agent_id":'
        )
        market = json.dumps([s.model_dump(mode="json") for s in stocks], separators=(",", ":"))
        world_json = (
            "null"
            if world is None
            else json.dumps(
                {"regime": world.regime, "market_open": world.market_open, "day": world.day}
            )
        )
        news_json = json.dumps([n.model_dump(mode="json") for n in news], separators=(",", ":"))

        async def one(target: readmodel.CallbackAgent) -> tuple[bool, int]:
            book = books.get(target.agent_id)
            body = (
                f'{head}{json.dumps(target.agent_id)},"portfolio":'
                f'{book.model_dump_json() if book else "null"},"market":{market},'
                f'"world":{world_json},"news":{news_json},'
                f'"messages":{json.dumps(mail.messages.get(target.agent_id, []))},'
                f'"alerts":{json.dumps(mail.alerts.get(target.agent_id, []))}}}'
            ).encode()
            secret = webhook_secret(self.deps.settings.webhook_secret, target.agent_id)
            async with self.semaphore:
                try:
                    response = await self.http.post(
                        target.callback_url,
                        body,
                        {
                            "Content-Type": "application/json",
                            SIGNATURE_HEADER: sign(secret, body),
                            "X-WSS-Tick": str(closed.tick),
                        },
                    )
                except (
                    OSError,
                    TimeoutError,
                    ValueError,
                    asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError,
                ):
                    return False, 0
            if not response.is_success:
                return False, 0
            return True, await self._reply(target.agent_id, response)

        results = await asyncio.gather(*(one(t) for t in targets))
        delivered = sum(ok for ok, _ in results)
        report = FanoutReport(
            closed.tick,
            len(targets),
            delivered,
            len(targets) - delivered,
            sum(n for _, n in results),
            time.perf_counter() - began,
        )
        log.debug("webhooks: %s", report)
        return report

    async def _reply(self, agent_id: str, response: HookResponse) -> int:
        """Submit the actions an agent answered with; returns how many were accepted."""
        if not response.body or len(response.body) > self.deps.settings.max_body_bytes:
            return 0
        try:
            reply = WebhookReply.model_validate_json(response.body)
        except ValidationError:
            return 0
        if not reply.actions:
            return 0
        try:
            batch = reply.actions[: self.deps.settings.max_batch]
            accepted = await self.actions.act(agent_id, batch, batch=True)
        except ApiError as error:
            log.info("webhooks: reply of %s refused: %s", agent_id, error.code)
            return 0
        return len(accepted)
