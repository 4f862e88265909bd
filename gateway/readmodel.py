"""Reads the gateway needs that ``projections.relational.queries`` does not offer (yet).

Small adapters over the relational tables; each is listed as a gap in the gateway's
report so the projection can take them over: order owner, book depth, bars from trades,
agent by name, bulk portfolios for the webhook fan-out, and what the live world does not
hold for agents and orders older than its snapshot.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.models import Bar, BookLevel, OrderBook, PortfolioOut
from projections.relational.queries import HoldingView, OrderView
from projections.relational.tables import AGENTS, COMPANIES, HOLDINGS, ORDERS, TRADES, WORLD

__all__ = [
    "AgentFacts",
    "CallbackAgent",
    "agent_by_name",
    "agent_facts",
    "bars_from_trades",
    "callback_agents",
    "order_book",
    "order_owner",
    "portfolios",
    "ticks_per_day",
]


async def order_owner(db: AsyncEngine, season: str, order_id: int) -> str | None:
    stmt = select(ORDERS.c.agent_id).where(
        ORDERS.c.season_id == season, ORDERS.c.order_id == order_id
    )
    async with db.connect() as conn:
        value = (await conn.execute(stmt)).scalar_one_or_none()
    return str(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class AgentFacts:
    """An agent's facts the domain's world does not keep (the live world recalls them)."""

    registered_tick: int
    starting_net_worth: int
    orders: dict[int, OrderView]  # of the order ids asked for, those the model has


async def agent_facts(
    db: AsyncEngine, season: str, agent_id: str, order_ids: list[int]
) -> AgentFacts | None:
    """None while the read model has not yet folded the agent's registration."""
    async with db.connect() as conn:
        agent = (
            await conn.execute(
                select(AGENTS.c.registered_tick, AGENTS.c.starting_net_worth).where(
                    AGENTS.c.season_id == season, AGENTS.c.agent_id == agent_id
                )
            )
        ).first()
        if agent is None:
            return None
        rows = (
            (
                await conn.execute(
                    select(ORDERS).where(
                        ORDERS.c.season_id == season, ORDERS.c.order_id.in_(order_ids)
                    )
                )
            ).all()
            if order_ids
            else []
        )
    orders = {row.order_id: OrderView.model_validate(row._mapping) for row in rows}
    return AgentFacts(int(agent.registered_tick), int(agent.starting_net_worth), orders)


async def agent_by_name(db: AsyncEngine, season: str, name: str) -> str | None:
    stmt = select(AGENTS.c.agent_id).where(AGENTS.c.season_id == season, AGENTS.c.name == name)
    async with db.connect() as conn:
        value = (await conn.execute(stmt.limit(1))).scalar_one_or_none()
    return str(value) if value is not None else None


async def order_book(db: AsyncEngine, season: str, symbol: str, depth: int) -> OrderBook:
    """Resting LIMIT orders aggregated by price (untriggered STOPs are not in the book)."""
    stmt = (
        select(
            ORDERS.c.side,
            ORDERS.c.price,
            func.sum(ORDERS.c.remaining).label("quantity"),
            func.count().label("orders"),
        )
        .where(
            ORDERS.c.season_id == season,
            ORDERS.c.symbol == symbol,
            ORDERS.c.status == "open",
            ORDERS.c.order_type == "LIMIT",
            ORDERS.c.remaining > 0,
        )
        .group_by(ORDERS.c.side, ORDERS.c.price)
    )
    async with db.connect() as conn:
        rows = (await conn.execute(stmt)).all()
    bids = sorted((r for r in rows if r.side == "BUY"), key=lambda r: -int(r.price))
    asks = sorted((r for r in rows if r.side == "SELL"), key=lambda r: int(r.price))

    def levels(rs: list[Any]) -> list[BookLevel]:
        return [
            BookLevel(price=int(r.price), quantity=int(r.quantity), orders=int(r.orders))
            for r in rs[:depth]
        ]

    return OrderBook(symbol=symbol, bids=levels(bids), asks=levels(asks))


async def ticks_per_day(db: AsyncEngine, season: str) -> tuple[int, int]:
    """(open ticks per day, ticks per day) from the season's config; defaults if unknown."""
    async with db.connect() as conn:
        raw = (
            await conn.execute(select(WORLD.c.config).where(WORLD.c.season_id == season))
        ).scalar_one_or_none()
    config = json.loads(raw) if raw else {}
    open_ticks = int(config.get("open_ticks_per_day", 390))
    return open_ticks, open_ticks + int(config.get("after_hours_ticks", 240))


async def bars_from_trades(
    db: AsyncEngine,
    season: str,
    symbol: str,
    interval: str,
    *,
    from_tick: int,
    to_tick: int,
    limit: int,
) -> list[Bar]:
    """OHLCV folded from the trades table (used when no analytics projection runs)."""
    stmt = (
        select(TRADES.c.tick, TRADES.c.price, TRADES.c.quantity)
        .where(
            TRADES.c.season_id == season,
            TRADES.c.symbol == symbol,
            TRADES.c.tick >= from_tick,
            TRADES.c.tick <= to_tick,
        )
        .order_by(TRADES.c.trade_id)
    )
    async with db.connect() as conn:
        trades = (await conn.execute(stmt)).all()
    _, per_day = await ticks_per_day(db, season) if interval != "1m" else (0, 1)

    def bucket(tick: int) -> tuple[int, int]:
        if interval == "1m":
            return (tick, 0)
        day, minute = divmod(max(tick - 1, 0), per_day)
        return (day, minute // 60) if interval == "1h" else (day, 0)

    bars: dict[tuple[int, int], dict[str, int]] = {}
    for tick, price, qty in trades:
        key = bucket(int(tick))
        b = bars.get(key)
        if b is None:
            bars[key] = {
                "tick": tick,
                "end_tick": tick,
                "open": price,
                "high": price,
                "low": price,
                "close": price,
                "volume": qty,
                "notional": price * qty,
                "trades": 1,
            }
            continue
        b["end_tick"] = max(b["end_tick"], tick)
        b["high"], b["low"], b["close"] = max(b["high"], price), min(b["low"], price), price
        b["volume"] += qty
        b["notional"] += price * qty
        b["trades"] += 1
    out = [Bar(**b) for _, b in sorted(bars.items())]
    return out[-limit:]


@dataclass(frozen=True, slots=True)
class CallbackAgent:
    agent_id: str
    callback_url: str


async def callback_agents(db: AsyncEngine, season: str) -> list[CallbackAgent]:
    """Active, registered (not built-in) agents with a callback URL."""
    stmt = (
        select(AGENTS.c.agent_id, AGENTS.c.callback_url)
        .where(
            AGENTS.c.season_id == season,
            AGENTS.c.builtin.is_(False),
            AGENTS.c.callback_url.is_not(None),
            AGENTS.c.status == "active",
        )
        .order_by(AGENTS.c.agent_id)
    )
    async with db.connect() as conn:
        return [CallbackAgent(str(a), str(u)) for a, u in (await conn.execute(stmt)).all()]


async def portfolios(db: AsyncEngine, season: str, agent_ids: list[str]) -> dict[str, PortfolioOut]:
    """Owners' portfolios for many agents in three queries (the shape the HTTP portfolio
    has without a live world: open orders included)."""
    if not agent_ids:
        return {}
    wanted = set(agent_ids)
    async with db.connect() as conn:
        agents = (
            await conn.execute(
                select(AGENTS.c.agent_id, AGENTS.c.cash, AGENTS.c.starting_net_worth).where(
                    AGENTS.c.season_id == season, AGENTS.c.builtin.is_(False)
                )
            )
        ).all()
        rows = (
            await conn.execute(
                select(
                    HOLDINGS.c.agent_id,
                    HOLDINGS.c.symbol,
                    HOLDINGS.c.quantity,
                    COMPANIES.c.last_price,
                )
                .join_from(
                    HOLDINGS,
                    COMPANIES,
                    (COMPANIES.c.season_id == HOLDINGS.c.season_id)
                    & (COMPANIES.c.symbol == HOLDINGS.c.symbol),
                )
                .where(HOLDINGS.c.season_id == season, HOLDINGS.c.quantity != 0)
                .order_by(HOLDINGS.c.agent_id, HOLDINGS.c.symbol)
            )
        ).all()
        open_rows = (
            await conn.execute(
                select(ORDERS)
                .where(ORDERS.c.season_id == season, ORDERS.c.status == "open")
                .order_by(ORDERS.c.order_id)
            )
        ).all()
    orders: dict[str, list[OrderView]] = defaultdict(list)
    for row in open_rows:
        if row.agent_id in wanted:
            orders[row.agent_id].append(OrderView.model_validate(row._mapping))
    holdings: dict[str, list[HoldingView]] = defaultdict(list)
    for agent_id, symbol, qty, price in rows:
        if agent_id in wanted:
            holdings[agent_id].append(
                HoldingView(symbol=symbol, quantity=qty, last_price=price, market_value=qty * price)
            )
    out: dict[str, PortfolioOut] = {}
    for agent_id, cash, start in agents:
        if agent_id not in wanted:
            continue
        held = holdings.get(agent_id, [])
        value = sum(h.market_value for h in held)
        worth = int(cash) + value
        out[agent_id] = PortfolioOut(
            agent_id=agent_id,
            private=True,
            net_worth=worth,
            holdings_value=value,
            return_bps=return_bps(worth, int(start)),
            cash=int(cash),
            holdings=held,
            open_orders=orders.get(agent_id, []),
        )
    return out


def return_bps(now: int, base: int) -> int:
    if base <= 0:
        return 0
    magnitude = abs(now - base) * 10_000 // base
    return magnitude if now >= base else -magnitude
