"""Which stored rows a legal event touches, for ``batch.collect_keys`` (its own module:
the legal fold handlers import the batch state)."""

from __future__ import annotations

from typing import Any

from schemas import events as ev

__all__ = ["LEGAL_KEYED", "legal_keys"]

LEGAL_KEYED: frozenset[type[Any]] = frozenset(
    {
        ev.EvidenceAdded,
        ev.SuspectCharged,
        ev.CaseStalled,
        ev.VerdictReached,
        ev.AgentImprisoned,
        ev.AgentReleased,
        ev.AgentFled,
        ev.BribeCaught,
        ev.FinePaid,
        ev.RewardPaid,
        ev.BribePaid,
        ev.EscrowReleased,
    }
)


def legal_keys(e: Any, agents: set[str], cases: set[int], prisoners: set[str]) -> None:
    """The stored rows a legal event touches (see ``batch.collect_keys``)."""
    match e:
        case ev.EvidenceAdded() | ev.SuspectCharged() | ev.CaseStalled() | ev.VerdictReached():
            cases.add(e.case_id)
        case ev.AgentImprisoned() | ev.AgentReleased():
            agents.add(e.agent_id)
            prisoners.add(e.agent_id)
        case ev.AgentFled() | ev.BribeCaught() | ev.FinePaid() | ev.RewardPaid():
            agents.add(e.agent_id)
        case ev.BribePaid():
            agents.update((e.agent_id, e.target_agent_id))
        case ev.EscrowReleased():
            agents.add(e.to)
