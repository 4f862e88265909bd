"""Which event answers which command, and the outcome row it records.

One mapping for both readers of outcomes: the relational projection's ``actions`` table
(``fold.py``) and the gateway's in-memory index of recent outcomes (``gateway.liveworld``).
"""

from __future__ import annotations

from projections.relational.views import ActionOutcome
from schemas import events as ev
from schemas.commands import OPERATOR_ID

__all__ = ["outcome_of"]


def _row(
    seq: int,
    e: ev.EventBase,
    agent_id: str,
    command_id: str,
    command_type: str,
    *,
    reason: str | None = None,
    detail: str | None = None,
    order_id: int | None = None,
) -> ActionOutcome:
    return ActionOutcome(
        seq=seq,
        tick=e.tick,
        agent_id=agent_id,
        command_id=command_id,
        command_type=command_type,
        event_type=e.type,
        status="rejected" if reason else "accepted",
        reason=reason,
        detail=detail,
        order_id=order_id,
    )


def outcome_of(seq: int, e: ev.EventBase) -> ActionOutcome | None:
    """The outcome ``e`` gives a command, or None if it answers none."""
    match e:
        case ev.OrderAccepted():
            return _row(seq, e, e.agent_id, e.command_id, e.intent.value, order_id=e.order_id)
        case ev.OrderRejected() | ev.CommandRejected():
            return _row(
                seq, e, e.agent_id, e.command_id, e.command_type, reason=e.reason.value,
                detail=e.detail,
            )  # fmt: skip
        case ev.OrderCancelled() if e.command_id is not None:
            return _row(seq, e, e.agent_id, e.command_id, "CANCEL_ORDER", order_id=e.order_id)
        case ev.AgentRegistered():
            return _row(seq, e, e.agent_id, e.command_id, "REGISTER_AGENT")
        case ev.SocialActionRecorded():
            return _row(seq, e, e.agent_id, e.command_id, e.action, detail=e.note)
        case ev.MessageDelivered():
            return _row(seq, e, e.agent_id, e.command_id, "MESSAGE")
        case ev.AllianceProposed() | ev.AllianceFormed():
            return _row(seq, e, e.agent_id, e.command_id, "ALLY")
        case ev.AllianceDeclined():
            return _row(seq, e, e.agent_id, e.command_id, "DECLINE_ALLIANCE")
        case ev.AllianceDissolved():
            return _row(seq, e, e.agent_id, e.command_id, "DISSOLVE_ALLIANCE")
        case ev.RumorPublished():
            return _row(seq, e, e.agent_id, e.command_id, "RUMOR")
        case ev.SeasonStarted():
            return _row(seq, e, OPERATOR_ID, e.command_id, "START_SEASON")
        case ev.SeasonEnded():
            return _row(seq, e, OPERATOR_ID, e.command_id, "STOP_SEASON")
        case ev.RegimeChanged() if e.command_id is not None:
            return _row(seq, e, OPERATOR_ID, e.command_id, "SET_REGIME")
    return None
