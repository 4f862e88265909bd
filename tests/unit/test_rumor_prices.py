"""A rumor moves its symbol's price through the built-in traders' trades.

The same seeded season is run three times: without a rumor, with a positive one and with
a negative one (from an influencer, at tick 10, on the first listed symbol). The dice of
a tick depend only on (seed, tick), so the difference is the rumor's. Over 10 seeds the
positive rumor leaves the price higher on average ``AFTER`` ticks later than the same
season without it, and the negative one lower; no price is ever set by fiat (every close
is a traded price).
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import mean

import pytest

from domain import World
from domain.simulate import simulate
from domain.step import StepInput
from schemas import commands as cmd
from schemas import events as ev
from schemas.config import SeasonConfig
from schemas.enums import Role

CONFIG = SeasonConfig(symbols=3)
SEEDS = range(10)
RUMOR_TICK, AFTER = 10, 10
POSITIVE = "record profits, buy now: APEX will soar"
NEGATIVE = "fraud scandal, sell before the crash"


def _feed(text: str | None) -> Callable[[World, int], list[StepInput]]:
    def feed(world: World, tick: int) -> list[StepInput]:
        if tick == 1:
            return [
                cmd.RegisterAgent(
                    command_id="reg",
                    agent_id="talk",
                    name="talk",
                    role=Role.INFLUENCER,
                    api_key_hash="0" * 64,
                )
            ]
        if tick == RUMOR_TICK and text is not None:
            symbol = next(iter(world.companies))
            return [cmd.Rumor(command_id="ru", agent_id="talk", symbol=symbol, content=text)]
        return []

    return feed


def _move_bps(seed: int, text: str | None) -> int:
    """The close ``AFTER`` ticks after the rumor vs the close at the rumor, in bps."""
    events = simulate(seed, RUMOR_TICK + AFTER, CONFIG, commands=_feed(text))
    genesis = events[0]
    assert isinstance(genesis, ev.SeasonStarted)
    symbol = genesis.companies[0].symbol
    closes = {e.tick: e.close for e in events if isinstance(e, ev.BarClosed) and e.symbol == symbol}
    traded = {e.price for e in events if isinstance(e, ev.TradeExecuted) and e.symbol == symbol}
    assert set(closes.values()) <= traded  # every close is a traded price
    at = closes[max(t for t in closes if t <= RUMOR_TICK)]
    later = closes[max(closes)]
    return (later - at) * 10_000 // at


@pytest.fixture(scope="module")
def moves() -> dict[str | None, list[int]]:
    return {text: [_move_bps(s, text) for s in SEEDS] for text in (None, POSITIVE, NEGATIVE)}


def test_a_positive_rumor_moves_its_symbol_up_on_average(
    moves: dict[str | None, list[int]],
) -> None:
    lift = [up - base for up, base in zip(moves[POSITIVE], moves[None], strict=True)]
    assert mean(lift) > 100  # more than 1% on average
    assert sum(x > 0 for x in lift) >= 8


def test_a_negative_rumor_moves_its_symbol_down_on_average(
    moves: dict[str | None, list[int]],
) -> None:
    drop = [down - base for down, base in zip(moves[NEGATIVE], moves[None], strict=True)]
    assert mean(drop) < -100
    assert sum(x < 0 for x in drop) >= 8
