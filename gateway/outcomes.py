"""Commands' outcomes as the gateway sees them: which event answers which command.

``outcome_of`` maps an event to the outcome row it records (the same rows the relational
projection keeps in its ``actions`` table); ``OutcomeIndex`` keeps the most recent ones
in memory, so ``GET /api/v1/actions/{id}`` answers within a tick of the close.
"""

from __future__ import annotations

from collections import OrderedDict

from projections.relational.queries import ActionOutcome
from schemas import events as ev
from schemas.commands import OPERATOR_ID

__all__ = ["OutcomeIndex", "outcome_of"]

Key = tuple[str, str]  # (agent id, command id)


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
        case ev.SeasonStarted():
            return _row(seq, e, OPERATOR_ID, e.command_id, "START_SEASON")
        case ev.SeasonEnded():
            return _row(seq, e, OPERATOR_ID, e.command_id, "STOP_SEASON")
        case ev.RegimeChanged() if e.command_id is not None:
            return _row(seq, e, OPERATOR_ID, e.command_id, "SET_REGIME")
    return None


class OutcomeIndex:
    """The last ``capacity`` outcomes by (agent, command id), oldest evicted first.

    ``horizon`` is the highest event sequence evicted: an outcome at or below it may only
    be found in the relational read model.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.horizon = 0
        self._rows: OrderedDict[Key, ActionOutcome] = OrderedDict()

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, outcome: ActionOutcome) -> None:
        key = (outcome.agent_id, outcome.command_id)
        if key in self._rows:
            return  # the first outcome is the command's answer
        self._rows[key] = outcome
        while len(self._rows) > self.capacity:
            _, old = self._rows.popitem(last=False)
            self.horizon = max(self.horizon, old.seq)

    def get(self, agent_id: str, command_id: str) -> ActionOutcome | None:
        return self._rows.get((agent_id, command_id))
