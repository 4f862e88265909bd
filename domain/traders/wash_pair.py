"""The wash-trading pair: two accounts of one owner. Every few minutes the first sells
to the second inside the spread and the second sells the same shares straight back."""

from collections.abc import Iterator
from random import Random

from domain.state import Account, World
from domain.traders.common import Ids, Trader, order
from domain.traders.crooks import company_at, crooks, partners
from domain.units import DOLLAR
from schemas import commands as cmd
from schemas.enums import Offence, Role, Strategy

EVERY_TICKS = 5  # a round trip every five minutes
ROUND_VALUE = 400_000 * DOLLAR  # each leg


def _inside(world: World, symbol: str) -> int | None:
    """A price strictly inside the spread, or None when there is no room."""
    book = world.books[symbol]
    bid, ask = book.best_bid(), book.best_ask()
    if bid is None or ask is None or ask - bid < 2:
        return None
    return (bid + ask) // 2


def _leg(
    world: World, seller: Account, buyer: Account, ids: Ids, *, symbol: str, qty: int
) -> Iterator[cmd.CommandBase]:
    price = _inside(world, symbol)
    if price is None or seller.sellable(symbol) < qty:
        return
    yield order(cmd.Sell, ids, seller.agent_id, symbol, qty=qty, price=price)
    yield order(cmd.Buy, ids, buyer.agent_id, symbol, qty=qty, price=price)


def decide(
    world: World, account: Account, _rng: Random, rank: int, ids: Ids
) -> Iterator[cmd.CommandBase]:
    """The pair's first account decides for both; the second never acts alone."""
    if rank % 2 or not world.market_open or ids.tick % EVERY_TICKS:
        return
    pair = partners(world, Strategy.WASH_TRADER)
    if rank + 1 >= len(pair) or pair[rank] is not account:
        return
    partner = pair[rank + 1]
    for held in (account, partner):  # a leg that did not match is withdrawn
        for oid in list(held.open_orders):
            yield cmd.CancelOrder(command_id=ids(), agent_id=held.agent_id, order_id=oid)
    company = company_at(world, 1 + rank // 2)
    qty = max(1, ROUND_VALUE // company.last_price)
    yield from _leg(world, account, partner, ids, symbol=company.symbol, qty=qty)
    yield from _leg(world, partner, account, ids, symbol=company.symbol, qty=qty)


TRADER = Trader(
    strategy=Strategy.WASH_TRADER,
    id_prefix="val",
    role=Role.HEDGE_FUND_MANAGER,
    cash=10_000_000 * DOLLAR,
    holding_value=1_000_000 * DOLLAR,
    count=lambda population: 2 * crooks(population).wash_pairs,
    decide=decide,
    offence=Offence.WASH_TRADING,
    cover=Strategy.VALUE,
)
