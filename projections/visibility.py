"""Who may see what of an event on the live feeds: the one place that decides it.

Public channels (``tick``, ``market``, ``market:SYM``, ``news``, ``trades``,
``leaderboard``) carry what every spectator may know; ``agent:<id>`` carries an agent's
own business. A trade is both: its public view names the symbol, price, quantity, tick,
trade id and aggressor side, never the counterparties, their orders or their fees (so
holdings cannot be rebuilt from the public tape); each party gets the whole fill on its
own channel. Fundamentals are private and never leave the engine: no reader shows a
company's fair value (the SSE hub, the webhooks and ``/market/stocks/{symbol}`` all strip
``PRIVATE_FIELDS``), so a value trader must estimate it, as on a real exchange. A built-in
agent's strategy is public, except a seeded crook's: it shows the honest strategy it
passes for (``public_strategy``); the genesis event that records the truth is on no
channel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from domain.traders.registry import TRADERS
from schemas import events as ev
from schemas.enums import Strategy
from schemas.events import (
    AgentBankrupted,
    AgentRegistered,
    AgentStatusChanged,
    AllianceDeclined,
    AllianceDissolved,
    AllianceFormed,
    AllianceProposed,
    ArticlePublished,
    BarClosed,
    BorrowFeeCharged,
    CommandRejected,
    EarningsReported,
    Event,
    MarginCalled,
    MarginCallMet,
    MarketClosed,
    MarketOpened,
    MessageDelivered,
    NewsPublished,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderRejected,
    PositionChanged,
    PositionLiquidated,
    RegimeChanged,
    ReputationChanged,
    RumorPublished,
    SeasonEnded,
    SocialActionRecorded,
    TickClosed,
    TradeExecuted,
)

__all__ = [
    "ANONYMOUS",
    "LEGAL_ALERTS",
    "PRIVATE_COMPANY_FIELDS",
    "PUBLIC_TRADE_FIELDS",
    "View",
    "anonymous_evidence",
    "channels_of",
    "legal_alert_recipients",
    "message_for_target",
    "public_company",
    "public_strategy",
    "public_trade",
    "views",
]

# What the public tape shows of a trade.
PUBLIC_TRADE_FIELDS = ("type", "tick", "trade_id", "symbol", "price", "quantity", "aggressor")

# What no reader sees of a company: the engine's fundamental value.
PRIVATE_COMPANY_FIELDS = ("fair_value",)
# Public events that carry a private field, and the fields their public view drops.
_PRIVATE_FIELDS: dict[type[Event], tuple[str, ...]] = {EarningsReported: PRIVATE_COMPANY_FIELDS}

_AGENT_PRIVATE = (
    OrderAccepted,
    OrderRejected,
    OrderCancelled,
    OrderExpired,
    PositionChanged,
    MarginCalled,
    MarginCallMet,
    PositionLiquidated,
    AgentBankrupted,
    AgentStatusChanged,
    BorrowFeeCharged,
    CommandRejected,
    AgentRegistered,
    ReputationChanged,  # public too: on the agent's profile and the leaderboard rows
)
# The legal system: what the public ``legal`` channel carries (cases, evidence, charges,
# verdicts, sentences, flights, caught bribes), each also on the named agents' own
# channels; what stays private (a paid bribe: briber and target; a CEO's preview: the CEO;
# a stall and an escrow's release: the engine's own).
_LEGAL_PUBLIC = (
    ev.CaseOpened,
    ev.EvidenceAdded,
    ev.SuspectCharged,
    ev.AssetsFrozen,
    ev.AssetsUnfrozen,
    ev.VerdictReached,
    ev.FinePaid,
    ev.AgentImprisoned,
    ev.AgentReleased,
    ev.AgentFled,
    ev.FlightFailed,
    ev.BribeCaught,
    ev.CeoAppointed,
)
# Every legal event an agent is alerted of (its private channel and its webhook alerts).
LEGAL_ALERTS = (*_LEGAL_PUBLIC, ev.BribePaid, ev.EarningsPreviewed, ev.RewardPaid)
# A whistleblower is anonymous: what every reader shows of the evidence it gave.
ANONYMOUS = "whistleblower"
# Social actions the target must learn of (a whistleblower stays anonymous).
_TARGET_SEES = frozenset({"MESSAGE", "ALLY", "BRIBE"})


def channels_of(event: Event) -> frozenset[str]:
    """The channels an event is published on (empty: private to the engine)."""
    match event:
        case TickClosed():
            return frozenset({"tick"})
        case BarClosed():
            return frozenset({"market", f"market:{event.symbol}"})
        case TradeExecuted():
            # The union of its views' channels (see ``views``).
            return frozenset(
                {
                    "trades",
                    f"market:{event.symbol}",
                    f"agent:{event.buyer_id}",
                    f"agent:{event.seller_id}",
                }
            )
        case EarningsReported():
            return frozenset({"market", "news", f"market:{event.symbol}"})
        case RegimeChanged():
            return frozenset({"market", "news"})
        case MarketOpened() | MarketClosed() | SeasonEnded():
            return frozenset({"market"})
        case NewsPublished():  # the news feed, and the market of each symbol concerned
            return frozenset({"news", *(f"market:{symbol}" for symbol in event.symbols)})
        case ArticlePublished():  # the newsroom's rewording of a story on the feed
            return frozenset({"news"})
        case RumorPublished():  # a news item, attributed to its author
            return frozenset({"news", f"market:{event.symbol}", f"agent:{event.agent_id}"})
        case AllianceFormed() | AllianceDissolved():  # alliances are public
            return frozenset({"news", f"agent:{event.agent_id}", f"agent:{event.target_agent_id}"})
        case MessageDelivered() | AllianceProposed() | AllianceDeclined():  # the two only
            return frozenset({f"agent:{event.agent_id}", f"agent:{event.target_agent_id}"})
        case SocialActionRecorded():
            out = {f"agent:{event.agent_id}"}
            if event.action == "RUMOR":
                out.add("news")
            if event.target_agent_id and event.action in _TARGET_SEES:
                out.add(f"agent:{event.target_agent_id}")
            return frozenset(out)
        case ev.BribePaid():
            return frozenset({f"agent:{event.agent_id}", f"agent:{event.target_agent_id}"})
        case ev.EarningsPreviewed() | ev.RewardPaid():
            return frozenset({f"agent:{event.agent_id}"})
        case _ if isinstance(event, _LEGAL_PUBLIC):
            return frozenset({"legal", *(f"agent:{a}" for a in legal_parties(event))})
        case _ if isinstance(event, _AGENT_PRIVATE):
            return frozenset({f"agent:{event.agent_id}"})
        case _:
            return frozenset()


def message_for_target(event: Event) -> tuple[str, dict[str, Any]] | None:
    """(target agent id, the entry) when ``event`` is something aimed at another agent
    that belongs in the target's ``TickWebhook.messages``: a message, an alliance
    proposal, acceptance, refusal or ending, a bribe; None for anything else (a
    whistleblower stays anonymous)."""
    entry: dict[str, Any]
    match event:
        case MessageDelivered():
            entry = {"action": "MESSAGE", "message_id": event.message_id, "text": event.content}
        case AllianceProposed() | AllianceFormed():
            entry = {"action": event.type, "text": event.proposal}
        case AllianceDeclined() | AllianceDissolved():
            entry = {"action": event.type, "text": ""}
        case SocialActionRecorded() if event.target_agent_id and event.action in _TARGET_SEES:
            entry = {"action": event.action, "text": event.text, "amount": event.amount}
        case _:
            return None
    target: str = event.target_agent_id  # type: ignore[assignment]  # set in every case
    return target, {"tick": event.tick, "from_agent_id": event.agent_id, **entry}


def legal_parties(event: Event) -> tuple[str, ...]:
    """The agents a public legal event concerns: each gets it on its own channel (and as
    a webhook alert). A whistleblower is not named to anyone but itself."""
    suspect = getattr(event, "suspect_id", None)
    agent = getattr(event, "agent_id", None)
    return tuple(a for a in (suspect, agent) if a is not None)


def legal_alert_recipients(event: Event) -> tuple[str, ...]:
    """The agents alerted of a legal event (webhook alerts): those whose own channel
    carries it, in a fixed order; none for any other event."""
    if not isinstance(event, LEGAL_ALERTS):
        return ()
    return tuple(sorted(c[len("agent:") :] for c in channels_of(event) if c.startswith("agent:")))


@dataclass(frozen=True, slots=True)
class View:
    """One rendering of an event (``data``: its JSON) for the readers of ``channels``."""

    channels: frozenset[str]
    data: str


def public_trade(event: TradeExecuted) -> str:
    """A trade as the public channels show it: no counterparties, orders or fees."""
    shown = event.model_dump(mode="json", include=set(PUBLIC_TRADE_FIELDS))
    return json.dumps({name: shown[name] for name in PUBLIC_TRADE_FIELDS}, separators=(",", ":"))


def public_strategy(strategy: str) -> str:
    """The strategy a built-in agent shows in public: a seeded crook passes for the honest
    strategy whose ids it shares (its real one is the ground truth, for scorers only)."""
    trader = TRADERS.get(Strategy(strategy))
    return str(trader.public_strategy if trader is not None else strategy)


def public_company(row: dict[str, Any]) -> dict[str, Any]:
    """A company's read-model row without what only the engine may know."""
    return {name: value for name, value in row.items() if name not in PRIVATE_COMPANY_FIELDS}


def _without_private(event: Event, raw: str) -> str:
    hidden = _PRIVATE_FIELDS.get(type(event))
    if not hidden:
        return raw
    shown = {k: v for k, v in json.loads(raw).items() if k not in hidden}
    return json.dumps(shown, separators=(",", ":"))


def views(event: Event, raw: str) -> list[View]:
    """The renderings of ``event`` (stored as ``raw``), most complete first: a reader on
    several of their channels receives only the first that concerns it."""
    if isinstance(event, TradeExecuted):
        return [
            View(frozenset({f"agent:{event.buyer_id}", f"agent:{event.seller_id}"}), raw),
            View(frozenset({"trades", f"market:{event.symbol}"}), public_trade(event)),
        ]
    channels = channels_of(event)
    if isinstance(event, ev.EvidenceAdded):
        return [View(channels, anonymous_evidence(event, raw))]
    return [View(channels, _without_private(event, raw))] if channels else []


def anonymous_evidence(event: ev.EvidenceAdded, raw: str) -> str:
    """Evidence as every reader sees it: a whistleblower's id is never shown."""
    if event.source != "whistleblow":
        return raw
    shown = json.loads(raw)
    shown["submitted_by"] = ANONYMOUS
    return json.dumps(shown, separators=(",", ":"))
