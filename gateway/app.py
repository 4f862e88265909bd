"""The Starlette application: HTTP API v1, the SSE stream, the onboarding documents.

``create_app(deps)`` wires everything from one ``GatewayDeps``. Reads come from the
projections; writes are commands appended to the season's log (``gateway.actions``).
Errors are mapped to JSON in one place (``gateway.errors.exception_handlers``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway import agent_input, agentdocs, readmodel
from gateway.actions import ActionService
from gateway.auth import Authenticator
from gateway.deps import GatewayDeps
from gateway.errors import (
    Forbidden,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    Unauthorized,
    Unprocessable,
    exception_handlers,
)
from gateway.freshreads import live_agent, live_portfolio, recall_older
from gateway.limits import MinuteLimits, RateLimiter, TickClock
from gateway.metrics_http import RequestMetrics, metrics_endpoint
from gateway.models import (
    ActionsAccepted,
    ActionStatus,
    AgentList,
    AgentPublic,
    AllianceList,
    Bar,
    FailingTask,
    History,
    InvestigationList,
    LeaderboardOut,
    MessageList,
    MostWanted,
    NewsList,
    NotReady,
    PortfolioOut,
    PrisonList,
    Ready,
    RegisterRequest,
    SeasonList,
    SeasonOut,
    StockList,
    VerifyRequest,
    VerifyResponse,
    WorldTick,
)
from gateway.openapi import build_openapi
from gateway.outcomes import OutcomeIndex
from gateway.registration import Registrar
from gateway.tickbudget import TickBudget
from projections.relational import legal_queries, queries
from projections.relational.legal_queries import CASE_STATUSES
from schemas import limits
from wss.seasonlog import list_seasons

__all__ = ["Gateway", "create_app"]

_SYMBOL = re.compile(limits.SYMBOL_PATTERN)
_AGENT = re.compile(limits.AGENT_ID_PATTERN)
_COMMAND = re.compile(limits.COMMAND_ID_PATTERN)
REFUSALS_KEPT = 100_000

log = logging.getLogger(__name__)


def model_response(model: BaseModel, status: int = 200) -> Response:
    return Response(model.model_dump_json(), status_code=status, media_type="application/json")


# --- request helpers ------------------------------------------------------------------------


def _bad_query(name: str, msg: str) -> Unprocessable:
    return Unprocessable(
        f"query.{name}: {msg}", fields=[{"loc": f"query.{name}", "msg": msg, "type": "query_param"}]
    )


_INTEGER = re.compile(r"^-?[0-9]{1,20}$")


def query_value(request: Request, name: str) -> str | None:
    """A query parameter as sent; None when absent. An empty value is refused (the schema
    says what type it has, and "" is none of them)."""
    raw = request.query_params.get(name)
    if raw == "":
        raise _bad_query(name, "must not be empty")
    return raw


def int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = query_value(request, name)
    if raw is None:
        return default
    if not _INTEGER.match(raw):
        raise _bad_query(name, "must be an integer")
    value = int(raw)
    if not lo <= value <= hi:
        raise _bad_query(name, f"must be between {lo} and {hi}")
    return value


def bool_param(request: Request, name: str, default: bool) -> bool:
    raw = query_value(request, name)
    if raw is None:
        return default
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise _bad_query(name, "must be true or false")


def choice_param(request: Request, name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = query_value(request, name)
    if raw is None:
        return default
    if raw not in choices:
        raise _bad_query(name, f"must be one of {', '.join(choices)}")
    return raw


def symbol_param(request: Request, name: str = "symbol") -> str:
    symbol = str(request.path_params[name])
    if not _SYMBOL.match(symbol):
        raise NotFound(f"no listed company {symbol!r}", code="unknown_symbol")
    return symbol


async def read_json(request: Request, limit: int) -> Any:
    """The request's JSON body: 413 past ``limit`` bytes (checked while reading), 400 if
    it is not JSON or nests too deep."""
    length = request.headers.get("content-length")
    if length is not None and length.isascii() and length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"request bodies are limited to {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request bodies are limited to {limit} bytes")
        chunks.append(chunk)
    return agent_input.loads(b"".join(chunks))


# --- the application ------------------------------------------------------------------------


class Gateway:
    """The services behind the routes (one per app)."""

    def __init__(self, deps: GatewayDeps) -> None:
        s = deps.settings
        self.deps = deps
        self.live = deps.live
        self.auth = Authenticator(
            deps.db, deps.season, deps.live.key_hashes if deps.live is not None else None
        )
        self.clock = TickClock(deps.db, deps.season, s.tick_cache_seconds)
        self.limiter = RateLimiter(
            TickBudget(s.actions_per_tick, deps.log),
            MinuteLimits(s.orders_per_minute, s.messages_per_minute),
            self.clock,
        )
        self.actions = ActionService(deps, self.limiter)
        self.registrar = Registrar(deps, self.auth)
        # Outcomes the gateway gave itself: webhook-reply actions it refused (never logged).
        self.refusals = OutcomeIndex(REFUSALS_KEPT)
        self._openapi: dict[str, Any] | None = None

    @property
    def db(self) -> Any:
        return self.deps.db

    @property
    def season(self) -> str:
        return self.deps.season

    # -- auth --------------------------------------------------------------------------------

    async def register(self, request: Request) -> Response:
        limit = self.deps.settings.max_body_bytes
        body = agent_input.validate_body(RegisterRequest, await read_json(request, limit))
        client = request.client.host if request.client is not None else "unknown"
        key = request.headers.get("idempotency-key")
        out = await self.registrar.register(body, client, key)
        log.info(
            "agent registered: %s as %s", out.agent_id, out.role, extra={"agent": out.agent_id}
        )
        return model_response(out, 201 if out.projected else 202)

    async def _await_agent(self, agent_id: str) -> None:
        """An agent whose registration is on the log but not yet cut: its reads wait for
        the tick that admits it (bounded), instead of answering 404 meanwhile."""
        live = self.live
        if live is None or agent_id in live.world.accounts:
            return
        if live.is_pending(agent_id, f"register-{agent_id}") or await live.scan_sent(
            agent_id, f"register-{agent_id}"
        ):
            wait = self.deps.settings.read_wait_seconds
            await live.wait_until(lambda: agent_id in live.world.accounts, wait)

    async def verify(self, request: Request) -> Response:
        limit = self.deps.settings.max_body_bytes
        body = agent_input.validate_body(VerifyRequest, await read_json(request, limit))
        agent_id = await self.auth.agent_for_key(body.api_key)
        if agent_id is None:
            raise Unauthorized("invalid API key")
        return model_response(VerifyResponse(agent_id=agent_id))

    # -- agents ------------------------------------------------------------------------------

    async def agents(self, request: Request) -> Response:
        limit = int_param(request, "limit", 100, 1, 500)
        offset = int_param(request, "offset", 0, 0, 10**9)
        builtin = bool_param(request, "builtin", True)
        views = await queries.list_agents(
            self.db, self.season, include_builtin=builtin, limit=limit, offset=offset
        )
        return model_response(AgentList(agents=[_public(v) for v in views]))

    async def agent(self, request: Request) -> Response:
        agent_id = self._agent_path(request)
        if self.live is not None and self.live.ready:
            await self._await_agent(agent_id)
            await recall_older(self.live, self.db, self.season, agent_id)
            if (public := live_agent(self.live, agent_id)) is not None:
                return model_response(public)
        view = await queries.get_agent(self.db, self.season, agent_id)
        if view is None:
            raise NotFound(f"no agent {agent_id}", code="unknown_agent")
        return model_response(_public(view))

    async def portfolio(self, request: Request) -> Response:
        agent_id = self._agent_path(request)
        caller = await self.auth.optional(request)
        if self.live is not None and self.live.ready:
            await self._await_agent(agent_id)
            await recall_older(self.live, self.db, self.season, agent_id)
            fresh = live_portfolio(self.live, agent_id, private=caller == agent_id)
            if fresh is not None:
                return model_response(fresh)
        return model_response(await self._projected_portfolio(agent_id, caller == agent_id))

    async def _projected_portfolio(self, agent_id: str, private: bool) -> PortfolioOut:
        """The portfolio from the relational read model (no live world in this process)."""
        p = await queries.portfolio(self.db, self.season, agent_id)
        if p is None:
            raise NotFound(f"no agent {agent_id}", code="unknown_agent")
        out = PortfolioOut(
            agent_id=agent_id,
            private=False,
            net_worth=p.net_worth,
            holdings_value=p.holdings_value,
            return_bps=p.return_bps,
            as_of_seq=await queries.projection_position(self.db, self.season),
        )
        if private:
            orders = await queries.open_orders(self.db, self.season, agent_id)
            out = out.model_copy(
                update={
                    "private": True,
                    "cash": p.cash,
                    "holdings": p.holdings,
                    "open_orders": orders,
                }
            )
        return out

    async def leaderboard(self, request: Request) -> Response:
        builtin = bool_param(request, "builtin", False)
        limit = int_param(request, "limit", 50, 1, 500)
        entries = await queries.leaderboard(self.db, self.season, builtin=builtin, limit=limit)
        return model_response(LeaderboardOut(entries=entries))

    async def messages(self, request: Request) -> Response:
        """The messages delivered to the caller: its own key only (403 for another's)."""
        agent_id = self._agent_path(request)
        caller = await self.auth.required(request)
        if caller != agent_id:
            raise Forbidden("messages are private to the agent they were sent to")
        since = query_value(request, "since_tick")
        since_tick = int_param(request, "since_tick", 0, 0, 2**32 - 1) if since else None
        limit = int_param(request, "limit", 50, 1, 500)
        rows = await queries.messages(
            self.db, self.season, agent_id, since_tick=since_tick, limit=limit
        )
        return model_response(MessageList(messages=rows))

    async def alliances(self, request: Request) -> Response:
        member = query_value(request, "agent_id")
        if member is not None and not _AGENT.match(member):
            raise _bad_query("agent_id", "an agent id")
        dissolved = bool_param(request, "include_dissolved", False)
        limit = int_param(request, "limit", 100, 1, 500)
        rows = await queries.alliances(
            self.db, self.season, agent_id=member, include_dissolved=dissolved, limit=limit
        )
        return model_response(AllianceList(alliances=rows))

    # -- the legal system (rules v2): public record -------------------------------------------

    async def investigations(self, request: Request) -> Response:
        status = query_value(request, "status")
        if status is not None and status not in CASE_STATUSES:
            raise _bad_query("status", f"one of {', '.join(CASE_STATUSES)}")
        agent_id = query_value(request, "agent_id")
        if agent_id is not None and not _AGENT.match(agent_id):
            raise _bad_query("agent_id", "an agent id")
        limit = int_param(request, "limit", 100, 1, 500)
        rows = await legal_queries.investigations(
            self.db, self.season, status=status, agent_id=agent_id, limit=limit
        )
        return model_response(InvestigationList(investigations=rows))

    async def investigation(self, request: Request) -> Response:
        raw = str(request.path_params["case_id"])
        case_id = int(raw) if raw.isdigit() and len(raw) <= 18 else 0
        found = None
        if case_id >= 1:
            found = await legal_queries.investigation(self.db, self.season, case_id)
        if found is None:
            raise NotFound(f"no investigation {raw!r}", code="unknown_case")
        return model_response(found)

    async def prison(self, _request: Request) -> Response:
        prisoners = await legal_queries.prison(self.db, self.season)
        return model_response(PrisonList(prisoners=prisoners))

    async def most_wanted(self, request: Request) -> Response:
        limit = int_param(request, "limit", 20, 1, 500)
        rows = await legal_queries.most_wanted(self.db, self.season, limit=limit)
        return model_response(MostWanted(wanted=rows))

    def _agent_path(self, request: Request) -> str:
        agent_id = str(request.path_params["agent_id"])
        if not _AGENT.match(agent_id):
            raise NotFound(f"no agent {agent_id!r}", code="unknown_agent")
        return agent_id

    # -- market ------------------------------------------------------------------------------

    async def stocks(self, _request: Request) -> Response:
        return model_response(StockList(stocks=await queries.list_stocks(self.db, self.season)))

    async def stock(self, request: Request) -> Response:
        symbol = symbol_param(request)
        detail = await queries.stock_detail(self.db, self.season, symbol)
        if detail is None:
            raise NotFound(f"no listed company {symbol}", code="unknown_symbol")
        return model_response(detail)

    async def orderbook(self, request: Request) -> Response:
        symbol = symbol_param(request)
        depth = int_param(request, "depth", 10, 1, 100)
        if await queries.stock_detail(self.db, self.season, symbol) is None:
            raise NotFound(f"no listed company {symbol}", code="unknown_symbol")
        return model_response(await readmodel.order_book(self.db, self.season, symbol, depth))

    async def history(self, request: Request) -> Response:
        symbol = symbol_param(request)
        interval: Any = choice_param(request, "interval", "1m", ("1m", "1h", "1d"))
        lo = int_param(request, "from_tick", 0, 0, 2**32 - 1)
        hi = int_param(request, "to_tick", 2**32 - 1, 0, 2**32 - 1)
        limit = int_param(request, "limit", 500, 1, 5000)
        if await queries.stock_detail(self.db, self.season, symbol) is None:
            raise NotFound(f"no listed company {symbol}", code="unknown_symbol")
        analytics = self.deps.analytics
        if analytics is not None:
            from projections.analytics.queries import ohlcv  # noqa: PLC0415 - optional part

            rows = await asyncio.to_thread(
                ohlcv,
                analytics,
                self.season,
                symbol,
                interval,
                from_tick=lo,
                to_tick=hi,
                limit=limit,
            )
            bars = [Bar(**{f: getattr(r, f) for f in Bar.model_fields}) for r in rows]
            return model_response(
                History(symbol=symbol, interval=interval, source="analytics", bars=bars)
            )
        bars = await readmodel.bars_from_trades(
            self.db, self.season, symbol, interval, from_tick=lo, to_tick=hi, limit=limit
        )
        return model_response(
            History(symbol=symbol, interval=interval, source="relational", bars=bars)
        )

    # -- actions -----------------------------------------------------------------------------

    async def act(self, request: Request) -> Response:
        agent_id = await self.auth.required(request)
        body = await read_json(request, self.deps.settings.max_body_bytes)
        key = request.headers.get("idempotency-key")
        if isinstance(body, list):
            items, batch = body, True
        elif isinstance(body, dict) and "actions" in body and "type" not in body:
            extra = sorted(set(body) - {"actions"})
            if extra or not isinstance(body["actions"], list):
                raise Unprocessable(
                    'a batch is {"actions": [...]}',
                    fields=[
                        {
                            "loc": "actions",
                            "msg": "a list of actions, nothing else",
                            "type": "batch",
                        }
                    ],
                )
            items, batch = body["actions"], True
        elif isinstance(body, dict):
            items, batch = [body], False
        else:
            raise Unprocessable(
                'an action object, a list of them, or {"actions": [...]}',
                fields=[
                    {"loc": "body", "msg": "must be an object or an array", "type": "type_error"}
                ],
            )
        accepted = await self.actions.act(agent_id, items, key, batch=batch)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("actions accepted: %s", ", ".join(a.command_id for a in accepted))
        return model_response(ActionsAccepted(agent_id=agent_id, actions=accepted), 202)

    async def action_status(self, request: Request) -> Response:
        agent_id = await self.auth.required(request)
        command_id = str(request.path_params["command_id"])
        if not _COMMAND.match(command_id):
            raise NotFound(f"no command {command_id!r}", code="unknown_command")
        outcome, pending = await self._outcome(agent_id, command_id)
        if outcome is None and (not pending or self.live is None):
            # Not on the log (a pending resend of it would win): a refused webhook reply's?
            outcome = self.refusals.get(agent_id, command_id)
        if outcome is None and not pending:
            raise NotFound(f"no command {command_id!r} was sent by you", code="unknown_action")
        status: Any = "pending" if outcome is None else outcome.status
        if status not in ("pending", "accepted", "rejected"):
            status = "accepted"
        live = self.live
        return model_response(
            ActionStatus(
                command_id=command_id,
                status=status,
                outcome=outcome,
                as_of_tick=live.tick if live is not None else None,
                as_of_seq=live.seq if live is not None else None,
            )
        )

    async def _outcome(
        self, agent_id: str, command_id: str
    ) -> tuple[queries.ActionOutcome | None, bool]:
        """(outcome, sent): the live index first, then the relational model, then the
        command stream's uncut tail; without a live world every id counts as sent."""
        live = self.live
        if live is not None and (found := live.outcome(agent_id, command_id)) is not None:
            return found, True
        if live is not None and live.is_pending(agent_id, command_id):
            return None, True
        outcome = await queries.action_outcome(self.db, self.season, agent_id, command_id)
        if outcome is not None or live is None:
            return outcome, True
        if await live.scan_sent(agent_id, command_id):
            return None, True
        if (found := live.outcome(agent_id, command_id)) is not None:
            return found, True  # cut while the tail was read
        # Older than the live index and not yet in the relational model: can't tell yet.
        behind = await queries.projection_position(self.db, self.season) < live.outcomes.horizon
        return None, behind or not live.ready

    # -- world -------------------------------------------------------------------------------

    async def news(self, request: Request) -> Response:
        raw_symbol = query_value(request, "symbol")
        if raw_symbol is not None and not _SYMBOL.match(raw_symbol):
            raise _bad_query("symbol", "a ticker: 1-5 capital letters")
        since = query_value(request, "since_tick")
        since_tick = int_param(request, "since_tick", 0, 0, 2**32 - 1) if since else None
        limit = int_param(request, "limit", 50, 1, 500)
        items = await queries.news(
            self.db, self.season, symbol=raw_symbol, since_tick=since_tick, limit=limit
        )
        return model_response(NewsList(news=items))

    async def _world(self) -> queries.WorldStatus:
        status = await queries.world_status(self.db, self.season)
        if status is None:
            raise NotFound("the season has not started yet", code="not_ready")
        return status

    async def world_status(self, _request: Request) -> Response:
        return model_response(await self._world())

    async def world_tick(self, _request: Request) -> Response:
        live = self.live
        if live is not None and live.ready and live.world.started:
            self.clock.observe(live.tick)
            return model_response(
                WorldTick(
                    tick=live.tick,
                    sim_time=live.sim_time,
                    market_open=live.world.market_open,
                    as_of_seq=live.seq,
                )
            )
        w = await self._world()
        self.clock.observe(w.tick)
        return model_response(
            WorldTick(tick=w.tick, sim_time=w.sim_time, market_open=w.market_open)
        )

    async def ready(self, _request: Request) -> Response:
        failures = list(self.deps.health.failures.values())
        if not failures:
            return model_response(Ready())
        failing = [
            FailingTask(name=f.name, seq=f.seq, error=f.error, since=f.since, attempts=f.attempts)
            for f in failures
        ]
        detail = "; ".join(f.line() for f in failures)
        return model_response(NotReady(detail=detail, failing=failing), 503)

    async def health(self, _request: Request) -> Response:
        """Liveness: the process answers (``/ready`` says whether the read side keeps up)."""
        return JSONResponse({"status": "ok"})

    async def seasons(self, _request: Request) -> Response:
        with self.deps.outage.guard(self.deps.log.nc):
            infos = await list_seasons(self.deps.log.nc)
        return model_response(
            SeasonList(
                seasons=[
                    SeasonOut(
                        season=i.season,
                        seed=i.seed,
                        status=i.status,
                        created=i.created,
                        tick=i.tick,
                        state_hash=i.state_hash,
                        current=i.season == self.season,
                    )
                    for i in infos
                ]
            )
        )

    # -- stream, documents -------------------------------------------------------------------

    async def authorize_channel(self, request: Request, agent_id: str) -> bool:
        try:
            caller = await self.auth.optional(request, key_in_url=True)
        except Unauthorized:
            return False
        return caller == agent_id

    def stream_endpoint(self) -> Callable[[Request], Awaitable[Response]]:
        hub = self.deps.hub
        if hub is None:

            async def unavailable(_request: Request) -> Response:
                raise ServiceUnavailable("the live stream is not running", code="no_stream")

            return unavailable
        from projections.sse_hub import sse_endpoint  # noqa: PLC0415

        return sse_endpoint(hub, self.authorize_channel)

    async def openapi(self, request: Request) -> Response:
        if self._openapi is None:
            self._openapi = build_openapi()
        servers = [{"url": agentdocs.base_url(request, self.deps.settings.public_url)}]
        return JSONResponse({**self._openapi, "servers": servers})

    def document(self, name: str, media_type: str) -> Callable[[Request], Awaitable[Response]]:
        """A served document, written for the base URL the agent reached us at."""

        async def endpoint(request: Request) -> Response:
            path: Path = self.deps.settings.docs_dir / name
            if not await asyncio.to_thread(path.is_file):
                raise NotFound(f"{name} is not installed")
            base = agentdocs.base_url(request, self.deps.settings.public_url)
            text = await asyncio.to_thread(agentdocs.render, path, base)
            return Response(text, media_type=media_type)

        return endpoint

    async def index(self, _request: Request) -> Response:
        return JSONResponse(
            {
                "name": "WallStreetSim gateway",
                "season": self.season,
                "start_here": "/skill.md",
                "openapi": "/openapi.json",
            }
        )


def _public(view: queries.AgentView) -> AgentPublic:
    return AgentPublic(
        agent_id=view.agent_id,
        name=view.name,
        role=view.role,
        status=view.status,
        builtin=view.builtin,
        strategy=view.strategy,
        registered_tick=view.registered_tick,
        reputation=view.reputation,
    )


def _wire_metrics(deps: GatewayDeps) -> None:
    """What ``/metrics`` reads at scrape time: the world folded here, the hub, the log."""
    metrics, live, hub = deps.metrics, deps.live, deps.hub
    if live is not None:
        metrics.world_source = live  # fresher than the engine's for this process's readers
        metrics.head_seq = lambda: live.received_seq
    if hub is not None:
        metrics.sse_connections = lambda: len(hub.subscribers)
    metrics.health = deps.health


def create_app(deps: GatewayDeps) -> Starlette:
    gw = Gateway(deps)
    v1 = "/api/v1"
    routes = [
        Route("/", gw.index),
        Route("/openapi.json", gw.openapi),
        *(
            Route(f"/{name}", gw.document(name, "text/markdown; charset=utf-8"))
            for name in agentdocs.DOCS
        ),
        *(
            Route(f"/schemas/{name}", gw.document(f"schemas/{name}", "application/json"))
            for name in agentdocs.SCHEMAS
        ),
        Route(f"{v1}/auth/register", gw.register, methods=["POST"]),
        Route(f"{v1}/auth/verify", gw.verify, methods=["POST"]),
        Route(f"{v1}/agents", gw.agents),
        Route(f"{v1}/agents/{{agent_id}}", gw.agent),
        Route(f"{v1}/agents/{{agent_id}}/portfolio", gw.portfolio),
        Route(f"{v1}/agents/{{agent_id}}/messages", gw.messages),
        Route(f"{v1}/alliances", gw.alliances),
        Route(f"{v1}/leaderboard", gw.leaderboard),
        Route(f"{v1}/legal/investigations", gw.investigations),
        Route(f"{v1}/legal/investigations/{{case_id}}", gw.investigation),
        Route(f"{v1}/legal/prison", gw.prison),
        Route(f"{v1}/legal/most-wanted", gw.most_wanted),
        Route(f"{v1}/market/stocks", gw.stocks),
        Route(f"{v1}/market/stocks/{{symbol}}", gw.stock),
        Route(f"{v1}/market/orderbook/{{symbol}}", gw.orderbook),
        Route(f"{v1}/market/history/{{symbol}}", gw.history),
        Route(f"{v1}/actions", gw.act, methods=["POST"]),
        Route(f"{v1}/actions/{{command_id}}", gw.action_status),
        Route(f"{v1}/news", gw.news),
        Route(f"{v1}/world/status", gw.world_status),
        Route(f"{v1}/world/tick", gw.world_tick),
        Route(f"{v1}/seasons", gw.seasons),
        Route("/ready", gw.ready),
        Route("/health", gw.health),
        Route("/metrics", metrics_endpoint(deps.metrics)),
        Route(f"{v1}/stream", gw.stream_endpoint()),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app_: Starlette) -> AsyncIterator[None]:
        dispatcher = None
        if deps.settings.webhooks_enabled:
            from gateway.webhooks import WebhookDispatcher  # noqa: PLC0415

            dispatcher = WebhookDispatcher(deps, gw.actions, gw.clock, gw.refusals)
            await dispatcher.start()
        app_.state.webhooks = dispatcher
        try:
            yield
        finally:
            if dispatcher is not None:
                await dispatcher.stop()

    _wire_metrics(deps)
    app = Starlette(
        routes=routes,
        exception_handlers=exception_handlers(),
        lifespan=lifespan,
        middleware=[Middleware(RequestMetrics, metrics=deps.metrics, routes=routes)],
    )
    app.state.gateway = gw
    return app
