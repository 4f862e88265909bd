"""``wss export``: a season as tables (Parquet or CSV) for pandas, polars and duckdb.

One fold of the log (``replayer.fold``) writes, tick by tick:

- ``trades``: every ``TradeExecuted``.
- ``orders``: order-level messages of the limit order books in the columns researchers
  know from LOBSTER: ``event_type`` 1 = a new limit order (its full size; what trades on
  arrival is its own execution next), 3 = deletion (cancel or expiry, of what remained),
  4 = execution (of either side's limit order in a trade); ``direction`` 1 buy, -1 sell.
  MARKET and STOP orders never rest, so they have no messages. Replaying these messages
  rebuilds every book.
- ``bars``: every ``BarClosed`` (one per symbol per tick that traded).
- ``top_of_book``: each symbol's best bid and ask (price, shares) after each tick, from the
  engine's own books; ``depth`` the best ``DEPTH_LEVELS`` levels of each side.
- ``agents``: each account after each tick: cash, equity, P&L, status, strategy (the
  seeded crooks' strategies are the ground truth that scores the SEC).
- ``cases`` (rules v2): every case opened, with its verdict once there is one.
- ``news`` (rules v2): every ``NewsPublished`` story; ``earnings`` every
  ``EarningsReported`` (with the fair value, which readers of the live market never see).

Every row carries its ``tick``; rows from events carry the event's stream ``seq``.
"""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from domain.state import World
from replayer.fold import Progress, fold
from replayer.pnl import opening_worth, pnl
from schemas import events as ev
from schemas.enums import OrderType, Side
from wss.eventstore.jetstream import StoredMsg
from wss.seasonlog import SeasonLog

DEPTH_LEVELS = 5
ADD, DELETE, EXECUTE = 1, 3, 4
FORMATS = ("parquet", "csv")


@dataclass(slots=True)
class Table:
    columns: tuple[str, ...]
    rows: list[Sequence[Any]] = field(default_factory=list)

    def arrow(self) -> pa.Table:
        data = {c: [row[i] for row in self.rows] for i, c in enumerate(self.columns)}
        return pa.Table.from_pydict(data)


def _tables() -> dict[str, Table]:
    return {
        "trades": Table(
            ("seq", "tick", "trade_id", "symbol", "price", "quantity", "aggressor",
             "buy_order_id", "sell_order_id", "buyer_id", "seller_id", "buyer_fee",
             "seller_fee")
        ),
        "orders": Table(
            ("seq", "tick", "symbol", "event_type", "order_id", "size", "price", "direction",
             "agent_id")
        ),
        "bars": Table(
            ("seq", "tick", "symbol", "open", "high", "low", "close", "volume", "notional",
             "trades")
        ),
        "top_of_book": Table(
            ("tick", "symbol", "bid_price", "bid_size", "ask_price", "ask_size", "last_price")
        ),
        "depth": Table(("tick", "symbol", "side", "level", "price", "size", "orders")),
        "agents": Table(
            ("tick", "agent_id", "name", "role", "strategy", "status", "cash", "equity", "pnl")
        ),
        "news": Table(
            ("seq", "tick", "news_id", "category", "headline", "summary", "symbols",
             "agent_ids", "sentiment", "impulse_bps", "source")
        ),
        "earnings": Table(
            ("seq", "tick", "symbol", "quarter", "revenue", "profit", "eps", "surprise_bps",
             "fair_value")
        ),
        "cases": Table(
            ("seq", "tick", "case_id", "suspect_id", "offence", "opened_by", "investigator_id",
             "reason", "verdict", "verdict_tick", "fine", "prison_ticks")
        ),
    }  # fmt: skip


class _Collector:
    def __init__(self) -> None:
        self.tables = _tables()
        self.limits: dict[int, tuple[str, int, int, str]] = {}  # id -> (symbol, price, dir, agent)
        self.cases: dict[int, list[Any]] = {}  # case id -> its row, completed at the verdict
        self.opening: dict[str, int] = {}  # each agent's worth after the genesis (replayer.pnl)

    def on_tick(
        self, world: World, closed: ev.TickClosed, tick: list[tuple[StoredMsg, ev.EventBase]]
    ) -> None:
        for msg, event in tick:
            handler = self._handlers.get(type(event))
            if handler is not None:
                handler(self, msg.seq, event)
        self._snapshots(world, closed.tick)

    def _trade(self, seq: int, e: ev.TradeExecuted) -> None:
        self.tables["trades"].rows.append(
            (seq, e.tick, e.trade_id, e.symbol, e.price, e.quantity, e.aggressor.value,
             e.buy_order_id, e.sell_order_id, e.buyer_id, e.seller_id, e.buyer_fee,
             e.seller_fee)
        )  # fmt: skip
        for order_id in (e.buy_order_id, e.sell_order_id):
            limit = self.limits.get(order_id)
            if limit is not None:
                symbol, _, direction, agent = limit
                self._order(
                    seq, e.tick, symbol, EXECUTE, order_id, e.quantity, e.price, direction, agent
                )

    def _accepted(self, seq: int, e: ev.OrderAccepted) -> None:
        if e.order_type is not OrderType.LIMIT or e.price is None:
            return
        direction = 1 if e.side is Side.BUY else -1
        self.limits[e.order_id] = (e.symbol, e.price, direction, e.agent_id)
        self._order(
            seq, e.tick, e.symbol, ADD, e.order_id, e.quantity, e.price, direction, e.agent_id
        )

    def _gone(self, seq: int, e: ev.OrderCancelled | ev.OrderExpired) -> None:
        limit = self.limits.pop(e.order_id, None)
        if limit is not None:
            symbol, price, direction, agent = limit
            self._order(
                seq, e.tick, symbol, DELETE, e.order_id, e.remaining, price, direction, agent
            )

    def _bar(self, seq: int, e: ev.BarClosed) -> None:
        self.tables["bars"].rows.append(
            (seq, e.tick, e.symbol, e.open, e.high, e.low, e.close, e.volume, e.notional, e.trades)
        )

    def _case(self, seq: int, e: ev.CaseOpened) -> None:
        row = [seq, e.tick, e.case_id, e.suspect_id, e.offence.value, e.opened_by,
               e.investigator_id, e.reason, None, None, None, None]  # fmt: skip
        self.cases[e.case_id] = row
        self.tables["cases"].rows.append(row)

    def _verdict(self, _: int, e: ev.VerdictReached) -> None:
        row = self.cases.get(e.case_id)
        if row is not None:
            row[8:] = [e.verdict.value, e.tick, e.fine, e.prison_ticks]

    def _news(self, seq: int, e: ev.NewsPublished) -> None:
        self.tables["news"].rows.append(
            (seq, e.tick, e.news_id, e.category.value, e.headline, e.summary,
             ",".join(e.symbols), ",".join(e.agent_ids), e.sentiment, e.impulse_bps, e.source)
        )  # fmt: skip

    def _earnings(self, seq: int, e: ev.EarningsReported) -> None:
        self.tables["earnings"].rows.append(
            (seq, e.tick, e.symbol, e.quarter, e.revenue, e.profit, e.eps, e.surprise_bps,
             e.fair_value)
        )  # fmt: skip

    def _order(self, *row: Any) -> None:
        self.tables["orders"].rows.append(row)

    def _snapshots(self, world: World, tick: int) -> None:
        top, depth = self.tables["top_of_book"].rows, self.tables["depth"].rows
        for symbol, book in world.books.items():
            bid, ask = book.best_bid(), book.best_ask()
            top.append(
                (tick, symbol, bid, book.bids.levels[bid].quantity if bid is not None else None,
                 ask, book.asks.levels[ask].quantity if ask is not None else None,
                 world.companies[symbol].last_price)
            )  # fmt: skip
            for side, levels in (
                ("bid", book.bids.depth(DEPTH_LEVELS)),
                ("ask", book.asks.depth(DEPTH_LEVELS)),
            ):
                for n, (price, size, orders) in enumerate(levels, start=1):
                    depth.append((tick, symbol, side, n, price, size, orders))
        agents = self.tables["agents"].rows
        if tick == 0:
            self.opening = opening_worth(world)
        for a in world.accounts.values():
            agents.append(
                (tick, a.agent_id, a.name, a.role.value, a.strategy.value, a.status.value,
                 a.cash, world.equity(a), pnl(world, a, self.opening))
            )  # fmt: skip

    _handlers: dict[type, Callable[["_Collector", int, Any], None]] = {
        ev.TradeExecuted: _trade,
        ev.OrderAccepted: _accepted,
        ev.OrderCancelled: _gone,
        ev.OrderExpired: _gone,
        ev.BarClosed: _bar,
        ev.CaseOpened: _case,
        ev.NewsPublished: _news,
        ev.EarningsReported: _earnings,
        ev.VerdictReached: _verdict,
    }


async def season_tables(log: SeasonLog, progress: Progress | None = None) -> dict[str, pa.Table]:
    """Every table of the season, from one fold of its log."""
    await log.require()
    collector = _Collector()
    await fold(log, on_tick=collector.on_tick, progress=progress)
    return {name: table.arrow() for name, table in collector.tables.items()}


async def export_tables(
    log: SeasonLog, out: Path, fmt: str = "parquet", progress: Progress | None = None
) -> dict[str, int]:
    """Write each table to ``out/<name>.<fmt>``; returns the row counts."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    return await asyncio.to_thread(_write, await season_tables(log, progress), out, fmt)


def _write(tables: dict[str, pa.Table], out: Path, fmt: str) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, arrow in tables.items():
        path = out / f"{name}.{fmt}"
        if fmt == "parquet":
            pq.write_table(arrow, path)
        else:
            pa_csv.write_csv(arrow, path)
        counts[name] = arrow.num_rows
    return counts
