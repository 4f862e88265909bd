"""The one fold of a season's event log: the world after any closed tick.

Shared by the engine's recovery and every replayer command. Only whole ticks are folded:
a tick counts once its ``TickClosed`` is stored, and the events of a half-published tail
(an engine that crashed mid-append) are handed back unapplied, for the engine to re-run
and check. A fold may start from a snapshot (the world right after an event sequence).
"""

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from domain import evolve
from domain.state import World
from replayer.pnl import opening_worth
from schemas import events as ev
from schemas.events import parse_event
from wss.eventstore.jetstream import StoredMsg
from wss.seasonlog import SeasonLog

# Called after each whole tick is applied: the world, the tick's TickClosed, and the
# tick's stored messages with their events (the TickClosed last).
Progress = Callable[[int, int], None]  # (events read, events in the log)
OnTick = Callable[[World, ev.TickClosed, list[tuple[StoredMsg, ev.EventBase]]], None]


@dataclass(slots=True)
class Folded:
    world: World
    event_seq: int  # the stream sequence of the last event read
    last_hash: str  # the state hash of the last whole tick folded ("" before genesis)
    closed_seq: int = 0  # the stream sequence of that tick's TickClosed
    partial: list[StoredMsg] = field(default_factory=list)  # a half-published tail
    # Each agent's equity right after the genesis tick, when the fold saw it (replayer.pnl)
    opening_worth: dict[str, int] = field(default_factory=dict)

    @property
    def ticks(self) -> int:
        """Whole ticks in the world (genesis is tick 0)."""
        return self.world.tick + 1 if self.world.started else 0


async def fold(
    log: SeasonLog,
    *,
    until_tick: int | None = None,
    world: World | None = None,
    after_seq: int = 0,
    last_hash: str = "",
    on_tick: OnTick | None = None,
    progress: Progress | None = None,
) -> Folded:
    """Fold the event log from ``after_seq + 1`` onto ``world`` (a fresh one by default),
    whole ticks only, stopping once ``until_tick`` is closed (default: the last closed
    tick). ``world``/``after_seq``/``last_hash`` resume from a snapshot; ``progress`` is
    told (events read, events in the log) after each page."""
    world = World() if world is None else world
    stream = log.streams.event_stream
    last = await log.last_seq(stream)
    out = Folded(world, after_seq, last_hash, after_seq)
    if until_tick is not None and world.started and world.tick >= until_tick:
        return out
    pending: list[tuple[StoredMsg, ev.EventBase]] = []
    async with contextlib.aclosing(log.read(stream, after_seq + 1, last)) as pages:
        async for page in pages:
            if progress is not None:
                progress(page[-1].seq, last)
            for msg in page:
                event = parse_event(msg.data)
                if not isinstance(event, ev.TickClosed):
                    pending.append((msg, event))
                    continue
                for _, decided in pending:
                    evolve(world, decided)
                evolve(world, event)
                out.last_hash, out.closed_seq = event.state_hash, msg.seq
                if event.tick == 0:
                    out.opening_worth = opening_worth(world)
                if on_tick is not None:
                    pending.append((msg, event))
                    on_tick(world, event, pending)
                pending.clear()
                if until_tick is not None and event.tick >= until_tick:
                    out.event_seq = msg.seq
                    return out
    out.event_seq = last
    out.partial = [msg for msg, _ in pending]
    return out
