"""Read queries over the analytics tables. Sync (clickhouse-connect); async callers use
``asyncio.to_thread``. ``FINAL`` makes reads exact even if a duplicate ever slipped in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from projections.analytics.client import DEFAULT_DATABASE, AnalyticsClient
from projections.analytics.schema import quote_identifier

Interval = Literal["1m", "1h", "1d"]

# Bucket key per interval: 1m = one tick; hours align to the day's opening minute.
_BUCKETS: dict[str, str] = {
    "1m": "tick",
    "1h": "day, intDiv(minute, 60)",
    "1d": "day",
}


@dataclass(frozen=True, slots=True)
class Bar:
    """OHLCV over ticks ``tick..end_tick`` (cents, shares)."""

    tick: int
    end_tick: int
    open: int
    high: int
    low: int
    close: int
    volume: int
    notional: int
    trades: int


@dataclass(frozen=True, slots=True)
class EventRow:
    seq: int
    tick: int
    type: str
    symbol: str
    agent_id: str
    counterparty_id: str
    price: int | None
    quantity: int | None
    payload: str


@dataclass(frozen=True, slots=True)
class AgentSnapshot:
    tick: int
    net_worth: int
    cash: int
    portfolio_value: int
    margin_used: int
    rank: int


def ohlcv(
    client: AnalyticsClient,
    season_id: str,
    symbol: str,
    interval: Interval = "1m",
    *,
    from_tick: int = 0,
    to_tick: int = 2**32 - 1,
    database: str = DEFAULT_DATABASE,
    limit: int | None = None,
) -> list[Bar]:
    """Bars for ``symbol`` whose ticks fall in ``[from_tick, to_tick]``, oldest first;
    with ``limit``, only the latest ``limit`` bars (chosen by the query, so a request's
    cost does not grow with the season)."""
    if interval not in _BUCKETS:
        raise ValueError(f"interval must be one of {sorted(_BUCKETS)}, not {interval!r}")
    sql = f"""
        SELECT min(tick), max(tick), argMin(open, tick), max(high), min(low),
               argMax(close, tick), sum(volume), sum(notional), sum(trades)
        FROM {quote_identifier(database)}.price_history FINAL
        WHERE season_id = {{season:String}} AND symbol = {{symbol:String}}
          AND tick >= {{lo:UInt32}} AND tick <= {{hi:UInt32}}
        GROUP BY {_BUCKETS[interval]}
        ORDER BY min(tick) DESC
        {"" if limit is None else "LIMIT {limit:UInt32}"}
    """  # noqa: S608
    params: dict[str, Any] = {"season": season_id, "symbol": symbol, "lo": from_tick}
    params |= {"hi": to_tick} | ({} if limit is None else {"limit": limit})
    rows = _rows(client, sql, **params)
    return [Bar(*(int(v) for v in row)) for row in reversed(rows)]


def events_by_type(
    client: AnalyticsClient,
    season_id: str,
    event_type: str,
    *,
    agent_id: str | None = None,
    after_seq: int = 0,
    limit: int = 1_000,
    database: str = DEFAULT_DATABASE,
) -> list[EventRow]:
    """Events of one type after ``after_seq`` (page with the last row's seq), oldest first.

    With ``agent_id``, only those naming the agent (as actor, buyer, seller or target).
    """
    agent_filter = (
        " AND (agent_id = {agent:String} OR counterparty_id = {agent:String})"
        if agent_id is not None
        else ""
    )
    sql = f"""
        SELECT seq, tick, type, symbol, agent_id, counterparty_id, price, quantity, payload
        FROM {quote_identifier(database)}.events FINAL
        WHERE season_id = {{season:String}} AND type = {{type:String}}
          AND seq > {{after:UInt64}}{agent_filter}
        ORDER BY seq
        LIMIT {{limit:UInt32}}
    """  # noqa: S608
    rows = _rows(
        client,
        sql,
        season=season_id,
        type=event_type,
        after=after_seq,
        limit=limit,
        agent=agent_id or "",
    )
    return [
        EventRow(
            int(seq),
            int(tick),
            str(type_),
            str(symbol),
            str(agent),
            str(other),
            None if price is None else int(price),
            None if qty is None else int(qty),
            str(payload),
        )
        for seq, tick, type_, symbol, agent, other, price, qty, payload in rows
    ]


def event_counts(
    client: AnalyticsClient, season_id: str, *, database: str = DEFAULT_DATABASE
) -> dict[str, int]:
    """Number of stored events per type."""
    sql = f"""
        SELECT type, count() FROM {quote_identifier(database)}.events FINAL
        WHERE season_id = {{season:String}} GROUP BY type ORDER BY type
    """  # noqa: S608
    return {str(t): int(n) for t, n in _rows(client, sql, season=season_id)}


def agent_series(
    client: AnalyticsClient,
    season_id: str,
    agent_id: str,
    *,
    from_tick: int = 0,
    to_tick: int = 2**32 - 1,
    database: str = DEFAULT_DATABASE,
) -> list[AgentSnapshot]:
    """An agent's snapshots (written at the ticks its numbers changed), oldest first."""
    sql = f"""
        SELECT tick, net_worth, cash, portfolio_value, margin_used, rank
        FROM {quote_identifier(database)}.agent_snapshots FINAL
        WHERE season_id = {{season:String}} AND agent_id = {{agent:String}}
          AND tick >= {{lo:UInt32}} AND tick <= {{hi:UInt32}}
        ORDER BY tick
    """  # noqa: S608
    rows = _rows(client, sql, season=season_id, agent=agent_id, lo=from_tick, hi=to_tick)
    return [AgentSnapshot(*(int(v) for v in row)) for row in rows]


def _rows(client: AnalyticsClient, sql: str, **parameters: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in client.query(sql, parameters=parameters).result_rows]
