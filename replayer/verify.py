"""Re-run a season's recorded commands through ``domain.step`` and check every tick.

The event log is the record; the command log plus each ``TickClosed``'s command range is
the input. Replaying the input must give back the record byte for byte, including every
state hash. ``rebuild`` folds the record alone (replayer.fold), to reach any tick.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass

from domain import context_for, step
from domain.rules.versions import RULE_SETS, UnknownRulesVersion
from domain.state import World
from replayer.fold import Progress, fold
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
    older_format: int = 0  # events recorded before a field with a default was added

    @property
    def ok(self) -> bool:
        return self.divergence is None


async def recorded_ticks(
    log: SeasonLog, progress: Progress | None = None
) -> AsyncIterator[list[bytes]]:
    """The event log cut into ticks (each ending with its TickClosed), as raw payloads."""
    stream = log.streams.event_stream
    current: list[bytes] = []
    last, read = await log.last_seq(stream), 0
    async for page in log.read(stream, 1, last):
        read += len(page)
        if progress is not None:
            progress(read, last)
        for msg in page:
            current.append(msg.data)
            if msg.subject.endswith(".TickClosed"):
                yield current
                current = []


def same_event(recorded: bytes, decided: ev.EventBase, payload: bytes) -> bool | None:
    """True when byte-identical; None when the record is the same event in an older format
    (it lacks a field added since with a default, which it reads as); else False."""
    if payload == recorded:
        return True
    return None if parse_event(recorded) == decided else False


async def verify(log: SeasonLog, progress: Progress | None = None) -> Verdict:
    """Replay the season under the rules version its genesis records; ``progress`` is
    told (events read, events in the log) as the replay goes."""
    world = World()
    ticks = count = older = 0
    final = ""
    async for recorded in recorded_ticks(log, progress):
        if not ticks:
            genesis = parse_event(recorded[0])
            version = getattr(genesis, "rules_version", 1)
            if version not in RULE_SETS:
                return Verdict(log.season, 0, 0, final, f"tick 0: {UnknownRulesVersion(version)}")
        closed = parse_event(recorded[-1])
        assert isinstance(closed, ev.TickClosed)
        first, last = closed.first_command_seq, closed.last_command_seq
        commands = [c for _, c in await log.commands(first, last)] if last >= first else []
        produced = step(world, commands, context_for(world, closed.tick, first, last))
        for index, event in enumerate(produced):
            payload = event.model_dump_json().encode()
            same = index < len(recorded) and same_event(recorded[index], event, payload)
            if same is False:
                where = f"tick {closed.tick}, event {index}"
                return Verdict(log.season, ticks, count, final, f"{where}: replay differs")
            older += same is None
        if len(produced) != len(recorded):
            return Verdict(log.season, ticks, count, final, f"tick {closed.tick}: event count")
        ticks, count, final = ticks + 1, count + len(produced), closed.state_hash
    return Verdict(log.season, ticks, count, final, None, older)


async def rebuild(log: SeasonLog, until_tick: int | None = None) -> World:
    """The world as it was at the close of ``until_tick`` (default: the last whole tick)."""
    return (await fold(log, until_tick=until_tick)).world
