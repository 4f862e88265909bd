"""The world's state: plain mutable slotted classes, changed only by ``evolve``.

Dicts here are insertion-ordered and every iteration that can reach an event or a hash
goes through ``sorted(...)`` or an insertion order that is itself deterministic.
"""

import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from domain.orderbook import Order, OrderBook
from domain.rules.surveillance.windows import Surveillance
from schemas.config import SeasonConfig
from schemas.enums import AgentStatus, CaseStatus, Offence, Regime, Role, Sector, Strategy

# uuid5 namespace for aggregate ids: ids are derived, never random.
NAMESPACE = uuid.UUID("5b1f3c1e-7d55-4c4e-9a57-3f0d1c7a2b10")
HOUSE_FEES = "house:fees"
HOUSE_LENDING = "house:lending"
HOUSE_ACCOUNTS = (HOUSE_FEES, HOUSE_LENDING)
# Rules version 2 only, created by the first money that reaches them (so that a v1 world's
# house, which is in its state hash, never holds them).
HOUSE_FINES = "house:fines"
HOUSE_ESCROW = "house:escrow"
SEC_AGENT_ID = "sec"  # the built-in SEC: works every case no investigator agent opened
PRICE_MEMORY = 30  # closes kept per symbol for the built-in strategies
# Bounded windows of social evidence (rules version 2), oldest dropped first: what the
# SEC can subpoena or scan stays in the world, and memory stays flat over a season.
MESSAGE_WINDOW = 200  # the most recent messages (MESSAGE), all senders together
RUMOR_WINDOW = 100  # the most recent rumors (RUMOR), all symbols together
STORY_MEMORY = 1_000  # the most recent story ids a PUBLISH_ARTICLE may rewrite
NEWS_WINDOW = 200  # the most recent stories about symbols (NewsPublished), one per symbol


def aggregate_id(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{kind}/{key}")


@dataclass(slots=True, eq=False)
class Company:
    symbol: str
    name: str
    sector: Sector
    shares_outstanding: int
    revenue: int
    profit: int
    cash: int
    debt: int
    volatility_bps: int
    beta_pct: int
    initial_price: int
    fair_value: int
    last_price: int
    prev_close: int
    day_open: int
    day_volume: int = 0
    quarter: int = 0
    closes: deque[int] = field(default_factory=lambda: deque(maxlen=PRICE_MEMORY))

    @property
    def id(self) -> uuid.UUID:
        return aggregate_id("company", self.symbol)


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A delivered MESSAGE, as the world keeps it for a subpoena."""

    message_id: int
    tick: int
    sender: str
    target: str
    content: str


@dataclass(frozen=True, slots=True)
class PublishedRumor:
    """A published RUMOR: its scored sentiment and the valuation shift it started."""

    rumor_id: int
    tick: int
    agent_id: str
    symbol: str
    sentiment: int  # -100..100, from its text (domain/rules/sentiment.py)
    impulse_bps: int  # the shift at publication, decaying (domain/rules/rumors.py)


@dataclass(frozen=True, slots=True)
class NewsImpulse:
    """A published story's valuation shift of one symbol (domain/rules/news.py)."""

    news_id: str
    tick: int
    symbol: str
    category: str
    impulse_bps: int  # the shift at publication, decaying like a rumor's


def alliance_key(a: str, b: str) -> tuple[str, str]:
    """An alliance's key: its two members, in sorted order."""
    return (a, b) if a < b else (b, a)


@dataclass(slots=True, eq=False)
class Account:
    """An agent's money and positions. Positions are long (>0) or short (<0)."""

    agent_id: str
    name: str
    role: Role
    max_leverage: int
    cash: int
    strategy: Strategy = Strategy.EXTERNAL
    status: AgentStatus = AgentStatus.ACTIVE
    positions: dict[str, int] = field(default_factory=dict)
    open_orders: dict[int, None] = field(default_factory=dict)  # ordered set of order ids
    reserved: int = 0  # buying power held by resting BUY/SHORT/COVER orders
    selling: dict[str, int] = field(default_factory=dict)  # shares held by resting SELLs
    covering: dict[str, int] = field(default_factory=dict)  # short held by resting COVERs
    margin_deadline: int | None = None
    callback_url: str | None = None
    api_key_hash: str = ""
    starting_cash: int = 0
    reputation: int = 50  # public, 0..100 (domain/rules/reputation.py); moved under rules v2

    @property
    def id(self) -> uuid.UUID:
        return aggregate_id("agent", self.agent_id)

    def sellable(self, symbol: str) -> int:
        """Shares of ``symbol`` not yet promised to resting SELLs (negative when short)."""
        return self.positions.get(symbol, 0) - self.selling.get(symbol, 0)

    @property
    def builtin(self) -> bool:
        return self.strategy is not Strategy.EXTERNAL

    @property
    def active(self) -> bool:
        """Only an active agent trades, acts and is margin-checked."""
        return self.status is AgentStatus.ACTIVE


@dataclass(slots=True, eq=False)
class Case:
    """The investigation aggregate (rules v2): one suspect, one offence, open until a verdict.

    A case leaves ``World.cases`` at its verdict (the read side keeps it); a suspect's
    convictions stay in ``World.convictions`` for the repeat-offender rule.
    """

    case_id: int
    suspect_id: str
    offence: Offence
    opened_by: str
    investigator_id: str
    opened_tick: int
    status: CaseStatus = CaseStatus.OPEN
    strength: int = 0  # evidence strength, 0..100
    evidence: int = 0  # pieces of evidence
    last_evidence_tick: int = 0
    trial_tick: int | None = None
    stalled_until: int = 0
    escrow: int = 0  # uncaught bribes held in house:escrow for this case
    subpoena_weight: int = 0  # strength subpoenas added so far (capped)
    whistleblowers: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.suspect_id}/{self.offence.value}"

    @property
    def id(self) -> uuid.UUID:
        return aggregate_id("case", str(self.case_id))


@dataclass(slots=True, eq=False)
class World:
    """The season aggregate: companies, books, accounts and the market's clock."""

    seed: int = 0
    rules_version: int = 1  # the rule set the season runs under (domain.rules.versions)
    config: SeasonConfig = field(default_factory=SeasonConfig)
    started: bool = False
    ended: bool = False
    tick: int = 0  # last closed tick
    version: int = 0  # events applied
    last_command_seq: int = 0
    regime: Regime = Regime.NORMAL
    regime_pinned: bool = False
    market_open: bool = False
    companies: dict[str, Company] = field(default_factory=dict)
    books: dict[str, OrderBook] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # name -> agent id
    house: dict[str, int] = field(default_factory=lambda: dict.fromkeys(HOUSE_ACCOUNTS, 0))
    orders: dict[int, Order] = field(default_factory=dict)  # every open order
    stops: dict[str, dict[int, None]] = field(default_factory=dict)  # pending STOPs by symbol
    next_order_id: int = 1
    next_trade_id: int = 1
    # Social state (rules version 2 only; a v1 world leaves it empty and unhashed).
    messages: deque[SentMessage] = field(default_factory=lambda: deque(maxlen=MESSAGE_WINDOW))
    rumors: deque[PublishedRumor] = field(default_factory=lambda: deque(maxlen=RUMOR_WINDOW))
    next_message_id: int = 1
    next_rumor_id: int = 1
    news: deque[NewsImpulse] = field(default_factory=lambda: deque(maxlen=NEWS_WINDOW))
    stories: dict[str, bool] = field(default_factory=dict)  # news id -> rewritten already
    # (proposer, target) -> last tick the proposal stands, in the order they were made
    proposals: dict[tuple[str, str], int] = field(default_factory=dict)
    # alliance_key(a, b) -> tick formed, in the order they formed
    alliances: dict[tuple[str, str], int] = field(default_factory=dict)
    # The legal system (rules v2; written into the state hash only for v2 worlds).
    cases: dict[int, Case] = field(default_factory=dict)  # open cases, by case id
    next_case_id: int = 1
    frozen: dict[str, dict[int, None]] = field(default_factory=dict)  # agent -> case ids
    prison: dict[str, tuple[int, int]] = field(default_factory=dict)  # agent -> release, case
    convictions: dict[str, int] = field(default_factory=dict)  # agent -> convictions so far
    ceo_of: dict[str, str] = field(default_factory=dict)  # CEO agent id -> its company
    # Not state: the open case of each (suspect, offence) key, rebuilt from ``cases``; and
    # the suspicions raised this tick, consumed within the tick by the investigations.
    active_cases: dict[str, int] = field(default_factory=dict)
    suspicions: list[Any] = field(default_factory=list)
    # The SEC's windows (rules version 2 only; None under 1): out of the state hash,
    # carried by snapshots (domain/rules/surveillance/windows.py).
    sec: Surveillance | None = None
    # Not state: canonical JSON of open orders for the state hash, dropped by ``evolve``
    # whenever it changes an order (see domain/hashing.py).
    order_rows: dict[int, str] = field(default_factory=dict)

    @property
    def id(self) -> uuid.UUID:
        return aggregate_id("world", "season")

    def mark(self, symbol: str) -> int:
        return self.companies[symbol].last_price

    def equity_exposure(self, account: Account) -> tuple[int, int]:
        """(cash + marked positions, gross marked positions) in one pass."""
        companies = self.companies
        equity, exposure = account.cash, 0
        for symbol, qty in account.positions.items():
            value = qty * companies[symbol].last_price
            equity += value
            exposure += abs(value)
        return equity, exposure

    def equity(self, account: Account) -> int:
        companies = self.companies
        return account.cash + sum(
            qty * companies[sym].last_price for sym, qty in account.positions.items()
        )

    def exposure(self, account: Account) -> int:
        companies = self.companies
        return sum(abs(qty) * companies[sym].last_price for sym, qty in account.positions.items())
