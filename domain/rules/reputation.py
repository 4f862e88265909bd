"""Reputation: public, 0..100, every agent starts at 50; social actions move it.

Under rules version 2: a published RUMOR costs its author ``RUMOR_COST``; dissolving an
alliance costs the one who ends it ``BREAK_ALLIANCE_COST``. Reputation also sets how much
an agent's rumors weigh (domain/rules/rumors.py). Each move is a ``ReputationChanged``.
"""

from domain.context import Recorder
from schemas import events as ev

START = 50
MIN_REPUTATION, MAX_REPUTATION = 0, 100
RUMOR_COST = 2
BREAK_ALLIANCE_COST = 2


def clamp(value: int) -> int:
    return max(MIN_REPUTATION, min(MAX_REPUTATION, value))


def adjust(rec: Recorder, agent_id: str, delta: int, cause: str) -> None:
    """Move ``agent_id``'s reputation by ``delta``, clamped; nothing when it cannot move."""
    before = rec.world.accounts[agent_id].reputation
    after = clamp(before + delta)
    if after != before:
        rec.emit(
            ev.ReputationChanged(
                tick=rec.tick,
                agent_id=agent_id,
                delta=after - before,
                reputation=after,
                cause=cause,
            )
        )
