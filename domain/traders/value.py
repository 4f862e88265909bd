"""Value traders: buy below valuation, sell above it, a limit a little through the last.

The valuation is fair value shifted by recent rumors (domain/rules/rumors.py)."""

from collections.abc import Iterator
from random import Random

from domain.rules import rumors
from domain.rules.bands import clamp
from domain.state import Account, World
from domain.traders.common import Ids, Trader, cancel_oldest, order, pick
from domain.units import BPS, DOLLAR
from schemas import commands as cmd
from schemas.enums import Role, Strategy

GAP_BPS = 100  # a gap to fair value beyond this is worth trading
THROUGH_BPS = 20  # the limit sits this far through the last price


def decide(
    world: World, account: Account, rng: Random, _rank: int, ids: Ids
) -> Iterator[cmd.CommandBase]:
    if rng.randrange(100) >= 20:
        return
    company = pick(world, rng)
    symbol = company.symbol
    last = company.last_price
    gap_bps = (rumors.valuation(world, company, ids.tick) - last) * BPS // last
    qty = max(1, rng.randrange(2_000_000, 20_000_000) // last)
    held = account.sellable(symbol)
    if account.open_orders:
        yield cancel_oldest(account, ids)
    if gap_bps > GAP_BPS:
        price = clamp(world, company, last + last * THROUGH_BPS // BPS)
        yield order(cmd.Buy, ids, account.agent_id, symbol, qty=qty, price=price)
    elif gap_bps < -GAP_BPS and held > 0:
        price = clamp(world, company, last - last * THROUGH_BPS // BPS)
        yield order(cmd.Sell, ids, account.agent_id, symbol, qty=min(qty, held), price=price)


TRADER = Trader(
    strategy=Strategy.VALUE,
    id_prefix="val",
    role=Role.HEDGE_FUND_MANAGER,
    cash=10_000_000 * DOLLAR,
    holding_value=200_000 * DOLLAR,
    count=lambda population: population.value_traders,
    decide=decide,
)
