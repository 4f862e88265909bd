"""Momentum traders: buy what rose over the last ten closes, sell what fell."""

from collections.abc import Iterator
from random import Random

from domain.state import Account, World
from domain.traders.common import Ids, Trader, order, pick
from domain.units import BPS, DOLLAR
from schemas import commands as cmd
from schemas.enums import Role, Strategy

LOOKBACK = 10  # closes compared
TREND_BPS = 20  # a move beyond this over the lookback is a trend


def decide(
    world: World, account: Account, rng: Random, _rank: int, ids: Ids
) -> Iterator[cmd.CommandBase]:
    if rng.randrange(100) >= 20:
        return
    company = pick(world, rng)
    symbol = company.symbol
    if len(company.closes) < LOOKBACK:
        return
    change_bps = (company.closes[-1] - company.closes[-LOOKBACK]) * BPS // company.closes[-LOOKBACK]
    qty = max(1, rng.randrange(1_000_000, 10_000_000) // company.last_price)
    held = account.sellable(symbol)
    if change_bps > TREND_BPS:
        yield order(cmd.Buy, ids, account.agent_id, symbol, qty=qty, price=None)
    elif change_bps < -TREND_BPS and held > 0:
        yield order(cmd.Sell, ids, account.agent_id, symbol, qty=min(qty, held), price=None)


TRADER = Trader(
    strategy=Strategy.MOMENTUM,
    id_prefix="mom",
    role=Role.QUANT,
    cash=5_000_000 * DOLLAR,
    holding_value=100_000 * DOLLAR,
    count=lambda population: population.momentum_traders,
    decide=decide,
)
