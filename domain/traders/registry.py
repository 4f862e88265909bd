"""The built-in traders by strategy, and their commands for a tick."""

from collections.abc import Iterator
from random import Random

from domain.state import World
from domain.traders import (
    close_marker,
    insider,
    market_maker,
    momentum,
    noise,
    pump_ring,
    spoofer,
    value,
    wash_pair,
)
from domain.traders.common import Ids, Trader
from schemas import commands as cmd
from schemas.enums import Strategy

# Insertion order is the genesis order of the population: market makers first, the
# seeded crooks (rules v2) last, so the honest traders' ids are those of rules v1.
TRADERS: dict[Strategy, Trader] = {
    t.strategy: t
    for t in (
        market_maker.TRADER,
        noise.TRADER,
        momentum.TRADER,
        value.TRADER,
        insider.TRADER,
        wash_pair.TRADER,
        pump_ring.TRADER,
        spoofer.TRADER,
        close_marker.TRADER,
    )
}
# The ground truth: each seeded crook strategy's offence.
OFFENCE_OF = {s: t.offence for s, t in TRADERS.items() if t.offence is not None}


def commands(world: World, rng: Random, tick: int) -> Iterator[cmd.CommandBase]:
    """Every active built-in agent's commands for this tick, in account order."""
    ids = Ids(tick)
    ranks: dict[Strategy, int] = {}
    for account in world.accounts.values():
        trader = TRADERS.get(account.strategy)
        if trader is None or not account.active:
            continue
        rank = ranks.get(trader.strategy, 0)
        ranks[trader.strategy] = rank + 1
        yield from trader.decide(world, account, rng, rank, ids)
