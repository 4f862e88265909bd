"""The pure market: ``step`` decides a tick's events, ``evolve`` applies one event.

No I/O, no clock, no unseeded randomness: the same world, commands and context always
give the same events.
"""

from domain.context import TickContext
from domain.evolve import evolve
from domain.hashing import restore, snapshot, state_hash
from domain.simulate import context_for, simulate
from domain.state import World
from domain.step import StepInput, step

__all__ = [
    "StepInput",
    "TickContext",
    "World",
    "context_for",
    "evolve",
    "restore",
    "simulate",
    "snapshot",
    "state_hash",
    "step",
]
