"""Fold handlers for the social actions of rules version 2: messages, alliances, rumors
and reputation. Rumors and alliances are news too (``news`` rows)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from projections.relational.batch import BatchState
from schemas.events import (
    AllianceDissolved,
    AllianceFormed,
    MessageDelivered,
    ReputationChanged,
    RumorPublished,
)

__all__ = ["SOCIAL_HANDLERS", "alliance_id"]


def alliance_id(a: str, b: str) -> str:
    """The read model's key of the alliance of ``a`` and ``b`` (sorted members)."""
    first, second = sorted((a, b))
    return f"{first}/{second}"


def _message(st: BatchState, _seq: int, ev: MessageDelivered) -> None:
    st.messages.append(
        {
            "season_id": st.season_id,
            "message_id": ev.message_id,
            "tick": ev.tick,
            "sender_id": ev.agent_id,
            "target_id": ev.target_agent_id,
            "content": ev.content,
        }
    )


def _formed(st: BatchState, seq: int, ev: AllianceFormed) -> None:
    key = alliance_id(ev.agent_id, ev.target_agent_id)
    a, b = sorted((ev.agent_id, ev.target_agent_id))
    st.alliances[key] = {
        "season_id": st.season_id,
        "alliance_id": key,
        "member_a": a,
        "member_b": b,
        "proposer_id": ev.target_agent_id,
        "status": "active",
        "formed_tick": ev.tick,
        "dissolved_tick": None,
        "dissolved_by": None,
    }
    st.dirty_alliances[key] = None
    st.headline(seq, ev, "alliance", f"{a} and {b} form an alliance", agent_id=ev.agent_id)


def _dissolved(st: BatchState, seq: int, ev: AllianceDissolved) -> None:
    key = alliance_id(ev.agent_id, ev.target_agent_id)
    row = st.alliances.get(key)
    if row is not None:
        row.update(status="dissolved", dissolved_tick=ev.tick, dissolved_by=ev.agent_id)
        st.dirty_alliances[key] = None
    st.headline(
        seq,
        ev,
        "alliance",
        f"{ev.agent_id} ends its alliance with {ev.target_agent_id}",
        agent_id=ev.agent_id,
    )


def _rumor(st: BatchState, seq: int, ev: RumorPublished) -> None:
    st.rumors.append(
        {
            "season_id": st.season_id,
            "rumor_id": ev.rumor_id,
            "tick": ev.tick,
            "agent_id": ev.agent_id,
            "symbol": ev.symbol,
            "content": ev.content,
            "sentiment": ev.sentiment,
            "weight_pct": ev.weight_pct,
            "impulse_bps": ev.impulse_bps,
        }
    )
    st.headline(
        seq,
        ev,
        "rumor",
        f"Rumor on {ev.symbol} from {ev.agent_id} (sentiment {ev.sentiment:+d})",
        ev.content,
        symbol=ev.symbol,
        agent_id=ev.agent_id,
    )


def _reputation(st: BatchState, _seq: int, ev: ReputationChanged) -> None:
    if (a := st.agent(ev.agent_id, ev.tick)) is not None:
        a["reputation"] = ev.reputation


SOCIAL_HANDLERS: dict[type[Any], Callable[[BatchState, int, Any], None]] = {
    MessageDelivered: _message,
    AllianceFormed: _formed,
    AllianceDissolved: _dissolved,
    RumorPublished: _rumor,
    ReputationChanged: _reputation,
}
