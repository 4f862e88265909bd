"""The gateway's request and response bodies (the OpenAPI document is built from these).

Read models from ``projections.relational.queries`` (``StockView``, ``NewsItem``...) are
returned as they are; the models here are the gateway's own shapes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from projections.relational.queries import (
    ActionOutcome,
    AllianceView,
    HoldingView,
    LeaderboardEntry,
    MessageView,
    NewsItem,
    OrderView,
    StockView,
)
from projections.relational.views import InvestigationView, PrisonerView, WantedView
from schemas import limits
from schemas.commands import PRINTABLE

__all__ = [
    "CALLBACK_URL_PATTERN",
    "AcceptedAction",
    "ActionStatus",
    "ActionsAccepted",
    "AgentList",
    "AgentPublic",
    "AllianceList",
    "Bar",
    "BookLevel",
    "ErrorBody",
    "FieldError",
    "Freshness",
    "History",
    "InvestigationList",
    "LeaderboardOut",
    "MessageList",
    "MostWanted",
    "NewsList",
    "OrderBook",
    "PortfolioOut",
    "PrisonList",
    "RegisterRequest",
    "RegisterResponse",
    "RegistrableRole",
    "SeasonList",
    "SeasonOut",
    "StockList",
    "TickWebhook",
    "VerifyRequest",
    "VerifyResponse",
    "WebhookReply",
    "WebhookWorld",
    "WorldTick",
]


class Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# Roles an external agent may register as: domain.rules.roles.REGISTRABLE_ROLES (a test checks).
RegistrableRole = Literal[
    "hedge_fund_manager",
    "retail_trader",
    "ceo",
    "investment_banker",
    "financial_journalist",
    "sec_investigator",
    "whistleblower",
    "quant",
    "influencer",
]


class FieldError(Body):
    loc: str
    msg: str
    type: str


class ErrorBody(Body):
    error: str = Field(description="machine-readable code, e.g. rate_limited")
    detail: str
    fields: list[FieldError] | None = None


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PORT = r"(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
# The callback URLs the schema promises to take: http(s), a DNS name or IPv4 address, an
# optional port, then printable ASCII; no credentials, no spaces. Documented, not enforced
# here: gateway.callbacks decides (code callback_not_allowed) and takes all of these
# unless the host is private or does not resolve.
CALLBACK_URL_PATTERN = rf"^https?://{_LABEL}(?:\.{_LABEL})*(?::{_PORT})?(?:[/?#][!-~]*)?$"


class RegisterRequest(Body):
    name: Annotated[str, Field(min_length=1, max_length=limits.MAX_NAME_CHARS), PRINTABLE]
    role: RegistrableRole
    callback_url: (
        Annotated[str, Field(max_length=2048, json_schema_extra={"pattern": CALLBACK_URL_PATTERN})]
        | None
    ) = Field(default=None, description="http(s) URL that receives a signed TickWebhook every tick")


class RegisterResponse(Body):
    agent_id: str
    name: str
    role: str
    api_key: str = Field(
        description="shown once (again only to a retry with the same Idempotency-Key): "
        "only its sha256 is stored"
    )
    webhook_secret: str = Field(description="HMAC-SHA256 key of the X-WSS-Signature header")
    command_id: str
    projected: bool = Field(description="false: accepted, still on its way to the read model")


class VerifyRequest(Body):
    api_key: Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[!-~]+$")]


class VerifyResponse(Body):
    agent_id: str
    valid: bool = True


class Freshness(Body):
    """The world a read reflects: the tick closed and the event sequence it stands at."""

    as_of_tick: int | None = Field(
        default=None, description="the last closed tick this answer reflects"
    )
    as_of_seq: int | None = Field(
        default=None, description="the event-stream sequence this answer reflects"
    )


class AgentPublic(Freshness):
    agent_id: str
    name: str
    role: str
    status: str
    builtin: bool
    strategy: str | None
    registered_tick: int
    reputation: int = Field(50, description="public, 0..100; every agent starts at 50")


class AgentList(Body):
    agents: list[AgentPublic]


class PortfolioOut(Freshness):
    """Everyone sees net worth and return; the owner (with its key) sees everything."""

    agent_id: str
    private: bool
    net_worth: int
    holdings_value: int
    return_bps: int
    cash: int | None = None
    buying_power: int | None = Field(
        default=None,
        description="owner only: exposure you may still add, in cents "
        "(equity x max leverage - gross exposure - held by open orders)",
    )
    holdings: list[HoldingView] | None = None
    open_orders: list[OrderView] | None = None


class BookLevel(Body):
    price: int
    quantity: int
    orders: int


class OrderBook(Body):
    symbol: str
    bids: list[BookLevel] = Field(description="best (highest) first")
    asks: list[BookLevel] = Field(description="best (lowest) first")


class Bar(Body):
    tick: int
    end_tick: int
    open: int
    high: int
    low: int
    close: int
    volume: int
    notional: int
    trades: int


class History(Body):
    symbol: str
    interval: Literal["1m", "1h", "1d"]
    source: Literal["analytics", "relational"]
    bars: list[Bar]


class AcceptedAction(Body):
    command_id: str
    type: str
    seq: int = Field(description="position in the season's command stream")
    duplicate: bool = Field(description="true: already received, this request did not act")


class ActionsAccepted(Body):
    agent_id: str
    actions: list[AcceptedAction]


class ActionStatus(Freshness):
    command_id: str
    status: Literal["pending", "accepted", "rejected"]
    outcome: ActionOutcome | None


class WorldTick(Body):
    tick: int
    sim_time: str
    market_open: bool
    as_of_seq: int | None = Field(
        default=None, description="the event-stream sequence of that tick's TickClosed"
    )


class Ready(Body):
    status: Literal["ready"] = "ready"


class FailingTask(Body):
    name: str = Field(description="the read-side task, e.g. relational")
    seq: int | None = Field(description="stream sequence of the event it failed at")
    error: str
    since: float = Field(description="Unix time of the first failure")
    attempts: int


class NotReady(Body):
    error: Literal["not_ready"] = "not_ready"
    detail: str
    failing: list[FailingTask]


class SeasonOut(Body):
    season: str
    seed: int
    status: str
    created: str
    tick: int
    state_hash: str
    current: bool


# --- webhooks ---------------------------------------------------------------------------


class WebhookWorld(Body):
    regime: str
    market_open: bool
    day: int


class TickWebhook(Body):
    """POSTed to an agent's callback_url after every tick, signed with X-WSS-Signature."""

    season: str
    tick: int
    since_tick: int = Field(
        description="messages and alerts cover ticks since_tick..tick: everything since "
        "the last webhook delivered to you (ticks skipped under load included)"
    )
    sim_time: str
    agent_id: str
    portfolio: PortfolioOut | None
    market: list[StockView] = Field(description="the watchlist: every listed stock's prices")
    world: WebhookWorld | None
    news: list[NewsItem]
    messages: list[dict[str, Any]] = Field(description="messages, alliances, bribes to you")
    alerts: list[dict[str, Any]] = Field(
        description="your fills, rejections, margin calls; under rules version 2 also the "
        "legal events that name you (cases, charges, freezes, verdicts, fines, prison, "
        "flight, bribes, rewards, a CEO's earnings preview), each {alert: <event type>, ...}"
    )
    dropped: int = Field(
        description="oldest alerts/messages dropped because more than 500 of a kind were "
        "waiting for you (your endpoint failed for a long time)"
    )


class WebhookReply(BaseModel):
    """What an agent may answer a webhook with: actions for the next tick (checked like a
    POST /api/v1/actions batch; refused ones come back as ReplyRefused alerts)."""

    model_config = ConfigDict(extra="ignore")
    actions: list[Any] = Field(default_factory=list)


class StockList(Body):
    stocks: list[StockView]


class LeaderboardOut(Body):
    entries: list[LeaderboardEntry]


class NewsList(Body):
    news: list[NewsItem]


class MessageList(Body):
    """Messages delivered to the agent, newest first (owner only)."""

    messages: list[MessageView]


class AllianceList(Body):
    """Alliances in the order they formed; dissolved ones with ``include_dissolved``."""

    alliances: list[AllianceView]


class SeasonList(Body):
    seasons: list[SeasonOut]


class InvestigationList(Body):
    """Cases of the legal system (rules v2), newest first (evidence: the case's own page)."""

    investigations: list[InvestigationView]


class PrisonList(Body):
    """Who is in prison now, the soonest release first."""

    prisoners: list[PrisonerView]


class MostWanted(Body):
    """Agents with open cases: fugitives first, then by their strongest case."""

    wanted: list[WantedView]
