"""Market makers: quote both sides around valuation and last price, skewed by inventory.

The valuation is fair value shifted by recent rumors (domain/rules/rumors.py)."""

from collections.abc import Iterator
from random import Random

from domain.rules import rumors
from domain.rules.bands import clamp
from domain.rules.roles import ROLES
from domain.state import Account, World
from domain.traders.common import Ids, Trader, order
from domain.units import BPS, DOLLAR
from schemas import commands as cmd
from schemas.enums import Role, Strategy

MM_NOTIONAL = 2_000_000  # cents quoted per side per symbol by a market maker ($20k)
MM_TARGET_VALUE = 2_000_000 * DOLLAR  # inventory a market maker aims to hold per symbol
MM_INVENTORY_LIMIT = 4  # inventory (in quote sizes) at which the skew is a full spread


def decide(
    world: World, account: Account, _rng: Random, rank: int, ids: Ids
) -> Iterator[cmd.CommandBase]:
    """Requote every symbol each minute; the n-th market maker quotes a wider spread."""
    for oid in list(account.open_orders):
        yield cmd.CancelOrder(command_id=ids(), agent_id=account.agent_id, order_id=oid)
    for symbol, company in world.companies.items():
        ref = (rumors.valuation(world, company, ids.tick) + company.last_price) // 2
        size = max(1, MM_NOTIONAL // max(ref, 1))
        half_spread = max(1, ref * (8 + 6 * rank) // BPS)
        held = account.positions.get(symbol, 0)
        target = MM_TARGET_VALUE // max(ref, 1)
        skew = (held - target) * half_spread // (size * MM_INVENTORY_LIMIT)
        skew = max(-half_spread * 2, min(half_spread * 2, skew))
        bid = clamp(world, company, ref - half_spread - skew)
        ask = clamp(world, company, max(bid + 1, ref + half_spread - skew))
        yield order(
            cmd.Buy if held >= 0 else cmd.Cover,
            ids,
            account.agent_id,
            symbol,
            qty=size if held >= 0 else min(size, -held),
            price=bid,
        )
        if held >= size:
            yield order(cmd.Sell, ids, account.agent_id, symbol, qty=size, price=ask)
        elif held <= 0:
            yield order(cmd.Short, ids, account.agent_id, symbol, qty=size, price=ask)


TRADER = Trader(
    strategy=Strategy.MARKET_MAKER,
    id_prefix="mm",
    role=Role.MARKET_MAKER,
    cash=ROLES[Role.MARKET_MAKER].starting_cash,
    holding_value=MM_TARGET_VALUE,
    count=lambda population: population.market_makers,
    decide=decide,
)
