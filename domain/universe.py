"""The seeded genesis: listed companies and the built-in population with its holdings."""

from random import Random

from domain import clock
from domain.context import Recorder
from domain.rng import generator
from domain.rules.fundamentals import SECTORS
from domain.traders import insider
from domain.traders.registry import TRADERS
from domain.units import DOLLAR
from schemas import commands as cmd
from schemas import events as ev
from schemas.config import CrookConfig, PopulationConfig, SeasonConfig
from schemas.enums import Sector, Strategy
from schemas.events import BuiltinAgent, CompanyListing

_SYLLABLES = (
    "ap",
    "ex",
    "nov",
    "ter",
    "lu",
    "mar",
    "zen",
    "qui",
    "or",
    "vel",
    "tra",
    "kor",
    "syn",
    "dyn",
    "pax",
    "lum",
    "cor",
    "vex",
    "ion",
    "ar",
    "ba",
    "ri",
    "so",
    "ta",
)
_SUFFIX: dict[Sector, str] = {
    Sector.TECHNOLOGY: "Systems",
    Sector.FINANCE: "Capital",
    Sector.HEALTHCARE: "Health",
    Sector.CONSUMER: "Brands",
    Sector.ENERGY: "Energy",
    Sector.INDUSTRIAL: "Industries",
    Sector.CRYPTO: "Chain",
    Sector.REAL_ESTATE: "Realty",
    Sector.MEME: "Moonshot",
    Sector.UTILITIES: "Power",
}


def _sector_plan(count: int) -> list[Sector]:
    """Sectors in proportion to their weight, largest remainders first (deterministic)."""
    quotas = [(s, count * r.weight) for s, r in SECTORS.items()]
    plan = [s for s, q in quotas for _ in range(q // 100)]
    by_remainder = sorted(quotas, key=lambda sq: (-(sq[1] % 100), list(SECTORS).index(sq[0])))
    plan += [s for s, _ in by_remainder[: count - len(plan)]]
    return plan


def _name(rng: Random) -> str:
    return "".join(_SYLLABLES[rng.randrange(len(_SYLLABLES))] for _ in range(2)).capitalize()


def companies(seed: int, config: SeasonConfig) -> tuple[CompanyListing, ...]:
    rng = generator(seed, 0, "universe")
    listings: list[CompanyListing] = []
    symbols: set[str] = set()  # membership only: never iterated
    for sector in _sector_plan(config.symbols):
        name = _name(rng)
        symbol = name[:4].upper()
        while symbol in symbols:
            symbol = (name[:3] + chr(ord("A") + rng.randrange(26))).upper()
        symbols.add(symbol)
        price = rng.randrange(10 * DOLLAR, 400 * DOLLAR)
        shares = rng.randrange(20, 2_000) * 1_000_000
        revenue = price * shares // rng.randrange(2, 12)  # price/sales of 2..12
        listings.append(
            CompanyListing(
                symbol=symbol,
                name=f"{name} {_SUFFIX[sector]}",
                sector=sector,
                shares_outstanding=shares,
                revenue=revenue,
                profit=revenue * rng.randrange(-5, 30) // 100,
                cash=revenue * rng.randrange(5, 60) // 100,
                debt=revenue * rng.randrange(0, 80) // 100,
                initial_price=price,
                volatility_bps=SECTORS[sector].daily_vol_bps,
                beta_pct=SECTORS[sector].beta_pct,
            )
        )
    return tuple(sorted(listings, key=lambda c: c.symbol))


def population_of(config: SeasonConfig, rules_version: int) -> PopulationConfig:
    """The population a season's genesis creates: rules v2 adds the default seeded crooks
    unless the config names its own (v1 never has any)."""
    population = config.population
    if population.crooks is None and rules_version >= 2:
        population = population.model_copy(update={"crooks": CrookConfig()})
    return population


def builtin_agents(
    config: SeasonConfig, listings: tuple[CompanyListing, ...], rules_version: int = 1
) -> tuple[BuiltinAgent, ...]:
    """Each trader's ``count`` agents, strategy by strategy in the registry's order; a
    crook's id continues the numbering of the honest strategy it passes for."""
    agents: list[BuiltinAgent] = []
    numbers: dict[str, int] = {}
    population = population_of(config, rules_version)
    for trader in TRADERS.values():
        for _ in range(trader.count(population)):
            holdings = {c.symbol: max(1, trader.holding_value // c.initial_price) for c in listings}
            n = numbers[trader.id_prefix] = numbers.get(trader.id_prefix, 0) + 1
            agent_id = f"{trader.id_prefix}-{n}"
            agents.append(
                BuiltinAgent(
                    agent_id=agent_id,
                    name=agent_id,
                    role=trader.role,
                    strategy=trader.strategy,
                    cash=trader.cash,
                    holdings=holdings,
                )
            )
    return tuple(agents)


def start_season(rec: Recorder, c: cmd.StartSeason) -> None:
    """START_SEASON's outcome: the whole genesis, so the event log alone describes it."""
    listings = companies(c.seed, c.config)
    rec.emit(
        ev.SeasonStarted(
            tick=rec.tick,
            command_id=c.command_id,
            seed=c.seed,
            rules_version=c.rules_version,
            config=c.config,
            start_time=clock.SEASON_START.isoformat(),
            companies=listings,
            builtin_agents=builtin_agents(c.config, listings, c.rules_version),
        )
    )
    _appoint_insiders(rec, listings)


def _appoint_insiders(rec: Recorder, listings: tuple[CompanyListing, ...]) -> None:
    """Each built-in insider CEO runs a company from the genesis (rules v2): the rank-th
    one the company at listing index ``earnings_every_days - 1 + rank``, which reports
    on day 1 (registered CEOs are appointed after them, in turn)."""
    world = rec.world
    every = world.config.earnings_every_days
    insiders = [a for a in world.accounts.values() if a.strategy is Strategy.INSIDER]
    for rank, account in enumerate(insiders):
        symbol = listings[insider.company_index(every, rank, len(listings))].symbol
        rec.emit(ev.CeoAppointed(tick=rec.tick, agent_id=account.agent_id, symbol=symbol))
