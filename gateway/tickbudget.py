"""Actions per tick, counted against the tick each command will be cut into.

The engine's tick k takes the commands with stream sequence in ``(cut[k-1], cut[k]]``. The
gateway cannot know the next cut, but it can know the last one, ``C`` (the log's last
``TickClosed``): every command of an agent that could share a tick with a new one is either
stored above ``C`` or still on its way to the log. So "the agent's stored commands above
``C`` plus those in flight" bounds what the next tick holds of it, and admitting only while
that stays within the limit keeps every tick within it, however the requests arrive
(one by one across a tick boundary, in parallel, in batches, as webhook replies).

The bound is loose only while ``C`` is stale (the engine has cut a tick it has not closed
yet), so the cut is re-read from the log before anything is refused. On first use the
budget reads the commands stored after the last cut, so a restarted gateway counts what
its predecessor admitted. One gateway process per season is assumed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import get_args

from schemas import commands as cmd
from wss.seasonlog import SeasonLog

__all__ = ["ACTION_TYPES", "TickBudget"]

ACTION_TYPES = frozenset(
    c.model_fields["type"].default for c in get_args(get_args(cmd.AgentAction)[0])
)


@dataclass(slots=True)
class _Agent:
    in_flight: int = 0
    stored: list[int] = field(default_factory=list)  # sequences above the known cut

    def used(self, cut: int) -> int:
        self.stored = [seq for seq in self.stored if seq > cut]
        return self.in_flight + len(self.stored)


def _failed(task: asyncio.Task[None]) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)


class TickBudget:
    def __init__(self, limit: int, log: SeasonLog) -> None:
        self.limit, self.log = limit, log
        self.cut = 0
        self._agents: dict[str, _Agent] = {}
        self._seeding: asyncio.Task[None] | None = None
        self._reading: asyncio.Task[None] | None = None  # one cut read at a time, shared

    def used(self, agent_id: str) -> int:
        agent = self._agents.get(agent_id)
        return agent.used(self.cut) if agent else 0

    async def reserve(self, agent_id: str, n: int) -> bool:
        """Count ``n`` commands as on their way to the log; False (nothing counted) if the
        tick they will be cut into has no room for them."""
        if self._seeding is None or _failed(self._seeding):
            self._seeding = asyncio.create_task(self._seed())
        await asyncio.shield(self._seeding)
        if self.used(agent_id) + n > self.limit:
            await self._read_cut()
            if self.used(agent_id) + n > self.limit:
                return False
        self._agents.setdefault(agent_id, _Agent()).in_flight += n
        return True

    def stored(self, agent_id: str, seq: int) -> None:
        """A reserved command is on the log at ``seq``."""
        agent = self._agents[agent_id]
        agent.in_flight -= 1
        if seq > self.cut:
            agent.stored.append(seq)

    def release(self, agent_id: str, n: int = 1) -> None:
        """Reserved commands that did not reach the log as new ones (duplicates, failures)."""
        self._agents[agent_id].in_flight -= n

    async def _read_cut(self) -> None:
        if self._reading is None or self._reading.done():
            self._reading = asyncio.create_task(self._refresh())
        await asyncio.shield(self._reading)

    async def _refresh(self) -> None:
        self.cut = max(self.cut, await self.log.last_cut())

    async def _seed(self) -> None:
        cut = await self.log.last_cut()
        end = await self.log.last_seq(self.log.streams.command_stream)
        for seq, command in await self.log.commands(cut + 1, end) if end > cut else []:
            if command.type in ACTION_TYPES:
                self._agents.setdefault(command.agent_id, _Agent()).stored.append(seq)
        self.cut = max(self.cut, cut)
