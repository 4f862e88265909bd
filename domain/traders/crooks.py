"""What the seeded crooks share: their counts, their symbol, and trading toward a target.

Each crook trades one symbol, picked by its rank from the listing (documented in
docs/rules.md, "The seeded crooks"), through the same commands and rules as anyone.
"""

from collections.abc import Iterator

from domain.state import Account, Company, World
from domain.traders.common import Ids, order
from schemas import commands as cmd
from schemas.config import NO_CROOKS, CrookConfig, PopulationConfig
from schemas.enums import Strategy


def crooks(population: PopulationConfig) -> CrookConfig:
    return population.crooks or NO_CROOKS


def company_at(world: World, index: int) -> Company:
    companies = list(world.companies.values())
    return companies[index % len(companies)]


def base_holding(company: Company, holding_value: int) -> int:
    """The shares a crook was endowed with at genesis (as ``universe`` endows them)."""
    return max(1, holding_value // company.initial_price)


def toward(
    account: Account, company: Company, target: int, step_value: int, ids: Ids
) -> Iterator[cmd.CommandBase]:
    """One MARKET order of at most ``step_value`` cents moving the position to ``target``."""
    symbol = company.symbol
    held = account.positions.get(symbol, 0)
    step = max(1, step_value // company.last_price)
    if held < target:
        yield order(
            cmd.Buy, ids, account.agent_id, symbol, qty=min(step, target - held), price=None
        )
    elif held > target:
        qty = min(step, held - target, account.sellable(symbol))
        if qty > 0:
            yield order(cmd.Sell, ids, account.agent_id, symbol, qty=qty, price=None)


def partners(world: World, strategy: Strategy) -> list[Account]:
    """The active accounts of one crook strategy, in genesis order."""
    return [a for a in world.accounts.values() if a.strategy is strategy and a.active]
