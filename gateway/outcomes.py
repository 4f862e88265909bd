"""The gateway's index of recent commands' outcomes.

``OutcomeIndex`` keeps the most recent outcomes (``projections.relational.outcomes``
says which event answers which command) in memory, so ``GET /api/v1/actions/{id}``
answers within a tick of the close.
"""

from __future__ import annotations

from collections import OrderedDict

from projections.relational.queries import ActionOutcome

__all__ = ["OutcomeIndex"]

Key = tuple[str, str]  # (agent id, command id)


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
