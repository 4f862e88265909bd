"""Noise traders: now and then a random buy or sell of a random company, near the last price."""

from collections.abc import Iterator
from random import Random

from domain.rules.bands import clamp
from domain.state import Account, World
from domain.traders.common import Ids, Trader, cancel_oldest, order, pick
from domain.units import BPS, DOLLAR
from schemas import commands as cmd
from schemas.enums import Role, Strategy

STALE_ORDERS = 8  # noise traders don't let more open orders than this pile up


def decide(
    world: World, account: Account, rng: Random, _rank: int, ids: Ids
) -> Iterator[cmd.CommandBase]:
    if rng.randrange(100) >= 30:
        return
    company = pick(world, rng)
    symbol = company.symbol
    qty = max(1, rng.randrange(500_000, 5_000_000) // company.last_price)
    held = account.sellable(symbol)
    selling = rng.randrange(2) == 0 and held >= qty
    offset = rng.randrange(-60, 61) * company.last_price // BPS
    price = None if rng.randrange(100) < 35 else clamp(world, company, company.last_price + offset)
    yield order(
        cmd.Sell if selling else cmd.Buy, ids, account.agent_id, symbol, qty=qty, price=price
    )
    if len(account.open_orders) > STALE_ORDERS:
        yield cancel_oldest(account, ids)


TRADER = Trader(
    strategy=Strategy.NOISE,
    id_prefix="noise",
    role=Role.RETAIL_TRADER,
    cash=500_000 * DOLLAR,
    holding_value=20_000 * DOLLAR,
    count=lambda population: population.noise_traders,
    decide=decide,
)
