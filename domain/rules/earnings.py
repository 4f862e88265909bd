"""Earnings: which company reports on which morning, and how far a surprise moves it."""

from domain import clock
from domain.context import Recorder, TickContext
from domain.rng import bell_bps
from domain.rules.fundamentals import scaled
from domain.rules.regimes import REGIMES
from domain.units import BPS
from schemas import events as ev

EARNINGS_SURPRISE_BPS = 800  # an earnings surprise moves fair value up to +/- 8% (x regime)


def report(rec: Recorder, ctx: TickContext) -> None:
    """At the open, every ``earnings_every_days``-th company (staggered) reports."""
    world = rec.world
    day = clock.day_of(rec.tick, world.config)
    every = world.config.earnings_every_days
    vol_pct = REGIMES[world.regime].vol_pct
    for index, (symbol, company) in enumerate(world.companies.items()):
        if day == 0 or (day + index) % every:
            continue
        surprise = bell_bps(ctx.rng, EARNINGS_SURPRISE_BPS // 2) * vol_pct // 100
        surprise = max(-EARNINGS_SURPRISE_BPS * 3, min(EARNINGS_SURPRISE_BPS * 3, surprise))
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
