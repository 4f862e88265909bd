"""Fold handlers for the season, agents, command outcomes and the world clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from projections.relational.batch import BatchState, Row, usd
from projections.visibility import public_strategy
from schemas.enums import AgentStatus
from schemas.events import (
    AgentBankrupted,
    AgentRegistered,
    AgentStatusChanged,
    ArticlePublished,
    MarginCalled,
    MarginCallMet,
    NewsPublished,
    RegimeChanged,
    SeasonEnded,
    SeasonStarted,
    TickClosed,
)

__all__ = ["SEASON_HANDLERS"]


def _season_started(st: BatchState, seq: int, ev: SeasonStarted) -> None:
    s = st.season_id
    st.world = {
        "season_id": s,
        "seed": ev.seed,
        "config": ev.config.model_dump_json(),
        "start_time": ev.start_time,
        "sim_time": ev.start_time,
        "tick": ev.tick,
        "day": 0,
        "regime": ev.config.regime.value,
        "market_open": False,
        "status": "running",
        "ended_reason": None,
        "last_state_hash": None,
        "rules_version": ev.rules_version,
    }
    st.dirty_world = True
    for c in ev.companies:
        st.companies[c.symbol] = {
            "season_id": s,
            "symbol": c.symbol,
            "name": c.name,
            "sector": c.sector.value,
            "shares_outstanding": c.shares_outstanding,
            "revenue": c.revenue,
            "profit": c.profit,
            "company_cash": c.cash,
            "debt": c.debt,
            "volatility_bps": c.volatility_bps,
            "beta_pct": c.beta_pct,
            "eps": None,
            "quarter": None,
            "initial_price": c.initial_price,
            "last_price": c.initial_price,
            "fair_value": c.initial_price,
            "prev_close": c.initial_price,
            "day_open": None,
            "day_high": None,
            "day_low": None,
            "volume": 0,
            "total_volume": 0,
            "updated_tick": ev.tick,
        }
        st.dirty_companies[c.symbol] = None
    prices = {c.symbol: c.initial_price for c in ev.companies}
    for b in ev.builtin_agents:
        worth = b.cash + sum(q * prices.get(sym, 0) for sym, q in b.holdings.items())
        st.agents[b.agent_id] = _agent_row(
            s,
            ev.tick,
            agent_id=b.agent_id,
            name=b.name,
            role=b.role.value,
            cash=b.cash,
            worth=worth,
            builtin=True,
            strategy=public_strategy(b.strategy),
        )
        st.dirty_agents[b.agent_id] = None
        for sym, q in b.holdings.items():
            st.holding(b.agent_id, sym)["quantity"] = q
    st.headline(
        seq,
        ev,
        "season",
        f"Season opens: {len(ev.companies)} companies listed",
        f"{len(ev.builtin_agents)} built-in traders make the market.",
    )


def _agent_row(
    season: str,
    tick: int,
    *,
    agent_id: str,
    name: str,
    role: str,
    cash: int,
    worth: int,
    builtin: bool,
    strategy: str | None = None,
    max_leverage: int | None = None,
    callback_url: str | None = None,
    api_key_hash: str | None = None,
) -> Row:
    return {
        "season_id": season,
        "agent_id": agent_id,
        "name": name,
        "role": role,
        "status": AgentStatus.ACTIVE.value,
        "cash": cash,
        "starting_cash": cash,
        "starting_net_worth": worth,
        "max_leverage": max_leverage,
        "callback_url": callback_url,
        "api_key_hash": api_key_hash,
        "registered_tick": tick,
        "builtin": builtin,
        "strategy": strategy,
        "margin_call_deadline": None,
        "updated_tick": tick,
        "reputation": 50,  # every agent starts at 50 (domain/rules/reputation.py)
    }


def _season_ended(st: BatchState, seq: int, ev: SeasonEnded) -> None:
    if (w := st.touch_world()) is not None:
        w.update(status="ended", ended_reason=ev.reason, market_open=False)
    st.headline(seq, ev, "season", "Season ends", ev.reason)


def _agent_registered(st: BatchState, _seq: int, ev: AgentRegistered) -> None:
    st.agents[ev.agent_id] = _agent_row(
        st.season_id,
        ev.tick,
        agent_id=ev.agent_id,
        name=ev.name,
        role=ev.role.value,
        cash=ev.cash,
        worth=ev.cash,
        builtin=False,
        max_leverage=ev.max_leverage,
        callback_url=ev.callback_url,
        api_key_hash=ev.api_key_hash,
    )
    st.dirty_agents[ev.agent_id] = None


def _margin_called(st: BatchState, _seq: int, ev: MarginCalled) -> None:
    if (a := st.agent(ev.agent_id, ev.tick)) is not None:
        a["margin_call_deadline"] = ev.deadline_tick


def _margin_call_met(st: BatchState, _seq: int, ev: MarginCallMet) -> None:
    if (a := st.agent(ev.agent_id, ev.tick)) is not None:
        a["margin_call_deadline"] = None


def _agent_bankrupted(st: BatchState, seq: int, ev: AgentBankrupted) -> None:
    name = ev.agent_id
    if (a := st.agent(ev.agent_id, ev.tick)) is not None:
        a.update(status=AgentStatus.BANKRUPT.value, margin_call_deadline=None)
        name = a["name"]
    st.headline(
        seq,
        ev,
        "bankruptcy",
        f"{name} goes bankrupt",
        f"Net worth at failure: {usd(ev.net_worth)}.",
        agent_id=ev.agent_id,
    )


def _agent_status_changed(st: BatchState, seq: int, ev: AgentStatusChanged) -> None:
    name = ev.agent_id
    if (a := st.agent(ev.agent_id, ev.tick)) is not None:
        a["status"] = ev.status.value
        name = a["name"]
    if ev.status is not AgentStatus.ACTIVE:
        st.headline(
            seq, ev, "agent", f"{name} is now {ev.status.value}", ev.reason, agent_id=ev.agent_id
        )


def _regime_changed(st: BatchState, seq: int, ev: RegimeChanged) -> None:
    if (w := st.touch_world()) is not None:
        w["regime"] = ev.regime.value
    st.headline(seq, ev, "regime", f"Market regime turns {ev.regime.value}")


def _tick_closed(st: BatchState, _seq: int, ev: TickClosed) -> None:
    if (w := st.touch_world()) is not None:
        w.update(tick=ev.tick, sim_time=ev.sim_time, last_state_hash=ev.state_hash)


def _news_published(st: BatchState, seq: int, ev: NewsPublished) -> None:
    st.story(seq, ev)


def _article_published(st: BatchState, _seq: int, ev: ArticlePublished) -> None:
    st.article(ev)


SEASON_HANDLERS: dict[type[Any], Callable[[BatchState, int, Any], None]] = {
    SeasonStarted: _season_started,
    NewsPublished: _news_published,
    ArticlePublished: _article_published,
    SeasonEnded: _season_ended,
    AgentRegistered: _agent_registered,
    MarginCalled: _margin_called,
    MarginCallMet: _margin_call_met,
    AgentBankrupted: _agent_bankrupted,
    AgentStatusChanged: _agent_status_changed,
    RegimeChanged: _regime_changed,
    TickClosed: _tick_closed,
}
