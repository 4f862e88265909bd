"""The close marker: buys its symbol hard in the day's last ten minutes to lift the
close, and sells the shares back during the next day."""

from collections.abc import Iterator
from random import Random

from domain import clock
from domain.state import Account, World
from domain.traders.common import Ids, Trader, order
from domain.traders.crooks import base_holding, company_at, crooks, toward
from domain.units import DOLLAR
from schemas import commands as cmd
from schemas.enums import Offence, Role, Strategy

MARK_MINUTES = 10
MARK_VALUE = 100_000 * DOLLAR  # a MARKET buy each of those minutes
UNWIND_FROM, UNWIND_TO = 120, 300  # minutes of the next day it sells back in
STEP_VALUE = 50_000 * DOLLAR
HOLDING_VALUE = 100_000 * DOLLAR


def decide(
    world: World, account: Account, _rng: Random, rank: int, ids: Ids
) -> Iterator[cmd.CommandBase]:
    if not world.market_open:
        return
    company = company_at(world, -2 - rank)
    minute = clock.minute_of_day(ids.tick, world.config)
    if minute >= world.config.open_ticks_per_day - MARK_MINUTES:
        qty = max(1, MARK_VALUE // company.last_price)
        yield order(cmd.Buy, ids, account.agent_id, company.symbol, qty=qty, price=None)
    elif UNWIND_FROM <= minute < UNWIND_TO:
        base = base_holding(company, HOLDING_VALUE)
        yield from toward(account, company, base, STEP_VALUE, ids)


TRADER = Trader(
    strategy=Strategy.CLOSE_MARKER,
    id_prefix="mom",
    role=Role.QUANT,
    cash=5_000_000 * DOLLAR,
    holding_value=HOLDING_VALUE,
    count=lambda population: crooks(population).close_markers,
    decide=decide,
    offence=Offence.MARKING_THE_CLOSE,
    cover=Strategy.MOMENTUM,
)
