"""The game's numbers, in one place. docs/rules.md states each of them for agent authors."""

from dataclasses import dataclass

from schemas.enums import Regime, Role, Sector

DOLLAR = 100  # cents
BPS = 10_000  # basis points in one


@dataclass(frozen=True, slots=True)
class RoleRules:
    starting_cash: int  # cents
    max_leverage: int  # gross exposure may reach equity x this
    ability: str


ROLES: dict[Role, RoleRules] = {
    Role.HEDGE_FUND_MANAGER: RoleRules(100_000_000 * DOLLAR, 10, "large leverage"),
    Role.RETAIL_TRADER: RoleRules(10_000 * DOLLAR, 2, "coordinates on social media"),
    Role.CEO: RoleRules(10_000_000 * DOLLAR, 1, "insider knowledge of own company"),
    Role.INVESTMENT_BANKER: RoleRules(1_000_000 * DOLLAR, 3, "structures IPOs and M&A"),
    Role.FINANCIAL_JOURNALIST: RoleRules(50_000 * DOLLAR, 1, "moves markets with stories"),
    Role.SEC_INVESTIGATOR: RoleRules(100_000 * DOLLAR, 1, "subpoena power, can freeze assets"),
    Role.WHISTLEBLOWER: RoleRules(25_000 * DOLLAR, 1, "exposes fraud for rewards"),
    Role.QUANT: RoleRules(50_000_000 * DOLLAR, 5, "high-frequency trading"),
    Role.INFLUENCER: RoleRules(100_000 * DOLLAR, 2, "pump-and-dump coordination"),
    Role.MARKET_MAKER: RoleRules(20_000_000 * DOLLAR, 4, "quotes both sides; built-in only"),
}

# Roles an external agent may register as (market makers are the house's own traders).
REGISTRABLE_ROLES: tuple[Role, ...] = tuple(r for r in Role if r is not Role.MARKET_MAKER)


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


@dataclass(frozen=True, slots=True)
class RegimeRules:
    drift_bps_per_day: int  # market factor drift of fundamentals per trading day
    vol_pct: int  # volatility multiplier, percent of the sector's


REGIMES: dict[Regime, RegimeRules] = {
    Regime.NORMAL: RegimeRules(0, 100),
    Regime.BULL: RegimeRules(40, 90),
    Regime.BEAR: RegimeRules(-40, 130),
    Regime.CRASH: RegimeRules(-400, 300),
    Regime.BUBBLE: RegimeRules(150, 160),
}

# Each day at the close, a regime may switch by chance (in 1/10,000ths), except when an
# operator set it: the same regime then holds until the operator changes it again.
REGIME_SWITCH_CHANCE = 500  # 5% a day
REGIME_NEXT: dict[Regime, tuple[Regime, ...]] = {
    Regime.NORMAL: (Regime.BULL, Regime.BEAR, Regime.BUBBLE),
    Regime.BULL: (Regime.NORMAL, Regime.BUBBLE),
    Regime.BEAR: (Regime.NORMAL, Regime.CRASH),
    Regime.CRASH: (Regime.BEAR, Regime.NORMAL),
    Regime.BUBBLE: (Regime.CRASH, Regime.NORMAL),
}

EARNINGS_SURPRISE_BPS = 800  # an earnings surprise moves fair value up to +/- 8% (x regime)
STOP_CASCADE_LIMIT = 1_000  # stop orders triggered by one command, at most
DEPTH_LEVELS = 10
