"""The engine: the single-writer I/O shell around ``domain.step``.

Each tick it takes the commands with stream sequence in ``(last_cut, cut]``, runs the
pure step, and appends the events, the last being ``TickClosed``; the tick is committed
when that append is acknowledged. See docs/ARCHITECTURE.md for the protocol.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass

from domain import context_for, step
from domain.state import World
from replayer.fold import fold
from schemas import events as ev
from wss.commandfeed import CommandFeed
from wss.errors import Diverged, WssError
from wss.eventstore.jetstream import StoredMsg
from wss.lease import Lease
from wss.seasonlog import CUT_HEADER, SeasonLog
from wss.snapshots import Snapshot, SnapshotStore
from wss.streams import TICK_HEADER

# A snapshot at least every this many events (besides every WSS_SNAPSHOT_EVERY ticks):
# a restart folds at most this many events, about a second here (docs/PERFORMANCE.md).
SNAPSHOT_EVERY_EVENTS = 50_000


@dataclass(frozen=True, slots=True)
class TickReport:
    tick: int
    sim_time: str
    commands: int
    events: int
    trades: int
    volume: int
    accepted: int  # OrderAccepted events
    index_level: float
    mover: str
    state_hash: str
    seconds: float

    def line(self) -> str:
        return (
            f"tick {self.tick:>6}  {self.sim_time[:16].replace('T', ' ')}  "
            f"trades {self.trades:>4}  volume {self.volume:>9,}  index {self.index_level:9.2f}  "
            f"mover {self.mover}"
        )


def index_level(world: World) -> float:
    """A cap-weighted index of every listed company, 1000 at the season's start."""
    now = sum(c.last_price * c.shares_outstanding for c in world.companies.values())
    base = sum(c.initial_price * c.shares_outstanding for c in world.companies.values())
    return 1000 * now / base if base else 0.0


def biggest_mover(world: World) -> str:
    best, move = "-", 0
    for symbol, c in world.companies.items():
        change = (c.last_price - c.day_open) * 10_000 // max(c.day_open, 1)
        if abs(change) > abs(move):
            best, move = symbol, change
    return f"{best} {move / 100:+.2f}%" if best != "-" else "-"


class Engine:
    def __init__(
        self,
        log: SeasonLog,
        lease: Lease,
        snapshots: SnapshotStore | None,
        snapshot_every: int,
        *,
        snapshot_every_events: int = SNAPSHOT_EVERY_EVENTS,
    ) -> None:
        self.log, self.lease, self.snapshots = log, lease, snapshots
        self.snapshot_every = snapshot_every
        self.snapshot_every_events = snapshot_every_events
        self.world = World()
        self.last_cut = 0  # last command sequence consumed by a committed tick
        self.event_seq = 0  # last event sequence in the stream
        self.partial: list[StoredMsg] = []  # a half-published tick found on recovery
        self.last_hash = ""  # state hash of the last committed TickClosed
        self.snapshot_seq = 0  # event sequence of the latest snapshot (tried)
        self.feed = CommandFeed(log.js, log.streams)
        self.notional_cents = 0  # traded value committed by this process (metrics)

    @property
    def season(self) -> str:
        return self.log.season

    async def recover(self, start: Snapshot | None = None) -> None:
        """Rebuild the world from the latest snapshot (or ``start``, a world the caller
        already holds) plus the whole ticks after it (the replayer's fold); a
        half-published tail is kept to be re-run and checked."""
        snap = start
        if snap is None and self.snapshots:
            snap = await self.snapshots.latest(self.season)
        folded = await fold(
            self.log,
            world=snap.world if snap else None,
            after_seq=snap.event_seq if snap else 0,
            last_hash=snap.last_hash if snap else "",
        )
        self.snapshot_seq = snap.event_seq if snap else 0
        self.world, self.event_seq = folded.world, folded.event_seq
        self.last_hash = folded.last_hash
        self.last_cut = folded.world.last_command_seq
        self.partial = folded.partial
        await self.feed.start(after_seq=self.last_cut)

    async def close(self) -> None:
        await self.feed.stop()

    async def tick(self, at_least: int | None = None) -> TickReport | None:
        """Run and commit one tick; None when there is nothing to start the season with.

        ``at_least``: wait until the command with this sequence has arrived.
        """
        began = time.perf_counter()
        world = self.world
        tick = world.tick + 1 if world.started else 0
        if self.partial:
            headers = self.partial[0].headers
            if int(headers[TICK_HEADER]) != tick:
                raise WssError(f"log holds a partial tick {headers[TICK_HEADER]}, expected {tick}")
            cut = int(headers[CUT_HEADER])
            _, commands = await self.feed.take(cut) if cut > self.last_cut else (None, [])
        else:
            last, commands = await self.feed.take(at_least=at_least)
            cut = self.last_cut if last is None else last
        if tick == 0 and not commands:
            return None
        ctx = context_for(world, tick, self.last_cut + 1, cut)
        events = step(world, [c for _, c in commands], ctx)
        payloads = [(e.type, e.model_dump_json().encode()) for e in events]
        self._verify_partial(tick, payloads)
        self.event_seq = await self.log.publish_tick(
            tick, cut, payloads, after_seq=self.event_seq, first=len(self.partial)
        )
        self.partial, self.last_cut = [], cut
        closed = events[-1]
        assert isinstance(closed, ev.TickClosed)
        self.last_hash = closed.state_hash
        await self.lease.renew()
        if self.snapshots and (
            tick % self.snapshot_every == 0
            or self.event_seq - self.snapshot_seq >= self.snapshot_every_events
        ):
            # By events too: busy ticks must not leave a restart a long fold to do.
            await self.snapshots.save(self.season, world, self.event_seq, self.last_hash)
            self.snapshot_seq = self.event_seq
        trades = [e for e in events if isinstance(e, ev.TradeExecuted)]
        self.notional_cents += sum(t.price * t.quantity for t in trades)
        return TickReport(
            tick=tick,
            sim_time=closed.sim_time,
            commands=len(commands),
            events=len(events),
            trades=len(trades),
            accepted=sum(isinstance(e, ev.OrderAccepted) for e in events),
            volume=sum(t.quantity for t in trades),
            index_level=index_level(world),
            mover=biggest_mover(world),
            state_hash=closed.state_hash,
            seconds=time.perf_counter() - began,
        )

    def _verify_partial(self, tick: int, payloads: Sequence[tuple[str, bytes]]) -> None:
        """What a crashed run already stored must be exactly what this run decided."""
        for index, msg in enumerate(self.partial):
            if index >= len(payloads) or payloads[index][1] != msg.data:
                raise Diverged(
                    f"tick {tick} re-ran differently at event {index} (stream seq {msg.seq}): "
                    "the engine is not deterministic for this log"
                )
