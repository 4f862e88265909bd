"""Fundamental values: each sector's volatility and beta, and their seeded drift per minute."""

from dataclasses import dataclass

from domain.context import Recorder, TickContext
from domain.rng import bell_bps
from domain.rules.regimes import REGIMES
from schemas import events as ev
from schemas.enums import Sector


@dataclass(frozen=True, slots=True)
class SectorRules:
    daily_vol_bps: int  # typical daily move of fundamental value
    beta_pct: int  # correlation with the market factor, in percent
    weight: int  # share of listed companies, in percent


SECTORS: dict[Sector, SectorRules] = {
    Sector.TECHNOLOGY: SectorRules(250, 120, 25),
    Sector.FINANCE: SectorRules(180, 110, 15),
    Sector.HEALTHCARE: SectorRules(200, 90, 12),
    Sector.CONSUMER: SectorRules(150, 95, 12),
    Sector.ENERGY: SectorRules(300, 130, 8),
    Sector.INDUSTRIAL: SectorRules(180, 100, 8),
    Sector.CRYPTO: SectorRules(500, 30, 7),
    Sector.REAL_ESTATE: SectorRules(220, 80, 5),
    Sector.MEME: SectorRules(800, 20, 5),
    Sector.UTILITIES: SectorRules(120, 50, 3),
}


def scaled(value: int, delta_cbps: int) -> int:
    """value x (1 + delta), delta in 1/100 bps, rounded half away from zero, >= 1 cent."""
    change = abs(value * delta_cbps) + 500_000
    change //= 1_000_000
    return max(1, value + (change if delta_cbps >= 0 else -change))


def drift(rec: Recorder, ctx: TickContext) -> None:
    """Fundamental values take a seeded step: market factor x beta + own noise + drift."""
    world = rec.world
    regime = REGIMES[world.regime]
    drift_cbps = regime.drift_bps_per_day * 100 // world.config.open_ticks_per_day
    market = bell_bps(ctx.rng, 1_000)
    values: dict[str, int] = {}
    for symbol, company in world.companies.items():
        own = bell_bps(ctx.rng, company.volatility_bps * 100 // 20)  # ~ daily / sqrt(390)
        delta = drift_cbps + (market * company.beta_pct // 100 + own) * regime.vol_pct // 100
        values[symbol] = scaled(company.fair_value, delta)
    rec.emit(ev.FundamentalsDrifted(tick=rec.tick, fair_values=values))
