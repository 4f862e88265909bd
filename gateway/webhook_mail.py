"""Per-agent webhook mail: alerts and messages kept until a webhook delivered them.

Events are sorted to the agents they concern while a tick's events stream by; at
``TickClosed`` the tick's mail joins what is waiting. A fan-out takes everything waiting
(so a tick skipped while the last fan-out was still running is covered by the next one),
and puts back what it could not deliver, ahead of anything newer. Each agent's mail says
from which tick it covers (``since_tick``: the tick after the last one delivered to it).
Mail of an agent without a webhook (no callback, not active) is dropped at each fan-out.
At most ``cap`` alerts and ``cap`` messages wait per agent; beyond that the oldest go and
are counted in ``dropped`` (an endpoint down for hours must not grow memory without end).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from projections.visibility import legal_alert_recipients, message_for_target
from schemas import events as ev

__all__ = ["MAX_WAITING", "Mail", "Mailboxes"]

MAX_WAITING = 500
_ALERTS = (
    ev.OrderAccepted,
    ev.OrderRejected,
    ev.CommandRejected,
    ev.OrderCancelled,
    ev.OrderExpired,
    ev.MarginCalled,
    ev.MarginCallMet,
    ev.PositionLiquidated,
    ev.AgentBankrupted,
    ev.AgentStatusChanged,
    ev.SocialActionRecorded,
    ev.MessageDelivered,
    ev.AllianceProposed,
    ev.AllianceDeclined,
    ev.AllianceFormed,
    ev.AllianceDissolved,
    ev.RumorPublished,
    ev.ReputationChanged,
)


@dataclass(slots=True)
class Mail:
    """What waits for one agent, oldest first."""

    alerts: deque[dict[str, Any]] = field(default_factory=deque)
    messages: deque[dict[str, Any]] = field(default_factory=deque)
    dropped: int = 0

    def extend(self, newer: Mail, cap: int) -> None:
        """Append ``newer`` (mail of later ticks), keeping at most ``cap`` of each kind."""
        self.alerts.extend(newer.alerts)
        self.messages.extend(newer.messages)
        self.dropped += newer.dropped
        for queue in (self.alerts, self.messages):
            while len(queue) > cap:
                queue.popleft()
                self.dropped += 1


class Mailboxes:
    def __init__(self, start_tick: int, cap: int = MAX_WAITING) -> None:
        """``start_tick``: the last tick before the first one collected whole."""
        self.start_tick, self.cap = start_tick, cap
        self._open: dict[str, Mail] = defaultdict(Mail)  # the tick in progress
        self._waiting: dict[str, Mail] = {}  # closed ticks, not yet delivered
        self._settled: dict[str, int] = {}  # agent → last tick its mail was settled

    def add(self, event: ev.Event) -> None:
        """Sort one (non-``TickClosed``) event to the agents it concerns."""
        if isinstance(event, ev.TradeExecuted):
            fill = {"alert": "fill", **event.model_dump(mode="json")}
            self._open[event.buyer_id].alerts.append(fill)
            if event.seller_id != event.buyer_id:
                self._open[event.seller_id].alerts.append(fill)
            return
        if isinstance(event, _ALERTS):
            self._open[event.agent_id].alerts.append(
                {"alert": event.type, **event.model_dump(mode="json")}
            )
        for agent_id in legal_alert_recipients(event):  # cases, verdicts, prison, bribes
            self._open[agent_id].alerts.append(
                {"alert": event.type, **event.model_dump(mode="json")}
            )
        aimed = message_for_target(event)
        if aimed is not None:
            target, entry = aimed
            self._open[target].messages.append(entry)

    def alert(self, agent_id: str, alert: dict[str, Any]) -> None:
        """An alert the gateway itself raises (a refused webhook reply), for the next webhook."""
        self._open[agent_id].alerts.append(alert)

    def close_tick(self) -> None:
        """The tick in progress closed: its mail joins what is waiting."""
        for agent_id, mail in self._open.items():
            self._put(agent_id, mail)
        self._open.clear()

    def take_all(self) -> dict[str, Mail]:
        """Everything waiting, for one fan-out (what it does not put back is gone)."""
        taken, self._waiting = self._waiting, {}
        return taken

    def since_tick(self, agent_id: str) -> int:
        return self._settled.get(agent_id, self.start_tick) + 1

    def settle(self, agent_id: str, tick: int) -> None:
        """The agent's mail up to ``tick`` is done with: delivered, or dropped because the
        agent had no webhook then (so the next webhook does not claim to cover it)."""
        self._settled[agent_id] = tick

    def put_back(self, agent_id: str, mail: Mail) -> None:
        """Undelivered mail goes back ahead of whatever arrived since it was taken."""
        newer = self._waiting.pop(agent_id, None)
        if newer is not None:
            mail.extend(newer, self.cap)
        self._waiting[agent_id] = mail

    def _put(self, agent_id: str, mail: Mail) -> None:
        waiting = self._waiting.get(agent_id)
        if waiting is None:
            self._waiting[agent_id] = waiting = Mail()
        waiting.extend(mail, self.cap)
