"""Read functions over the relational read model, for the gateway and the CLI.

Each takes an ``AsyncEngine`` (see ``database.create_engine``) and a season id and returns
frozen pydantic models. Money is integer cents; ``*_bps`` are basis points.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from projections.relational.models import leaderboard as leaderboard_view
from projections.relational.tables import (
    ACTIONS,
    AGENTS,
    ALLIANCES,
    COMPANIES,
    HOLDINGS,
    MESSAGES,
    NEWS,
    ORDERS,
    POSITIONS,
    RUMORS,
    TRADES,
    WORLD,
)
from projections.relational.views import (
    ActionOutcome,
    AgentView,
    AllianceView,
    HoldingView,
    LeaderboardEntry,
    MessageView,
    NewsItem,
    OrderView,
    Portfolio,
    RumorView,
    StockDetail,
    StockView,
    TradeView,
    WorldStatus,
)
from projections.visibility import public_company
from schemas.enums import AgentStatus

__all__ = [
    "ActionOutcome",
    "AgentView",
    "AllianceView",
    "HoldingView",
    "LeaderboardEntry",
    "MessageView",
    "NewsItem",
    "OrderView",
    "Portfolio",
    "RumorView",
    "StockDetail",
    "StockView",
    "TradeView",
    "WorldStatus",
    "action_outcome",
    "agent_by_key_hash",
    "alliances",
    "get_agent",
    "leaderboard",
    "list_agents",
    "list_stocks",
    "messages",
    "news",
    "open_orders",
    "portfolio",
    "projection_position",
    "recent_trades",
    "rumors",
    "stock_detail",
    "world_status",
]

LEADERBOARD: Table = leaderboard_view


async def _all(engine: AsyncEngine, stmt: Select[Any]) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        return [dict(r) for r in (await conn.execute(stmt)).mappings()]


async def _one(engine: AsyncEngine, stmt: Select[Any]) -> dict[str, Any] | None:
    rows = await _all(engine, stmt.limit(1))
    return rows[0] if rows else None


def _bps(now: int, base: int) -> int:
    """Change in basis points, truncated toward zero like SQL integer division (the view)."""
    if base <= 0:
        return 0
    magnitude = abs(now - base) * 10_000 // base
    return magnitude if now >= base else -magnitude


async def list_agents(
    engine: AsyncEngine,
    season_id: str,
    *,
    include_builtin: bool = True,
    limit: int = 100,
    offset: int = 0,
) -> list[AgentView]:
    stmt = select(AGENTS).where(AGENTS.c.season_id == season_id)
    if not include_builtin:
        stmt = stmt.where(AGENTS.c.builtin.is_(False))
    stmt = stmt.order_by(AGENTS.c.agent_id).limit(limit).offset(offset)
    return [AgentView.model_validate(r) for r in await _all(engine, stmt)]


async def get_agent(engine: AsyncEngine, season_id: str, agent_id: str) -> AgentView | None:
    row = await _one(
        engine, select(AGENTS).where(AGENTS.c.season_id == season_id, AGENTS.c.agent_id == agent_id)
    )
    return AgentView.model_validate(row) if row else None


async def agent_by_key_hash(
    engine: AsyncEngine, season_id: str, api_key_hash: str
) -> AgentView | None:
    """The agent holding this API key (sha256 hex), for the gateway's authentication."""
    row = await _one(
        engine,
        select(AGENTS).where(
            AGENTS.c.season_id == season_id, AGENTS.c.api_key_hash == api_key_hash
        ),
    )
    return AgentView.model_validate(row) if row else None


async def portfolio(engine: AsyncEngine, season_id: str, agent_id: str) -> Portfolio | None:
    agent = await _one(
        engine, select(AGENTS).where(AGENTS.c.season_id == season_id, AGENTS.c.agent_id == agent_id)
    )
    if agent is None:
        return None
    rows = await _all(
        engine,
        select(
            HOLDINGS.c.symbol,
            HOLDINGS.c.quantity,
            COMPANIES.c.last_price,
            (HOLDINGS.c.quantity * COMPANIES.c.last_price).label("market_value"),
        )
        .join_from(
            HOLDINGS,
            COMPANIES,
            (COMPANIES.c.season_id == HOLDINGS.c.season_id)
            & (COMPANIES.c.symbol == HOLDINGS.c.symbol),
        )
        .where(
            HOLDINGS.c.season_id == season_id,
            HOLDINGS.c.agent_id == agent_id,
            HOLDINGS.c.quantity != 0,
        )
        .order_by(HOLDINGS.c.symbol),
    )
    holdings = [HoldingView.model_validate(r) for r in rows]
    value = sum(h.market_value for h in holdings)
    worth = agent["cash"] + value
    return Portfolio(
        agent_id=agent_id,
        cash=agent["cash"],
        holdings=holdings,
        holdings_value=value,
        net_worth=worth,
        starting_net_worth=agent["starting_net_worth"],
        return_bps=_bps(worth, agent["starting_net_worth"]),
    )


async def leaderboard(
    engine: AsyncEngine, season_id: str, *, builtin: bool = False, limit: int = 50
) -> list[LeaderboardEntry]:
    """Players (or, with ``builtin=True``, the built-in traders) by net worth.

    ``rank`` is within that group, ``overall_rank`` among everyone.
    """
    stmt = (
        select(LEADERBOARD, AGENTS.c.reputation)
        .join_from(
            LEADERBOARD,
            AGENTS,
            (AGENTS.c.season_id == LEADERBOARD.c.season_id)
            & (AGENTS.c.agent_id == LEADERBOARD.c.agent_id),
        )
        .where(LEADERBOARD.c.season_id == season_id, LEADERBOARD.c.builtin.is_(builtin))
        .where(LEADERBOARD.c.status != AgentStatus.FLED.value)  # a fugitive leaves the board
        .order_by(LEADERBOARD.c.rank, LEADERBOARD.c.agent_id)
        .limit(limit)
    )
    return [LeaderboardEntry.model_validate(r) for r in await _all(engine, stmt)]


def _stock(row: dict[str, Any]) -> dict[str, Any]:
    base = row["prev_close"]
    return {
        **row,
        "change_bps": _bps(row["last_price"], base),
        "market_cap": row["last_price"] * row["shares_outstanding"],
    }


async def list_stocks(engine: AsyncEngine, season_id: str) -> list[StockView]:
    stmt = select(COMPANIES).where(COMPANIES.c.season_id == season_id).order_by(COMPANIES.c.symbol)
    return [StockView.model_validate(_stock(r)) for r in await _all(engine, stmt)]


async def stock_detail(engine: AsyncEngine, season_id: str, symbol: str) -> StockDetail | None:
    row = await _one(
        engine,
        select(COMPANIES).where(COMPANIES.c.season_id == season_id, COMPANIES.c.symbol == symbol),
    )
    return StockDetail.model_validate(public_company(_stock(row))) if row else None


async def recent_trades(
    engine: AsyncEngine,
    season_id: str,
    *,
    symbol: str | None = None,
    agent_id: str | None = None,
    limit: int = 50,
) -> list[TradeView]:
    """Newest first."""
    stmt = select(TRADES).where(TRADES.c.season_id == season_id)
    if symbol is not None:
        stmt = stmt.where(TRADES.c.symbol == symbol)
    if agent_id is not None:
        stmt = stmt.where((TRADES.c.buyer_id == agent_id) | (TRADES.c.seller_id == agent_id))
    stmt = stmt.order_by(TRADES.c.trade_id.desc()).limit(limit)
    return [TradeView.model_validate(r) for r in await _all(engine, stmt)]


async def open_orders(engine: AsyncEngine, season_id: str, agent_id: str) -> list[OrderView]:
    stmt = (
        select(ORDERS)
        .where(
            ORDERS.c.season_id == season_id,
            ORDERS.c.agent_id == agent_id,
            ORDERS.c.status == "open",
        )
        .order_by(ORDERS.c.order_id)
    )
    return [OrderView.model_validate(r) for r in await _all(engine, stmt)]


async def action_outcome(
    engine: AsyncEngine, season_id: str, agent_id: str, command_id: str
) -> ActionOutcome | None:
    """The first recorded outcome of an agent's command, or None while still pending."""
    row = await _one(
        engine,
        select(ACTIONS)
        .where(
            ACTIONS.c.season_id == season_id,
            ACTIONS.c.agent_id == agent_id,
            ACTIONS.c.command_id == command_id,
        )
        .order_by(ACTIONS.c.seq),
    )
    return ActionOutcome.model_validate(row) if row else None


async def news(
    engine: AsyncEngine,
    season_id: str,
    *,
    symbol: str | None = None,
    since_tick: int | None = None,
    limit: int = 50,
) -> list[NewsItem]:
    """Newest first."""
    stmt = select(NEWS).where(NEWS.c.season_id == season_id)
    if symbol is not None:
        stmt = stmt.where(NEWS.c.symbol == symbol)
    if since_tick is not None:
        stmt = stmt.where(NEWS.c.tick >= since_tick)
    stmt = stmt.order_by(NEWS.c.seq.desc()).limit(limit)
    return [NewsItem.model_validate(r) for r in await _all(engine, stmt)]


async def messages(
    engine: AsyncEngine,
    season_id: str,
    agent_id: str,
    *,
    since_tick: int | None = None,
    limit: int = 50,
) -> list[MessageView]:
    """Messages to ``agent_id``, newest first."""
    stmt = select(MESSAGES).where(
        MESSAGES.c.season_id == season_id, MESSAGES.c.target_id == agent_id
    )
    if since_tick is not None:
        stmt = stmt.where(MESSAGES.c.tick >= since_tick)
    stmt = stmt.order_by(MESSAGES.c.message_id.desc()).limit(limit)
    return [MessageView.model_validate(r) for r in await _all(engine, stmt)]


async def alliances(
    engine: AsyncEngine,
    season_id: str,
    *,
    agent_id: str | None = None,
    include_dissolved: bool = False,
    limit: int = 100,
) -> list[AllianceView]:
    """Alliances, in the order they formed (then by id)."""
    stmt = select(ALLIANCES).where(ALLIANCES.c.season_id == season_id)
    if agent_id is not None:
        stmt = stmt.where((ALLIANCES.c.member_a == agent_id) | (ALLIANCES.c.member_b == agent_id))
    if not include_dissolved:
        stmt = stmt.where(ALLIANCES.c.status == "active")
    stmt = stmt.order_by(ALLIANCES.c.formed_tick, ALLIANCES.c.alliance_id).limit(limit)
    return [AllianceView.model_validate(r) for r in await _all(engine, stmt)]


async def rumors(
    engine: AsyncEngine, season_id: str, *, symbol: str | None = None, limit: int = 50
) -> list[RumorView]:
    """Newest first."""
    stmt = select(RUMORS).where(RUMORS.c.season_id == season_id)
    if symbol is not None:
        stmt = stmt.where(RUMORS.c.symbol == symbol)
    stmt = stmt.order_by(RUMORS.c.rumor_id.desc()).limit(limit)
    return [RumorView.model_validate(r) for r in await _all(engine, stmt)]


async def world_status(engine: AsyncEngine, season_id: str) -> WorldStatus | None:
    row = await _one(engine, select(WORLD).where(WORLD.c.season_id == season_id))
    return WorldStatus.model_validate(row) if row else None


async def projection_position(engine: AsyncEngine, season_id: str, name: str = "relational") -> int:
    """Stream sequence the read model reflects (lets the gateway wait for its own writes)."""
    stmt = select(func.coalesce(func.max(POSITIONS.c.position), 0)).where(
        POSITIONS.c.season_id == season_id, POSITIONS.c.name == name
    )
    async with engine.connect() as conn:
        return int((await conn.execute(stmt)).scalar_one())
