"""A read-side ledger of agents' cash and positions, valued at last trade prices.

Folded from public-to-the-projection events only, so it is rebuildable from the log:
``SeasonStarted`` seeds companies and built-in agents, trades move cash and shares,
``PositionChanged`` (the engine's tick-close summary) overwrites them with the
authoritative numbers, bars and trades move the marks. Shared by the ClickHouse
projection (agent snapshots) and the SSE hub (leaderboard).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.state import World
from schemas.config import SeasonConfig
from schemas.enums import AgentStatus
from schemas.events import (
    AgentFled,
    AgentRegistered,
    BarClosed,
    BorrowFeeCharged,
    BribeCaught,
    BribePaid,
    EscrowReleased,
    Event,
    FinePaid,
    PositionChanged,
    RewardPaid,
    SeasonStarted,
    TradeExecuted,
)

# Event types that change the book; everything else is ignored by ``apply``.
BOOK_EVENT_TYPES = (
    "SeasonStarted",
    "AgentRegistered",
    "TradeExecuted",
    "PositionChanged",
    "BorrowFeeCharged",
    "BarClosed",
    # the legal system's money (rules v2): bribes, forfeits, fines, rewards, escrow
    "BribePaid",
    "BribeCaught",
    "FinePaid",
    "RewardPaid",
    "EscrowReleased",
    "AgentFled",  # a fugitive leaves the leaderboard
)


@dataclass(slots=True)
class Account:
    cash: int = 0
    positions: dict[str, int] = field(default_factory=dict)
    fled: bool = False  # left the market (rules v2): no longer ranked


@dataclass(frozen=True, slots=True)
class Valuation:
    """One agent's numbers at a tick close, in cents."""

    agent_id: str
    net_worth: int
    cash: int
    portfolio_value: int
    margin_used: int
    rank: int


class AgentBook:
    def __init__(self) -> None:
        self.config = SeasonConfig()
        self.prices: dict[str, int] = {}
        self.accounts: dict[str, Account] = {}

    @classmethod
    def from_world(cls, world: World) -> AgentBook:
        """The book as of a world image (an engine snapshot): the agents' cash and
        positions, marked at the last prices. Lets a reader start from a snapshot instead
        of folding the season from its first event."""
        book = cls()
        book.config = world.config
        book.prices = {symbol: c.last_price for symbol, c in world.companies.items()}
        book.accounts = {
            agent_id: Account(
                a.cash,
                {s: q for s, q in a.positions.items() if q},
                a.status is AgentStatus.FLED,
            )
            for agent_id, a in world.accounts.items()
        }
        return book

    def _account(self, agent_id: str) -> Account:
        account = self.accounts.get(agent_id)
        if account is None:
            # An id first seen in a trade (e.g. a house account) starts empty.
            account = self.accounts[agent_id] = Account()
        return account

    def apply(self, event: Event) -> None:
        match event:
            case SeasonStarted():
                self.config = event.config
                for company in event.companies:
                    self.prices[company.symbol] = company.initial_price
                for agent in event.builtin_agents:
                    self.accounts[agent.agent_id] = Account(agent.cash, dict(agent.holdings))
            case AgentRegistered():
                self.accounts[event.agent_id] = Account(event.cash)
            case TradeExecuted():
                notional = event.price * event.quantity
                buyer = self._account(event.buyer_id)
                buyer.cash -= notional + event.buyer_fee
                _move(buyer, event.symbol, event.quantity)
                seller = self._account(event.seller_id)
                seller.cash += notional - event.seller_fee
                _move(seller, event.symbol, -event.quantity)
                self.prices[event.symbol] = event.price
            case PositionChanged():
                account = self._account(event.agent_id)
                account.cash = event.cash
                _set(account, event.symbol, event.quantity)
            case BorrowFeeCharged():
                self._account(event.agent_id).cash -= event.amount
            case BarClosed():
                self.prices[event.symbol] = event.close
            case BribePaid():
                self._account(event.agent_id).cash -= event.amount
                if not event.escrow:
                    self._account(event.target_agent_id).cash += event.amount
            case BribeCaught() | FinePaid():
                self._account(event.agent_id).cash -= event.amount
            case RewardPaid():
                self._account(event.agent_id).cash += event.amount
            case EscrowReleased() if not event.to.startswith("house:"):
                self._account(event.to).cash += event.amount
            case AgentFled():
                self._account(event.agent_id).fled = True
            case _:
                pass

    def valuations(self) -> list[Valuation]:
        """Every agent valued at the marks, ranked by net worth (ties by id), rank from 1.

        ``margin_used`` is the maintenance requirement on gross exposure, the number a
        margin call compares equity against.
        """
        maintenance_bps = self.config.maintenance_margin_bps
        rows: list[tuple[int, str, int, int, int]] = []
        for agent_id, account in self.accounts.items():
            if account.fled:
                continue
            value = 0
            exposure = 0
            for symbol, qty in account.positions.items():
                mark = qty * self.prices.get(symbol, 0)
                value += mark
                exposure += abs(mark)
            margin = exposure * maintenance_bps // 10_000
            rows.append((-(account.cash + value), agent_id, account.cash, value, margin))
        rows.sort()
        return [
            Valuation(agent_id, -neg_worth, cash, value, margin, rank)
            for rank, (neg_worth, agent_id, cash, value, margin) in enumerate(rows, start=1)
        ]


def _move(account: Account, symbol: str, delta: int) -> None:
    _set(account, symbol, account.positions.get(symbol, 0) + delta)


def _set(account: Account, symbol: str, quantity: int) -> None:
    if quantity:
        account.positions[symbol] = quantity
    else:
        account.positions.pop(symbol, None)
