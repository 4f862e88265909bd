"""What every built-in trader is made of: its endowment, its decision, its command ids."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from random import Random

from domain.state import Account, Company, World
from schemas import commands as cmd
from schemas.config import PopulationConfig
from schemas.enums import Offence, OrderType, Role, Strategy


class Ids:
    """Command ids for built-in commands: ``bi.<tick>.<n>``, in decision order."""

    def __init__(self, tick: int) -> None:
        self.tick, self.n = tick, 0

    def __call__(self) -> str:
        self.n += 1
        return f"bi.{self.tick}.{self.n}"


# (world, own account, the tick's dice, rank among traders of its strategy, ids) -> commands
Decide = Callable[[World, Account, Random, int, Ids], Iterator[cmd.CommandBase]]


@dataclass(frozen=True, slots=True)
class Trader:
    """A built-in strategy: how many there are, what each starts with, how it decides."""

    strategy: Strategy
    id_prefix: str  # agent ids are <prefix>-1, <prefix>-2, ...
    role: Role
    cash: int  # cents at genesis
    holding_value: int  # and shares worth this much (cents) in every symbol
    count: Callable[[PopulationConfig], int]
    decide: Decide
    # A seeded crook's offence (ground truth), and the honest strategy it passes for in
    # public (its id prefix is that strategy's, numbered after the honest ones).
    offence: Offence | None = None
    cover: Strategy | None = None

    @property
    def public_strategy(self) -> Strategy:
        return self.cover or self.strategy


def order(
    kind: type[cmd.Buy | cmd.Sell | cmd.Short | cmd.Cover],
    ids: Ids,
    agent: str,
    symbol: str,
    *,
    qty: int,
    price: int | None,
) -> cmd.OrderCommand:
    """A LIMIT order at ``price``, or a MARKET order when ``price`` is None."""
    order_type = OrderType.MARKET if price is None else OrderType.LIMIT
    return kind(
        command_id=ids(),
        agent_id=agent,
        symbol=symbol,
        order_type=order_type,
        quantity=qty,
        price=price,
    )


def pick(world: World, rng: Random) -> Company:
    """A company drawn uniformly (dict order is the listing order: deterministic)."""
    companies = list(world.companies.values())
    return companies[rng.randrange(len(companies))]


def cancel_oldest(account: Account, ids: Ids) -> cmd.CancelOrder:
    return cmd.CancelOrder(
        command_id=ids(), agent_id=account.agent_id, order_id=next(iter(account.open_orders))
    )
