"""Read models returned by ``queries.py``: frozen pydantic views of the relational rows.

Money is integer cents; ``*_bps`` are basis points.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = [
    "ActionOutcome",
    "AgentView",
    "AllianceView",
    "EvidenceView",
    "HoldingView",
    "InvestigationDetail",
    "InvestigationView",
    "LeaderboardEntry",
    "MessageView",
    "NewsItem",
    "OrderView",
    "Portfolio",
    "PrisonerView",
    "RumorView",
    "StockDetail",
    "StockView",
    "TradeView",
    "View",
    "WantedView",
    "WorldStatus",
]


class View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class AgentView(View):
    agent_id: str
    name: str
    role: str
    status: str
    cash: int
    starting_cash: int
    max_leverage: int | None
    callback_url: str | None
    registered_tick: int
    builtin: bool
    strategy: str | None
    margin_call_deadline: int | None
    reputation: int = 50


class HoldingView(View):
    symbol: str
    quantity: int
    last_price: int
    market_value: int


class Portfolio(View):
    agent_id: str
    cash: int
    holdings: list[HoldingView]
    holdings_value: int
    net_worth: int
    starting_net_worth: int
    return_bps: int


class LeaderboardEntry(View):
    rank: int
    overall_rank: int
    agent_id: str
    name: str
    role: str
    status: str
    builtin: bool
    cash: int
    holdings_value: int
    net_worth: int
    return_bps: int
    reputation: int = 50  # public, 0..100 (rules version 2)


class StockView(View):
    symbol: str
    name: str
    sector: str
    last_price: int
    prev_close: int
    day_open: int | None
    day_high: int | None
    day_low: int | None
    volume: int
    change_bps: int


class StockDetail(StockView):
    shares_outstanding: int
    market_cap: int
    revenue: int
    profit: int
    company_cash: int
    debt: int
    eps: int | None
    quarter: int | None
    initial_price: int
    total_volume: int
    volatility_bps: int
    beta_pct: int


class TradeView(View):
    trade_id: int
    tick: int
    symbol: str
    price: int
    quantity: int
    buyer_id: str
    seller_id: str
    aggressor: str


class OrderView(View):
    order_id: int
    command_id: str
    symbol: str
    intent: str
    side: str
    order_type: str
    quantity: int
    price: int | None
    remaining: int
    status: str
    triggered: bool
    created_tick: int
    updated_tick: int


class ActionOutcome(View):
    seq: int
    tick: int
    agent_id: str
    command_id: str
    command_type: str
    event_type: str
    status: str
    reason: str | None
    detail: str | None
    order_id: int | None


class NewsItem(View):
    seq: int
    tick: int
    kind: str
    symbol: str | None
    agent_id: str | None
    headline: str
    body: str
    news_id: str | None = None  # rules v2: the NewsPublished's id; None in v1 seasons
    sentiment: int | None = None  # rules v2: -100..100


class WorldStatus(View):
    season_id: str
    seed: int
    tick: int
    day: int
    sim_time: str
    start_time: str
    regime: str
    market_open: bool
    status: str
    ended_reason: str | None
    last_state_hash: str | None


class MessageView(View):
    message_id: int
    tick: int
    sender_id: str
    target_id: str
    content: str


class AllianceView(View):
    alliance_id: str
    member_a: str
    member_b: str
    proposer_id: str
    status: str
    formed_tick: int
    dissolved_tick: int | None
    dissolved_by: str | None


class RumorView(View):
    rumor_id: int
    tick: int
    agent_id: str
    symbol: str
    content: str
    sentiment: int
    weight_pct: int
    impulse_bps: int


class EvidenceView(View):
    """One piece of a case's evidence: its source, weight, references and reason."""

    tick: int
    source: str
    submitted_by: str
    weight: int
    strength: int
    refs: dict[str, object]
    reason: str


class InvestigationView(View):
    """A case: ``status`` open, charged, convicted, settled, acquitted or dismissed."""

    investigation_id: int
    target_agent_id: str
    offence: str
    status: str
    strength: int
    opened_by: str | None
    investigator_id: str | None
    opened_tick: int
    trial_tick: int | None
    closed_tick: int | None
    fine: int | None
    sentence_ticks: int | None
    reason: str | None
    verdict_reason: str | None
    evidence_count: int
    standing: str  # why a case is still open, or how it ended


class InvestigationDetail(InvestigationView):
    evidence: list[EvidenceView]


class PrisonerView(View):
    agent_id: str
    name: str
    case_id: int
    since_tick: int
    release_tick: int


class WantedView(View):
    """An agent with open cases (or a fugitive with any), the strongest case first."""

    agent_id: str
    name: str
    status: str
    open_cases: int
    strongest: int
    offences: list[str]
