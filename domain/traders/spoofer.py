"""The spoofer: rests two large bids just behind the best bid, sells a little into the
support they suggest, and cancels them the next minute; every six minutes."""

from collections.abc import Iterator
from random import Random

from domain.rules.bands import clamp
from domain.state import Account, World
from domain.traders.common import Ids, Trader, order
from domain.traders.crooks import company_at, crooks
from domain.units import BPS, DOLLAR
from schemas import commands as cmd
from schemas.enums import Offence, Role, Strategy

EVERY_TICKS = 6
LAYERS_BPS = (10, 20)  # the spoof bids sit this far behind the best bid
LAYER_VALUE = 600_000 * DOLLAR  # each
SELL_VALUE = 30_000 * DOLLAR  # what it really sells


def decide(
    world: World, account: Account, _rng: Random, rank: int, ids: Ids
) -> Iterator[cmd.CommandBase]:
    if not world.market_open:
        return
    phase = ids.tick % EVERY_TICKS
    if phase == 1:
        for oid in list(account.open_orders):
            yield cmd.CancelOrder(command_id=ids(), agent_id=account.agent_id, order_id=oid)
        return
    company = company_at(world, -1 - rank)
    symbol = company.symbol
    bid = world.books[symbol].best_bid()
    qty = max(1, SELL_VALUE // company.last_price)
    if phase or bid is None or account.open_orders or account.sellable(symbol) < qty:
        return
    for behind in LAYERS_BPS:
        price = clamp(world, company, bid - max(1, bid * behind // BPS))
        yield order(
            cmd.Buy, ids, account.agent_id, symbol, qty=max(1, LAYER_VALUE // price), price=price
        )
    yield order(cmd.Sell, ids, account.agent_id, symbol, qty=qty, price=None)


TRADER = Trader(
    strategy=Strategy.SPOOFER,
    id_prefix="val",
    role=Role.HEDGE_FUND_MANAGER,
    cash=10_000_000 * DOLLAR,
    holding_value=1_000_000 * DOLLAR,
    count=lambda population: crooks(population).spoofers,
    decide=decide,
    offence=Offence.SPOOFING,
    cover=Strategy.VALUE,
)
