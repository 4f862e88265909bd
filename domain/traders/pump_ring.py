"""The pump-and-dump ring: each member in turn buys a symbol for twenty minutes, posts a
glowing rumor about it, then sells into whatever rise follows."""

from collections.abc import Iterator
from random import Random

from domain import clock
from domain.state import Account, World
from domain.traders.common import Ids, Trader
from domain.traders.crooks import base_holding, company_at, crooks, toward
from domain.units import DOLLAR
from schemas import commands as cmd
from schemas.enums import Offence, Role, Strategy

RING_SIZE = 2
FIRST_MINUTE = 60  # member m's turn starts at minute FIRST_MINUTE + m * TURN_MINUTES
TURN_MINUTES = 150
BUY_MINUTES = 20  # buying, then the rumor, then a pause
DUMP_AFTER = 10  # minutes after the rumor before selling
PUMP_VALUE = 800_000 * DOLLAR
STEP_VALUE = 40_000 * DOLLAR
HOLDING_VALUE = 100_000 * DOLLAR


def decide(
    world: World, account: Account, _rng: Random, rank: int, ids: Ids
) -> Iterator[cmd.CommandBase]:
    if not world.market_open:
        return
    company = company_at(world, 2 + rank // RING_SIZE)
    minute = clock.minute_of_day(ids.tick, world.config)
    start = FIRST_MINUTE + (rank % RING_SIZE) * TURN_MINUTES
    base = base_holding(company, HOLDING_VALUE)
    rumor_at = start + BUY_MINUTES
    if start <= minute < rumor_at:
        target = base + PUMP_VALUE // company.last_price
    elif minute == rumor_at:
        yield cmd.Rumor(
            command_id=ids(),
            agent_id=account.agent_id,
            symbol=company.symbol,
            content=f"{company.symbol} is about to announce a huge contract win: buy now!",
        )
        return
    elif minute >= rumor_at + DUMP_AFTER:
        target = base
    else:
        return
    yield from toward(account, company, target, STEP_VALUE, ids)


TRADER = Trader(
    strategy=Strategy.PUMP_AND_DUMP,
    id_prefix="mom",
    role=Role.QUANT,
    cash=5_000_000 * DOLLAR,
    holding_value=HOLDING_VALUE,
    count=lambda population: RING_SIZE * crooks(population).pump_rings,
    decide=decide,
    offence=Offence.PUMP_AND_DUMP,
    cover=Strategy.MOMENTUM,
)
