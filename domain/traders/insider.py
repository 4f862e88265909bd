"""The insider CEO: appointed at the genesis to the company that reports first (listing
index ``earnings_every_days - 1``), it knows the surprise a day ahead (it runs the
company: the report's own dice), buys (or sells) in the last hour of the day before the
report, and unwinds after it."""

from collections.abc import Iterator
from random import Random

from domain import clock
from domain.rules import earnings
from domain.state import Account, World
from domain.traders.common import Ids, Trader
from domain.traders.crooks import base_holding, crooks, toward
from domain.units import DOLLAR
from schemas import commands as cmd
from schemas.enums import Offence, Role, Strategy

LEAD_MINUTES = 60  # trades in the last hour of the day before the report
MIN_SURPRISE_BPS = 150  # only a surprise this large is worth the risk
TILT_VALUE = 1_500_000 * DOLLAR  # bought (or sold) ahead of it
STEP_VALUE = 50_000 * DOLLAR  # per minute
UNWIND_MINUTE = 30  # minutes after the report's open before unwinding
HOLDING_VALUE = 2_000_000 * DOLLAR


def decide(
    world: World, account: Account, _rng: Random, rank: int, ids: Ids
) -> Iterator[cmd.CommandBase]:
    if not world.market_open:
        return
    symbol = world.ceo_of.get(account.agent_id)
    if symbol is None:
        return
    config = world.config
    company = world.companies[symbol]
    tick = ids.tick
    day, minute = clock.day_of(tick, config), clock.minute_of_day(tick, config)
    base = base_holding(company, HOLDING_VALUE)
    target = base
    if minute >= config.open_ticks_per_day - LEAD_MINUTES:
        surprise = known_surprise(world, symbol, (day + 1) * clock.ticks_per_day(config) + 1)
        if surprise is not None and abs(surprise) >= MIN_SURPRISE_BPS:
            tilt = TILT_VALUE // company.last_price
            target = base + tilt if surprise > 0 else max(0, base - tilt)
    elif minute < UNWIND_MINUTE:
        return  # hold through the report
    yield from toward(account, company, target, STEP_VALUE, ids)


def known_surprise(world: World, symbol: str, report_tick: int) -> int | None:
    """What ``symbol`` will report at ``report_tick`` (None: no report then)."""
    index = list(world.companies).index(symbol)
    if not earnings.reports_on(report_tick, index, world.config):
        return None
    return earnings.surprise_bps(
        earnings.surprise_dice(world.seed, report_tick, symbol), world.regime
    )


def company_index(every: int, rank: int, listed: int) -> int:
    """The listing index of the ``rank``-th insider's company: one that reports on day 1."""
    return (every - 1 + rank) % listed


TRADER = Trader(
    strategy=Strategy.INSIDER,
    id_prefix="ceo",
    role=Role.CEO,
    cash=10_000_000 * DOLLAR,
    holding_value=HOLDING_VALUE,
    count=lambda population: crooks(population).insiders,
    decide=decide,
    offence=Offence.INSIDER_TRADING,
    cover=Strategy.VALUE,
)
