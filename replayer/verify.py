"""Re-run a season's recorded commands through ``domain.step`` and check every tick.

The event log is the record; the command log plus each ``TickClosed``'s command range is
the input. Replaying the input must give back the record byte for byte, including every
state hash. ``rebuild`` folds the record alone, to reach the state at any tick.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass

from domain import context_for, evolve, step
from domain.state import World
from schemas import events as ev
from schemas.events import parse_event
from wss.seasonlog import SeasonLog


@dataclass(frozen=True, slots=True)
class Verdict:
    season: str
    ticks: int
    events: int
    final_hash: str
    divergence: str | None  # first difference found, or None

    @property
    def ok(self) -> bool:
        return self.divergence is None


async def recorded_ticks(log: SeasonLog) -> AsyncIterator[list[bytes]]:
    """The event log cut into ticks (each ending with its TickClosed), as raw payloads."""
    stream = log.streams.event_stream
    current: list[bytes] = []
    async for page in log.read(stream, 1, await log.last_seq(stream)):
        for msg in page:
            current.append(msg.data)
            if msg.subject.endswith(".TickClosed"):
                yield current
                current = []


async def verify(log: SeasonLog) -> Verdict:
    world = World()
    ticks = count = 0
    final = ""
    async for recorded in recorded_ticks(log):
        closed = parse_event(recorded[-1])
        assert isinstance(closed, ev.TickClosed)
        first, last = closed.first_command_seq, closed.last_command_seq
        commands = [c for _, c in await log.commands(first, last)] if last >= first else []
        produced = step(world, commands, context_for(world, closed.tick, first, last))
        for index, event in enumerate(produced):
            payload = event.model_dump_json().encode()
            if index >= len(recorded) or payload != recorded[index]:
                where = f"tick {closed.tick}, event {index}"
                return Verdict(log.season, ticks, count, final, f"{where}: replay differs")
        if len(produced) != len(recorded):
            return Verdict(log.season, ticks, count, final, f"tick {closed.tick}: event count")
        ticks, count, final = ticks + 1, count + len(produced), closed.state_hash
    return Verdict(log.season, ticks, count, final, None)


async def rebuild(log: SeasonLog, until_tick: int | None = None) -> World:
    """The world as it was at the close of ``until_tick`` (default: the last tick)."""
    world = World()
    stream = log.streams.event_stream
    async for page in log.read(stream, 1, await log.last_seq(stream)):
        for msg in page:
            event = parse_event(msg.data)
            if until_tick is not None and event.tick > until_tick:
                return world
            evolve(world, event)
    return world
