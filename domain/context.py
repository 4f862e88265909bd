"""What a tick's decisions need besides the world: the tick, its time and its dice."""

from dataclasses import dataclass, field
from datetime import datetime
from random import Random

from domain.evolve import evolve
from domain.state import World
from schemas import events as ev


@dataclass(frozen=True, slots=True)
class TickContext:
    """Given by the engine for each tick. ``rng`` is seeded by (season seed, tick)."""

    tick: int
    sim_time: datetime
    rng: Random
    first_command_seq: int = 0  # the stream range of the commands this tick consumes
    last_command_seq: int = 0


@dataclass(slots=True)
class Bar:
    open: int
    high: int
    low: int
    close: int
    volume: int = 0
    notional: int = 0
    trades: int = 0


@dataclass(slots=True)
class Recorder:
    """Applies each decided event at once and keeps it, with per-tick summaries.

    Deciding the next command against the state the previous one left is what makes a
    tick sequential; applying through ``evolve`` is what makes the log the truth.
    """

    world: World
    tick: int
    events: list[ev.EventBase] = field(default_factory=list)
    bars: dict[str, Bar] = field(default_factory=dict)
    touched: dict[tuple[str, str], None] = field(default_factory=dict)

    def emit(self, event: ev.EventBase) -> None:
        evolve(self.world, event)
        self.events.append(event)

    def trade(self, event: ev.TradeExecuted) -> None:
        self.emit(event)
        bar = self.bars.get(event.symbol)
        if bar is None:
            bar = self.bars[event.symbol] = Bar(event.price, event.price, event.price, 0)
        bar.high, bar.low = max(bar.high, event.price), min(bar.low, event.price)
        bar.close = event.price
        bar.volume += event.quantity
        bar.notional += event.price * event.quantity
        bar.trades += 1
        self.touched[(event.buyer_id, event.symbol)] = None
        self.touched[(event.seller_id, event.symbol)] = None
