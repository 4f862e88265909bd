"""Tick webhooks: after each ``TickClosed``, POST every agent with a callback URL its view.

The dispatcher follows the season's event stream (an ordered JetStream consumer from the
tick after the last closed one), sorts what each tick brings to the agents it concerns
(``gateway.webhook_mail``), and at ``TickClosed`` starts a fan-out unless one is still
running; then the next fan-out, for the newest closed tick, carries everything waiting,
so no tick's fills, outcomes or messages are lost, and each webhook says from which tick
it covers (``since_tick``). A fan-out waits briefly for the read model to reach its
tick, then POSTs with bounded concurrency, a timeout and no retries (an undelivered
agent's mail waits for its next webhook instead). Each body is signed
``X-WSS-Signature: sha256=<HMAC(agent's webhook secret, body)>``. The agent may answer
``{"actions": [...]}`` (``gateway.webhook_replies``): those go through the same path as
``POST /api/v1/actions`` (validation, rate limits) and act in the next tick; a refused
reply comes back as alerts in the next webhook and as rejected action outcomes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from gateway import readmodel
from gateway.actions import ActionService
from gateway.auth import sign, webhook_secret
from gateway.deps import GatewayDeps
from gateway.freshreads import live_portfolio, recall_older
from gateway.hooks_http import HookTransport
from gateway.limits import TickClock
from gateway.models import PortfolioOut
from gateway.outcomes import OutcomeIndex
from gateway.webhook_mail import Mail, Mailboxes
from gateway.webhook_replies import ReplyHandler
from projections.relational import queries
from schemas import events as ev
from schemas.enums import AgentStatus
from schemas.events import parse_event
from wss.aio import cancel_and_wait

__all__ = ["SIGNATURE_HEADER", "FanoutReport", "WebhookDispatcher"]

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-WSS-Signature"
NEWS_PER_WEBHOOK = 20


@dataclass(frozen=True, slots=True)
class FanoutReport:
    tick: int
    first_tick: int  # the first tick it covers (the one after the previous fan-out's)
    newest_tick: int  # the newest closed tick when it finished
    targets: int
    delivered: int
    failed: int
    actions: int
    seconds: float

    def lag_ticks(self) -> list[int]:
        """Per covered tick, how many ticks old its mail was when this fan-out finished."""
        return [self.newest_tick - t for t in range(self.first_tick, self.tick + 1)]


class WebhookDispatcher:
    def __init__(
        self,
        deps: GatewayDeps,
        actions: ActionService,
        clock: TickClock,
        refusals: OutcomeIndex,
    ) -> None:
        self.deps, self.clock = deps, clock
        s = deps.settings
        self.http = HookTransport(
            s.webhook_timeout_seconds, s.max_body_bytes, allow_private=s.allow_private_callbacks
        )
        self.semaphore = asyncio.Semaphore(s.webhook_concurrency)
        self.reports: list[FanoutReport] = []
        self.mail = Mailboxes(start_tick=-1)
        self.replies = ReplyHandler(actions, refusals, self.mail, s.max_body_bytes)
        self._sub: JetStreamContext.PushSubscription | None = None
        self._closed: tuple[int, ev.TickClosed] | None = None  # newest, not yet fanned out
        self._wake = asyncio.Event()
        self._newest_tick = self._fanned_out_tick = -1
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Follow the event stream from the tick after the last closed one."""
        streams, js = self.deps.log.streams, self.deps.log.js
        seq, tick = 0, -1
        try:
            last = await js.get_last_msg(streams.event_stream, streams.event_subject("TickClosed"))
            seq, tick = last.seq or 0, ev.TickClosed.model_validate_json(last.data or b"").tick
        except NotFoundError:
            pass  # no tick closed yet: follow from the start
        self.mail.start_tick = tick
        self._newest_tick = self._fanned_out_tick = tick
        self._worker = asyncio.create_task(self._work(), name="wss-webhooks")
        self._sub = await js.subscribe(
            streams.event_subjects,
            cb=self._on_msg,
            ordered_consumer=True,
            config=api.ConsumerConfig(
                deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=seq + 1
            ),
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
            self.mail.add(event)
            return
        self.mail.close_tick()
        self.clock.observe(event.tick)
        self._newest_tick = event.tick
        self._closed = (msg.metadata.sequence.stream, event)  # a busy worker takes the newest
        self._wake.set()

    async def _work(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._closed is None:
                continue
            (seq, closed), self._closed = self._closed, None
            try:
                self.reports.append(await self.dispatch(seq, closed, self.mail.take_all()))
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

    async def _targets(
        self, tick: int, waiting: dict[str, Mail]
    ) -> tuple[list[readmodel.CallbackAgent], Callable[[str], bool]]:
        """Who gets this tick's webhook, and which agents the source knows at all.

        Registered agents with a callback URL: the active ones every tick, the others
        (imprisoned, bankrupt, fled) while mail waits for them, so they learn why. The live
        world is the source once it has reached ``tick`` (the relational model may lag
        further), else the read model (active agents only)."""
        live = self.deps.live
        if live is None or not live.ready:
            targets = await readmodel.callback_agents(self.deps.db, self.deps.season)
            return targets, lambda _agent_id: True
        wait = self.deps.settings.webhook_projection_wait_seconds
        await live.wait_until(lambda: live.tick >= tick, wait)
        accounts = live.world.accounts
        targets = [
            readmodel.CallbackAgent(a.agent_id, a.callback_url)
            for a in sorted(accounts.values(), key=lambda a: a.agent_id)
            if a.callback_url
            and not a.builtin
            and (a.status == AgentStatus.ACTIVE or a.agent_id in waiting)
        ]
        return targets, accounts.__contains__

    async def _portfolios(self, agent_ids: list[str], tick: int) -> dict[str, PortfolioOut]:
        """The owners' portfolios, as ``GET /agents/{id}/portfolio`` answers them: from the
        live world once it has reached ``tick``, else from the relational read model."""
        live = self.deps.live
        if live is None or not live.ready:
            return await readmodel.portfolios(self.deps.db, self.deps.season, agent_ids)
        for agent_id in agent_ids:  # a query once per agent older than the live snapshot
            await recall_older(live, self.deps.db, self.deps.season, agent_id)
        wait = self.deps.settings.webhook_projection_wait_seconds
        await live.wait_until(lambda: live.tick >= tick, wait)  # at once after _targets
        out = {}
        for agent_id in agent_ids:
            book = live_portfolio(live, agent_id, private=True)
            if book is not None:
                out[agent_id] = book
        return out

    async def dispatch(
        self, seq: int, closed: ev.TickClosed, waiting: dict[str, Mail]
    ) -> FanoutReport:
        """Send this tick's webhooks with the ``waiting`` mail (taken from ``self.mail``);
        returns what happened (never raises for a bad agent)."""
        began = time.perf_counter()
        first_tick, self._fanned_out_tick = self._fanned_out_tick + 1, closed.tick
        db, season = self.deps.db, self.deps.season
        await self._await_projection(seq)
        targets, known = await self._targets(closed.tick, waiting)
        wanted = {t.agent_id for t in targets}
        for agent_id, mail in waiting.items():
            if agent_id in wanted:
                continue
            if known(agent_id):  # no webhook to carry it: settled as dropped
                self.mail.settle(agent_id, closed.tick)
            else:  # registered after what the world shows yet: keep it for later
                self.mail.put_back(agent_id, mail)
        if not targets:
            return self._report(closed, first_tick, began)
        books = await self._portfolios([t.agent_id for t in targets], closed.tick)
        stocks = await queries.list_stocks(db, season)
        world = await queries.world_status(db, season)
        since = {t.agent_id: self.mail.since_tick(t.agent_id) for t in targets}
        news = await queries.news(
            db, season, since_tick=min(since.values()), limit=NEWS_PER_WEBHOOK
        )
        # The shared parts are encoded once; each body splices in the agent's own parts,
        # in TickWebhook's field order.
        head = f'{{"season":{json.dumps(season)},"tick":{closed.tick},"since_tick":'
        sim_time = f',"sim_time":{json.dumps(closed.sim_time)},"agent_id":'
        market = json.dumps([s.model_dump(mode="json") for s in stocks], separators=(",", ":"))
        world_json = (
            "null"
            if world is None
            else json.dumps(
                {"regime": world.regime, "market_open": world.market_open, "day": world.day}
            )
        )
        news_by_since: dict[int, str] = {}

        def news_json(since_tick: int) -> str:
            if since_tick not in news_by_since:
                news_by_since[since_tick] = json.dumps(
                    [n.model_dump(mode="json") for n in news if n.tick >= since_tick],
                    separators=(",", ":"),
                )
            return news_by_since[since_tick]

        async def one(target: readmodel.CallbackAgent) -> tuple[bool, int]:
            agent_id = target.agent_id
            book, mail = books.get(agent_id), waiting.pop(agent_id, None) or Mail()
            body = (
                f"{head}{since[agent_id]}{sim_time}{json.dumps(agent_id)},"
                f'"portfolio":{book.model_dump_json() if book else "null"},"market":{market},'
                f'"world":{world_json},"news":{news_json(since[agent_id])},'
                f'"messages":{json.dumps(list(mail.messages))},'
                f'"alerts":{json.dumps(list(mail.alerts))},"dropped":{mail.dropped}}}'
            ).encode()
            secret = webhook_secret(self.deps.settings.webhook_secret, agent_id)
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
                    response = None
            if response is None or not response.is_success:
                self.mail.put_back(agent_id, mail)  # waits for the agent's next webhook
                return False, 0
            self.mail.settle(agent_id, closed.tick)
            return True, await self.replies.handle(agent_id, closed.tick, response)

        results = await asyncio.gather(*(one(t) for t in targets))
        delivered = sum(ok for ok, _ in results)
        actions = sum(n for _, n in results)
        return self._report(
            closed, first_tick, began, targets=len(targets), delivered=delivered, actions=actions
        )

    def _report(
        self,
        closed: ev.TickClosed,
        first_tick: int,
        began: float,
        *,
        targets: int = 0,
        delivered: int = 0,
        actions: int = 0,
    ) -> FanoutReport:
        report = FanoutReport(
            closed.tick,
            first_tick,
            self._newest_tick,
            targets,
            delivered,
            targets - delivered,
            actions,
            time.perf_counter() - began,
        )
        self.deps.metrics.observe_webhooks(delivered, targets - delivered)
        log.debug("webhooks: %s", report)
        return report
