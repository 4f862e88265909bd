"""The in-memory unit of work of one batch: the rows it loaded and what it changed.

``store.py`` loads the rows a batch touches into a ``BatchState``, the fold handlers
mutate them as plain dicts and mark them dirty, and ``store.py`` writes back only those.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from projections.base import Sequenced
from projections.relational.fold_legal_keys import LEGAL_KEYED, legal_keys
from schemas.events import (
    AgentBankrupted,
    AgentStatusChanged,
    AllianceDissolved,
    AllianceFormed,
    ArticlePublished,
    BorrowFeeCharged,
    Event,
    MarginCalled,
    MarginCallMet,
    NewsPublished,
    OrderCancelled,
    OrderExpired,
    OrderTriggered,
    PositionChanged,
    ReputationChanged,
    TradeExecuted,
)

__all__ = ["BatchKeys", "BatchState", "Row", "collect_keys", "usd"]

Row = dict[str, Any]


@dataclass(slots=True)
class BatchKeys:
    """Rows of a batch that already exist in the store and must be read first."""

    agents: set[str] = field(default_factory=set)
    orders: set[int] = field(default_factory=set)
    alliances: set[str] = field(default_factory=set)  # "<member_a>/<member_b>"
    cases: set[int] = field(default_factory=set)
    prisoners: set[str] = field(default_factory=set)


def collect_keys(batch: Iterable[Sequenced]) -> BatchKeys:
    keys = BatchKeys()
    for item in batch:
        ev = item.event
        if isinstance(ev, TradeExecuted):
            keys.agents.add(ev.buyer_id)
            keys.agents.add(ev.seller_id)
            keys.orders.add(ev.buy_order_id)
            keys.orders.add(ev.sell_order_id)
        elif isinstance(ev, (OrderCancelled, OrderExpired, OrderTriggered)):
            keys.orders.add(ev.order_id)
        elif isinstance(
            ev,
            (
                PositionChanged,
                BorrowFeeCharged,
                AgentStatusChanged,
                AgentBankrupted,
                MarginCalled,
                MarginCallMet,
                ReputationChanged,
            ),
        ):
            keys.agents.add(ev.agent_id)
        elif isinstance(ev, (AllianceFormed, AllianceDissolved)):
            first, second = sorted((ev.agent_id, ev.target_agent_id))
            keys.alliances.add(f"{first}/{second}")
        elif type(ev) in LEGAL_KEYED:
            legal_keys(ev, keys.agents, keys.cases, keys.prisoners)
    return keys


@dataclass(slots=True)
class BatchState:
    """Loaded rows plus what the batch changed. Dicts double as ordered "dirty" sets."""

    season_id: str
    agents: dict[str, Row]
    holdings: dict[tuple[str, str], Row]  # loaded for every agent in BatchKeys.agents
    orders: dict[int, Row]
    companies: dict[str, Row]  # all of the season's companies
    world: Row | None
    alliances: dict[str, Row] = field(default_factory=dict)
    loaded_orders: set[int] = field(default_factory=set)  # orders that already had a row
    dirty_agents: dict[str, None] = field(default_factory=dict)
    dirty_holdings: dict[tuple[str, str], None] = field(default_factory=dict)
    dirty_orders: dict[int, None] = field(default_factory=dict)
    dirty_companies: dict[str, None] = field(default_factory=dict)
    dirty_world: bool = False
    dirty_alliances: dict[str, None] = field(default_factory=dict)
    trades: list[Row] = field(default_factory=list)
    messages: list[Row] = field(default_factory=list)
    rumors: list[Row] = field(default_factory=list)
    actions: list[Row] = field(default_factory=list)
    news: list[Row] = field(default_factory=list)
    articles: list[Row] = field(default_factory=list)  # rewordings of news rows, in order
    cases: dict[int, Row] = field(default_factory=dict)  # investigations, by case id
    dirty_cases: dict[int, None] = field(default_factory=dict)
    prisoners: dict[str, Row] = field(default_factory=dict)
    dirty_prisoners: dict[str, None] = field(default_factory=dict)

    # -- helpers ---------------------------------------------------------------------------
    def agent(self, agent_id: str, tick: int) -> Row | None:
        row = self.agents.get(agent_id)
        if row is not None:
            row["updated_tick"] = tick
            self.dirty_agents[agent_id] = None
        return row

    def holding(self, agent_id: str, symbol: str) -> Row:
        key = (agent_id, symbol)
        row = self.holdings.get(key)
        if row is None:
            row = {
                "season_id": self.season_id,
                "agent_id": agent_id,
                "symbol": symbol,
                "quantity": 0,
            }
            self.holdings[key] = row
        self.dirty_holdings[key] = None
        return row

    def order(self, order_id: int, tick: int) -> Row | None:
        row = self.orders.get(order_id)
        if row is not None:
            row["updated_tick"] = tick
            self.dirty_orders[order_id] = None
        return row

    def case(self, case_id: int, tick: int) -> Row | None:
        row = self.cases.get(case_id)
        if row is not None:
            row["updated_tick"] = tick
            self.dirty_cases[case_id] = None
        return row

    def company(self, symbol: str, tick: int) -> Row | None:
        row = self.companies.get(symbol)
        if row is not None:
            row["updated_tick"] = tick
            self.dirty_companies[symbol] = None
        return row

    def touch_world(self) -> Row | None:
        self.dirty_world = self.world is not None
        return self.world

    def headline(
        self,
        seq: int,
        ev: Event,
        kind: str,
        headline: str,
        body: str = "",
        *,
        symbol: str | None = None,
        agent_id: str | None = None,
    ) -> None:
        """A headline the fold makes up from an event: rules v1 seasons only, whose logs
        have no ``NewsPublished`` (a v2 season's news is its log's: ``story``)."""
        if self.world is not None and self.world.get("rules_version", 1) >= 2:
            return
        self.news.append(
            {
                "season_id": self.season_id,
                "seq": seq,
                "tick": ev.tick,
                "kind": kind,
                "symbol": symbol,
                "agent_id": agent_id,
                "headline": headline,
                "body": body,
                "news_id": None,
                "sentiment": None,
            }
        )

    def article(self, ev: ArticlePublished) -> None:
        """The newsroom's rewording of story ``news_id``: its row's headline and body."""
        self.articles.append({"news_id": ev.news_id, "headline": ev.headline, "body": ev.summary})

    def story(self, seq: int, ev: NewsPublished) -> None:
        """A rules v2 season's news item: the log's ``NewsPublished``, as it is."""
        self.news.append(
            {
                "season_id": self.season_id,
                "seq": seq,
                "tick": ev.tick,
                "kind": ev.category.value,
                "symbol": ev.symbols[0] if ev.symbols else None,
                "agent_id": ev.agent_ids[0] if ev.agent_ids else None,
                "headline": ev.headline,
                "body": ev.summary,
                "news_id": ev.news_id,
                "sentiment": ev.sentiment,
            }
        )


def usd(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{frac:02d}"
