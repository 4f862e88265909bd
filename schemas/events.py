"""Events: what happened. Past tense, frozen, versioned; the log is made of these.

Every event carries the ``tick`` it happened in. Money and prices are integer cents,
quantities integer shares.
"""

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from schemas.base import Message
from schemas.config import SeasonConfig
from schemas.enums import (
    AgentStatus,
    CancelReason,
    Intent,
    NewsCategory,
    Offence,
    OrderType,
    Regime,
    RejectReason,
    Role,
    Sector,
    Side,
    Strategy,
    Verdict,
)


class EventBase(Message):
    type: str
    tick: int


class CompanyListing(Message):
    symbol: str
    name: str
    sector: Sector
    shares_outstanding: int
    revenue: int
    profit: int
    cash: int
    debt: int
    initial_price: int
    volatility_bps: int
    beta_pct: int


class BuiltinAgent(Message):
    agent_id: str
    name: str
    role: Role
    strategy: Strategy
    cash: int
    holdings: dict[str, int]


class SeasonStarted(EventBase):
    type: Literal["SeasonStarted"] = "SeasonStarted"
    command_id: str
    seed: int
    rules_version: int = 1  # the rule set the season runs under; absent in older logs: 1
    config: SeasonConfig
    start_time: str
    companies: tuple[CompanyListing, ...]
    builtin_agents: tuple[BuiltinAgent, ...]


class SeasonEnded(EventBase):
    type: Literal["SeasonEnded"] = "SeasonEnded"
    command_id: str
    reason: str


class AgentRegistered(EventBase):
    type: Literal["AgentRegistered"] = "AgentRegistered"
    command_id: str
    agent_id: str
    name: str
    role: Role
    cash: int
    max_leverage: int
    callback_url: str | None
    api_key_hash: str


class CommandRejected(EventBase):
    """A non-order command that was refused (orders get ``OrderRejected``)."""

    type: Literal["CommandRejected"] = "CommandRejected"
    command_id: str
    agent_id: str
    command_type: str
    reason: RejectReason
    detail: str


class OrderAccepted(EventBase):
    type: Literal["OrderAccepted"] = "OrderAccepted"
    command_id: str
    order_id: int
    agent_id: str
    symbol: str
    intent: Intent
    side: Side
    order_type: OrderType
    quantity: int
    price: int | None
    reserved: int = Field(
        description="buying power held by an open LIMIT or pending STOP BUY/SHORT, in cents"
    )


class OrderRejected(EventBase):
    type: Literal["OrderRejected"] = "OrderRejected"
    command_id: str
    agent_id: str
    command_type: str
    symbol: str | None
    reason: RejectReason
    detail: str


class OrderTriggered(EventBase):
    """A STOP order's trigger price was reached; it now executes as a market order."""

    type: Literal["OrderTriggered"] = "OrderTriggered"
    order_id: int
    symbol: str
    last_price: int = Field(
        description="the trade print that fired it (the last price, for a stop fired on acceptance)"
    )


class TradeExecuted(EventBase):
    type: Literal["TradeExecuted"] = "TradeExecuted"
    trade_id: int
    symbol: str
    price: int
    quantity: int
    buy_order_id: int
    sell_order_id: int
    buyer_id: str
    seller_id: str
    buyer_fee: int
    seller_fee: int
    aggressor: Side


class OrderCancelled(EventBase):
    type: Literal["OrderCancelled"] = "OrderCancelled"
    order_id: int
    agent_id: str
    symbol: str
    remaining: int
    reason: CancelReason
    command_id: str | None = None


class OrderExpired(EventBase):
    """A resting day order left at the close."""

    type: Literal["OrderExpired"] = "OrderExpired"
    order_id: int
    agent_id: str
    symbol: str
    remaining: int


class PositionChanged(EventBase):
    """Summary at tick close of an agent's position in a symbol that traded this tick."""

    type: Literal["PositionChanged"] = "PositionChanged"
    agent_id: str
    symbol: str
    quantity: int
    cash: int


class MarginCalled(EventBase):
    type: Literal["MarginCalled"] = "MarginCalled"
    agent_id: str
    equity: int
    maintenance: int
    deadline_tick: int


class MarginCallMet(EventBase):
    type: Literal["MarginCallMet"] = "MarginCallMet"
    agent_id: str
    equity: int


class PositionLiquidated(EventBase):
    type: Literal["PositionLiquidated"] = "PositionLiquidated"
    agent_id: str
    symbol: str
    quantity: int
    remaining: int


class AgentBankrupted(EventBase):
    type: Literal["AgentBankrupted"] = "AgentBankrupted"
    agent_id: str
    net_worth: int


class AgentStatusChanged(EventBase):
    type: Literal["AgentStatusChanged"] = "AgentStatusChanged"
    agent_id: str
    status: AgentStatus
    reason: str


class BarClosed(EventBase):
    """One tick's OHLCV for a symbol that traded."""

    type: Literal["BarClosed"] = "BarClosed"
    symbol: str
    open: int
    high: int
    low: int
    close: int
    volume: int
    notional: int
    trades: int


class FundamentalsDrifted(EventBase):
    """Each tick's move of every company's fundamental value (cents per share)."""

    type: Literal["FundamentalsDrifted"] = "FundamentalsDrifted"
    fair_values: dict[str, int]


class EarningsReported(EventBase):
    type: Literal["EarningsReported"] = "EarningsReported"
    symbol: str
    quarter: int
    revenue: int
    profit: int
    eps: int
    surprise_bps: int
    fair_value: int


class RegimeChanged(EventBase):
    type: Literal["RegimeChanged"] = "RegimeChanged"
    regime: Regime
    command_id: str | None


class MarketOpened(EventBase):
    type: Literal["MarketOpened"] = "MarketOpened"
    day: int


class MarketClosed(EventBase):
    type: Literal["MarketClosed"] = "MarketClosed"
    day: int


class BorrowFeeCharged(EventBase):
    type: Literal["BorrowFeeCharged"] = "BorrowFeeCharged"
    agent_id: str
    symbol: str
    amount: int


class SocialActionRecorded(EventBase):
    """RUMOR, ALLY, MESSAGE, BRIBE, WHISTLEBLOW or FLEE, validated and recorded.

    Their consequences (news, investigations, transfers) arrive with the legal and social
    system; until then ``note`` says so.
    """

    type: Literal["SocialActionRecorded"] = "SocialActionRecorded"
    command_id: str
    agent_id: str
    action: str
    target_agent_id: str | None = None
    symbol: str | None = None
    amount: int | None = None
    text: str = ""
    note: str


class MessageDelivered(EventBase):
    """MESSAGE's outcome under rules version 2: delivered to the target, privately (the
    SEC can subpoena it: the world keeps a bounded window of recent messages)."""

    type: Literal["MessageDelivered"] = "MessageDelivered"
    command_id: str
    agent_id: str  # the sender
    target_agent_id: str
    message_id: int
    content: str


class AllianceProposed(EventBase):
    """ALLY's outcome when the target has not proposed back (yet): private to both. It
    stands until ``expires_tick``; the target's ALLY by then forms the alliance."""

    type: Literal["AllianceProposed"] = "AllianceProposed"
    command_id: str
    agent_id: str
    target_agent_id: str
    proposal: str
    expires_tick: int


class AllianceDeclined(EventBase):
    """DECLINE_ALLIANCE's outcome: ``agent_id`` turned down ``target_agent_id``'s proposal."""

    type: Literal["AllianceDeclined"] = "AllianceDeclined"
    command_id: str
    agent_id: str
    target_agent_id: str


class AllianceFormed(EventBase):
    """ALLY's outcome when it answers the target's standing proposal. Public."""

    type: Literal["AllianceFormed"] = "AllianceFormed"
    command_id: str
    agent_id: str  # who accepted (proposed back)
    target_agent_id: str  # who proposed first
    proposal: str


class AllianceDissolved(EventBase):
    """DISSOLVE_ALLIANCE's outcome. Public."""

    type: Literal["AllianceDissolved"] = "AllianceDissolved"
    command_id: str
    agent_id: str  # who ended it
    target_agent_id: str


class RumorPublished(EventBase):
    """RUMOR's outcome under rules version 2: a news item attributed to its author, with
    the sentiment the domain scored from its text (-100..100, domain/rules/sentiment.py)
    and the shift of the built-in traders' valuation it starts (``impulse_bps``, decaying;
    domain/rules/rumors.py). Public."""

    type: Literal["RumorPublished"] = "RumorPublished"
    command_id: str
    agent_id: str
    rumor_id: int
    symbol: str
    content: str
    sentiment: int
    weight_pct: int
    impulse_bps: int


class ReputationChanged(EventBase):
    """An agent's public reputation moved (0..100, domain/rules/reputation.py)."""

    type: Literal["ReputationChanged"] = "ReputationChanged"
    agent_id: str
    delta: int
    reputation: int  # after the change
    cause: str  # the command type or rule that moved it, e.g. "RUMOR"


class SuspicionRaised(EventBase):
    """The SEC's surveillance saw a pattern: who, what, how sure, and the evidence.

    ``confidence_pct`` is an integer 0..100 (the domain has no floats in its decisions);
    the references name the exact trades, orders and ticks; ``reason`` is one line a
    person can read. The investigation rules open or strengthen a case from it.
    """

    type: Literal["SuspicionRaised"] = "SuspicionRaised"
    suspicion_id: int
    offence: Offence
    suspect_id: str
    accomplice_ids: list[str] = []
    symbol: str | None = None
    confidence_pct: int
    trade_ids: list[int] = []
    order_ids: list[int] = []
    ticks: list[int] = []
    reason: str


# The legal system (rules version 2): every step of a case is one of these, each with the
# case id, a reason a person can read and, where there is evidence, its references.


class EvidenceRefs(Message):
    """What a piece of evidence points at: trades, orders, ticks, messages, an accuser."""

    trade_ids: list[int] = []
    order_ids: list[int] = []
    ticks: list[int] = []
    message_ids: list[int] = []
    suspicion_id: int | None = None


class CaseOpened(EventBase):
    type: Literal["CaseOpened"] = "CaseOpened"
    case_id: int
    suspect_id: str
    offence: Offence
    opened_by: str = Field(description="'sec' (surveillance), or the accusing/investigating agent")
    investigator_id: str = Field(description="who works the case: 'sec' or an investigator agent")
    reason: str


class EvidenceAdded(EventBase):
    type: Literal["EvidenceAdded"] = "EvidenceAdded"
    case_id: int
    source: str = Field(description="suspicion, whistleblow, subpoena, investigator or bribe")
    submitted_by: str
    weight: int
    strength: int = Field(description="the case's evidence strength after it, 0..100")
    refs: EvidenceRefs = EvidenceRefs()
    reason: str


class SuspectCharged(EventBase):
    type: Literal["SuspectCharged"] = "SuspectCharged"
    case_id: int
    suspect_id: str
    offence: Offence
    strength: int
    trial_tick: int
    reason: str


class AssetsFrozen(EventBase):
    """The agent can neither place orders nor move money until ``AssetsUnfrozen``."""

    type: Literal["AssetsFrozen"] = "AssetsFrozen"
    case_id: int
    agent_id: str
    reason: str


class AssetsUnfrozen(EventBase):
    type: Literal["AssetsUnfrozen"] = "AssetsUnfrozen"
    case_id: int
    agent_id: str
    reason: str


class CaseStalled(EventBase):
    """An uncaught bribe pushed the case's next step back."""

    type: Literal["CaseStalled"] = "CaseStalled"
    case_id: int
    until_tick: int
    reason: str


class BribePaid(EventBase):
    """Money moved: to the target, or into escrow (``escrow``) for an SEC investigator."""

    type: Literal["BribePaid"] = "BribePaid"
    agent_id: str
    target_agent_id: str
    amount: int
    escrow: bool
    case_id: int | None = None
    catch_pct: int = 0


class BribeCaught(EventBase):
    """The bribe was seen: the escrow is forfeited to ``house:fines`` and a bribery case
    opens against the briber."""

    type: Literal["BribeCaught"] = "BribeCaught"
    agent_id: str
    target_agent_id: str
    amount: int
    case_id: int | None
    catch_pct: int
    reason: str


class EscrowReleased(EventBase):
    """A case ended: an uncaught bribe's escrow goes to ``to`` (the investigator agent, or
    ``house:fines`` for the built-in SEC)."""

    type: Literal["EscrowReleased"] = "EscrowReleased"
    case_id: int
    to: str
    amount: int


class VerdictReached(EventBase):
    type: Literal["VerdictReached"] = "VerdictReached"
    case_id: int
    suspect_id: str
    offence: Offence
    verdict: Verdict
    strength: int
    roll: int = Field(description="the court's seeded die, 0..99 (-1: no trial)")
    fine: int
    prison_ticks: int
    prior_convictions: int
    reason: str


class FinePaid(EventBase):
    type: Literal["FinePaid"] = "FinePaid"
    case_id: int
    agent_id: str
    amount: int


class RewardPaid(EventBase):
    """A whistleblower's share of a convicted case's fine, from ``house:fines``."""

    type: Literal["RewardPaid"] = "RewardPaid"
    case_id: int
    agent_id: str
    amount: int


class AgentImprisoned(EventBase):
    type: Literal["AgentImprisoned"] = "AgentImprisoned"
    case_id: int
    agent_id: str
    release_tick: int
    reason: str


class AgentReleased(EventBase):
    type: Literal["AgentReleased"] = "AgentReleased"
    agent_id: str
    case_id: int
    reason: str


class AgentFled(EventBase):
    """The agent left the market: status FLED, assets frozen for good, off the leaderboard."""

    type: Literal["AgentFled"] = "AgentFled"
    agent_id: str
    destination: str
    case_id: int | None
    escape_pct: int
    roll: int
    reason: str


class FlightFailed(EventBase):
    """Caught at the border: straight to prison (an ``AgentImprisoned`` follows)."""

    type: Literal["FlightFailed"] = "FlightFailed"
    agent_id: str
    destination: str
    case_id: int
    escape_pct: int
    roll: int
    reason: str


class CeoAppointed(EventBase):
    """A registered CEO runs one listed company (and sees its earnings early)."""

    type: Literal["CeoAppointed"] = "CeoAppointed"
    agent_id: str
    symbol: str


class EarningsPreviewed(EventBase):
    """Private to the company's CEO: the earnings surprise due at ``report_tick``."""

    type: Literal["EarningsPreviewed"] = "EarningsPreviewed"
    agent_id: str
    symbol: str
    quarter: int
    report_tick: int
    surprise_bps: int


class NewsPublished(EventBase):
    """Rules v2: a story about something the tick decided (domain/rules/news.py). The
    built-in traders shift their valuation of ``symbols`` by ``impulse_bps``, decaying."""

    type: Literal["NewsPublished"] = "NewsPublished"
    news_id: str = Field(description="'<tick>.<n>': the n-th story of the tick, from 1")
    category: NewsCategory
    headline: str
    summary: str
    symbols: list[str] = []
    agent_ids: list[str] = []
    sentiment: int = Field(ge=-100, le=100)
    impulse_bps: int = Field(description="valuation shift per symbol, decaying; 0: none")
    source: str = Field(description="the type of the event the story reports")


class ArticlePublished(EventBase):
    """Rules v2: the newsroom's PUBLISH_ARTICLE accepted: story ``news_id`` now reads
    ``headline`` and ``summary`` (its valuation impulse stays the template's)."""

    type: Literal["ArticlePublished"] = "ArticlePublished"
    command_id: str
    agent_id: str
    news_id: str
    headline: str
    summary: str
    sentiment: int = Field(ge=-100, le=100, description="the writer's; moves no valuation")
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_microdollars: int = 0


class SeasonConfigured(EventBase):
    """An operator's CONFIGURE_SEASON took effect at the start of this tick."""

    type: Literal["SeasonConfigured"] = "SeasonConfigured"
    command_id: str
    config: SeasonConfig
    rules_version: int


class TickClosed(EventBase):
    type: Literal["TickClosed"] = "TickClosed"
    sim_time: str
    first_command_seq: int
    last_command_seq: int
    commands: int
    events: int
    state_hash: str


Event = Annotated[
    SeasonStarted
    | SeasonEnded
    | AgentRegistered
    | CommandRejected
    | OrderAccepted
    | OrderRejected
    | OrderTriggered
    | TradeExecuted
    | OrderCancelled
    | OrderExpired
    | PositionChanged
    | MarginCalled
    | MarginCallMet
    | PositionLiquidated
    | AgentBankrupted
    | AgentStatusChanged
    | BarClosed
    | FundamentalsDrifted
    | EarningsReported
    | RegimeChanged
    | MarketOpened
    | MarketClosed
    | BorrowFeeCharged
    | SocialActionRecorded
    | MessageDelivered
    | AllianceProposed
    | AllianceDeclined
    | AllianceFormed
    | AllianceDissolved
    | RumorPublished
    | ReputationChanged
    | SuspicionRaised
    | CaseOpened
    | EvidenceAdded
    | SuspectCharged
    | AssetsFrozen
    | AssetsUnfrozen
    | CaseStalled
    | BribePaid
    | BribeCaught
    | EscrowReleased
    | VerdictReached
    | FinePaid
    | RewardPaid
    | AgentImprisoned
    | AgentReleased
    | AgentFled
    | FlightFailed
    | CeoAppointed
    | EarningsPreviewed
    | NewsPublished
    | ArticlePublished
    | SeasonConfigured
    | TickClosed,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(raw: bytes) -> Event:
    return EVENT_ADAPTER.validate_json(raw)
