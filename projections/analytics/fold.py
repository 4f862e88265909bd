"""Pure fold from sequenced events to analytics rows (column-oriented, ready to insert).

No I/O here: the projection owns the store. The fold's only state is the agent book
and the last snapshot emitted per agent; the projection checkpoints it (``image``) and
rebuilds it from the latest checkpoint plus the stored events after it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from domain.clock import day_of, minute_of_day
from projections.analytics.book import BOOK_EVENT_TYPES, Account, AgentBook
from projections.base import Sequenced
from schemas.config import SeasonConfig
from schemas.events import (
    AllianceDeclined,
    AllianceDissolved,
    AllianceFormed,
    AllianceProposed,
    BarClosed,
    BorrowFeeCharged,
    BribeCaught,
    BribePaid,
    CaseOpened,
    Event,
    FinePaid,
    MarginCalled,
    MarginCallMet,
    MessageDelivered,
    OrderAccepted,
    OrderTriggered,
    PositionChanged,
    PositionLiquidated,
    ReputationChanged,
    RewardPaid,
    RumorPublished,
    SocialActionRecorded,
    SuspectCharged,
    TickClosed,
    TradeExecuted,
    VerdictReached,
)

# What a restart must re-fold to rebuild the state (book + last snapshots).
STATE_EVENT_TYPES = (*BOOK_EVENT_TYPES, "TickClosed")

Columns = list[list[Any]]


def _columns(width: int) -> Columns:
    return [[] for _ in range(width)]


@dataclass(slots=True)
class Rows:
    """One batch's rows per table, column-oriented, each with its ``seq`` column."""

    events: Columns = field(default_factory=lambda: _columns(10))
    bars: Columns = field(default_factory=lambda: _columns(13))
    snapshots: Columns = field(default_factory=lambda: _columns(9))

    def count(self) -> int:
        return len(self.events[0]) + len(self.bars[0]) + len(self.snapshots[0])


def typed_columns(event: Event) -> tuple[str, str, str, int | None, int | None]:
    """(symbol, agent_id, counterparty_id, price, quantity) for the events table."""
    match event:
        case TradeExecuted():
            return event.symbol, event.buyer_id, event.seller_id, event.price, event.quantity
        case OrderAccepted():
            return event.symbol, event.agent_id, "", event.price, event.quantity
        case BarClosed():
            return event.symbol, "", "", event.close, event.volume
        case OrderTriggered():
            return event.symbol, "", "", event.last_price, None
        case PositionChanged() | PositionLiquidated():
            return event.symbol, event.agent_id, "", None, event.quantity
        case BorrowFeeCharged():
            return event.symbol, event.agent_id, "", event.amount, None
        case MarginCalled() | MarginCallMet():
            return "", event.agent_id, "", event.equity, None
        case SocialActionRecorded():
            return (
                event.symbol or "",
                event.agent_id,
                event.target_agent_id or "",
                event.amount,
                None,
            )
        case (
            MessageDelivered()
            | AllianceProposed()
            | AllianceDeclined()
            | AllianceFormed()
            | AllianceDissolved()
        ):
            return "", event.agent_id, event.target_agent_id, None, None
        case RumorPublished():  # the price column holds the rumor's sentiment
            return event.symbol, event.agent_id, "", event.sentiment, None
        case ReputationChanged():  # the price column holds the reputation after
            return "", event.agent_id, "", event.reputation, None
        case BribePaid() | BribeCaught():
            return "", event.agent_id, event.target_agent_id, event.amount, None
        case FinePaid() | RewardPaid():
            return "", event.agent_id, "", event.amount, None
        case VerdictReached():
            return "", event.suspect_id, "", event.fine, event.prison_ticks
        case CaseOpened() | SuspectCharged():
            return "", event.suspect_id, "", None, None
        case _:
            symbol = getattr(event, "symbol", None)
            agent_id = getattr(event, "agent_id", None)
            return symbol or "", agent_id or "", "", None, None


class AnalyticsFold:
    def __init__(self, season_id: str) -> None:
        self.season_id = season_id
        self.book = AgentBook()
        # Last emitted (net_worth, cash, portfolio, margin) per agent: snapshots are
        # written only when an agent's numbers move, which bounds the table.
        self.last_snapshot: dict[str, tuple[int, int, int, int]] = {}

    def image(self) -> str:
        """The fold's state as JSON (see ``from_image``)."""
        book = self.book
        return json.dumps(
            {
                "config": book.config.model_dump(mode="json"),
                "prices": book.prices,
                "accounts": {
                    k: [a.cash, a.positions, *([True] if a.fled else [])]
                    for k, a in book.accounts.items()
                },
                "last_snapshot": self.last_snapshot,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_image(cls, season_id: str, image: str) -> AnalyticsFold:
        data = json.loads(image)
        fold = cls(season_id)
        fold.book.config = SeasonConfig.model_validate(data["config"])
        fold.book.prices = {k: int(v) for k, v in data["prices"].items()}
        fold.book.accounts = {
            k: Account(int(row[0]), {s: int(q) for s, q in row[1].items()}, len(row) > 2)
            for k, row in data["accounts"].items()
        }
        fold.last_snapshot = {
            k: (int(a), int(b), int(c), int(d)) for k, (a, b, c, d) in data["last_snapshot"].items()
        }
        return fold

    def fold(self, batch: Iterable[Sequenced], *, emit: bool = True) -> Rows:
        """Advance the state over ``batch``; with ``emit`` also return its rows."""
        rows = Rows()
        season = self.season_id
        for item in batch:
            seq, event = item.seq, item.event
            self.book.apply(event)
            if emit:
                symbol, agent, other, price, qty = typed_columns(event)
                _append(
                    rows.events,
                    season,
                    seq,
                    event.tick,
                    event.type,
                    symbol,
                    agent,
                    other,
                    price,
                    qty,
                    event.model_dump_json(),
                )
            if isinstance(event, BarClosed) and emit:
                config = self.book.config
                _append(
                    rows.bars,
                    season,
                    seq,
                    event.symbol,
                    event.tick,
                    day_of(event.tick, config),
                    minute_of_day(event.tick, config),
                    event.open,
                    event.high,
                    event.low,
                    event.close,
                    event.volume,
                    event.notional,
                    event.trades,
                )
            elif isinstance(event, TickClosed):
                self._snapshot(seq, event.tick, rows if emit else None)
        return rows

    def _snapshot(self, seq: int, tick: int, rows: Rows | None) -> None:
        for v in self.book.valuations():
            numbers = (v.net_worth, v.cash, v.portfolio_value, v.margin_used)
            if self.last_snapshot.get(v.agent_id) == numbers:
                continue
            self.last_snapshot[v.agent_id] = numbers
            if rows is not None:
                _append(
                    rows.snapshots,
                    self.season_id,
                    seq,
                    v.agent_id,
                    tick,
                    v.net_worth,
                    v.cash,
                    v.portfolio_value,
                    v.margin_used,
                    v.rank,
                )


def _append(columns: Columns, *values: Any) -> None:
    for column, value in zip(columns, values, strict=True):
        column.append(value)
