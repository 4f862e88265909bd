"""Running a season in memory: for tests, benchmarks and the replayer."""

from collections.abc import Callable, Sequence

from domain import clock
from domain.context import TickContext
from domain.rng import generator
from domain.rules.versions import CURRENT_VERSION
from domain.state import World
from domain.step import StepInput, step
from schemas import commands as cmd
from schemas import events as ev
from schemas.config import SeasonConfig


def context_for(world: World, tick: int, first_seq: int = 0, last_seq: int = 0) -> TickContext:
    """The context the engine gives a tick: time from the tick, dice from (seed, tick)."""
    return TickContext(
        tick=tick,
        sim_time=clock.sim_time(tick, world.config),
        rng=generator(world.seed, tick, "tick"),
        first_command_seq=first_seq,
        last_command_seq=last_seq,
    )


def start_command(
    seed: int, config: SeasonConfig | None = None, rules_version: int = CURRENT_VERSION
) -> cmd.StartSeason:
    """The operator's START_SEASON; a new season runs the newest rules unless told."""
    return cmd.StartSeason(
        command_id="start",
        agent_id=cmd.OPERATOR_ID,
        seed=seed,
        config=config or SeasonConfig(),
        rules_version=rules_version,
    )


def simulate(
    seed: int,
    ticks: int,
    config: SeasonConfig | None = None,
    commands: Callable[[World, int], Sequence[StepInput]] | None = None,
    rules_version: int = CURRENT_VERSION,
) -> list[ev.EventBase]:
    """Genesis (tick 0) then ``ticks`` ticks; ``commands(world, tick)`` feeds each tick."""
    world = World()
    genesis = start_command(seed, config, rules_version)
    events = step(world, [genesis], context_for(world, 0))
    for tick in range(1, ticks + 1):
        batch = commands(world, tick) if commands else ()
        events.extend(step(world, batch, context_for(world, tick)))
    return events
