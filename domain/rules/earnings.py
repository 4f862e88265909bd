"""Earnings: which company reports on which morning, and how far a surprise moves it."""

from collections.abc import Callable
from random import Random

from domain import clock
from domain.context import Recorder, TickContext
from domain.rng import bell_bps, generator
from domain.rules.fundamentals import scaled
from domain.rules.regimes import REGIMES
from domain.units import BPS
from schemas import events as ev
from schemas.config import SeasonConfig
from schemas.enums import Regime

EARNINGS_SURPRISE_BPS = 800  # an earnings surprise moves fair value up to +/- 8% (x regime)


def reports_on(tick: int, index: int, config: SeasonConfig) -> bool:
    """Whether the ``index``-th listed company reports at the open of ``tick``."""
    day = clock.day_of(tick, config)
    return (
        clock.is_opening_tick(tick, config)
        and day != 0
        and not (day + index) % (config.earnings_every_days)
    )


def surprise_bps(rng: Random, regime: Regime) -> int:
    surprise = bell_bps(rng, EARNINGS_SURPRISE_BPS // 2) * REGIMES[regime].vol_pct // 100
    return max(-EARNINGS_SURPRISE_BPS * 3, min(EARNINGS_SURPRISE_BPS * 3, surprise))


def report(rec: Recorder, ctx: TickContext) -> None:
    """At the open, every ``earnings_every_days``-th company (staggered) reports; the
    surprises come from the tick's dice, one after another (rules v1)."""
    _report(rec, lambda _symbol: surprise_bps(ctx.rng, rec.world.regime))


def report_foreseeable(rec: Recorder, ctx: TickContext) -> None:
    """Rules v2: each company's surprise has its own dice, (seed, tick, symbol), so that
    its CEO can be told it ahead (domain/rules/insiders.py)."""
    world = rec.world
    _report(
        rec, lambda symbol: surprise_bps(surprise_dice(world.seed, rec.tick, symbol), world.regime)
    )
    _ = ctx


def surprise_dice(seed: int, tick: int, symbol: str) -> Random:
    return generator(seed, tick, f"earnings:{symbol}")


def _report(rec: Recorder, draw: Callable[[str], int]) -> None:
    world = rec.world
    for index, (symbol, company) in enumerate(world.companies.items()):
        if not reports_on(rec.tick, index, world.config):
            continue
        surprise = draw(symbol)
        revenue = company.revenue * (BPS + surprise // 2) // BPS
        profit = company.profit + company.revenue * surprise // BPS
        rec.emit(
            ev.EarningsReported(
                tick=rec.tick,
                symbol=symbol,
                quarter=company.quarter + 1,
                revenue=revenue,
                profit=profit,
                eps=profit // company.shares_outstanding,
                surprise_bps=surprise,
                fair_value=scaled(company.fair_value, surprise * 100),
            )
        )
