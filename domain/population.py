"""The built-in traders that make the market live, deterministic from the seed.

Each strategy reads the world and returns commands; the commands then go through the
same ``place``/``cancel`` decisions as any external agent's. No price is ever set here.
"""

from collections.abc import Iterator
from random import Random

from domain.rules import BPS, DOLLAR
from domain.state import Account, Company, World
from schemas import commands as cmd
from schemas.enums import OrderType

MM_NOTIONAL = 2_000_000  # cents quoted per side per symbol by a market maker ($20k)
MM_TARGET_VALUE = 2_000_000 * DOLLAR  # inventory a market maker aims to hold per symbol
MM_INVENTORY_LIMIT = 4  # inventory (in quote sizes) at which the skew is a full spread


class Ids:
    """Command ids for built-in commands: ``bi.<tick>.<n>``, in decision order."""

    def __init__(self, tick: int) -> None:
        self.tick, self.n = tick, 0

    def __call__(self) -> str:
        self.n += 1
        return f"bi.{self.tick}.{self.n}"


def _band(world: World, company: Company, price: int) -> int:
    """Clamp a quote into the accepted price band so built-ins are never rejected for it."""
    room = company.last_price * (world.config.price_band_bps - 10) // BPS
    return max(1, min(company.last_price + room, max(company.last_price - room, price)))


def _order(
    kind: type[cmd.Buy | cmd.Sell | cmd.Short | cmd.Cover],
    ids: Ids,
    agent: str,
    symbol: str,
    *,
    qty: int,
    price: int | None,
) -> cmd.OrderCommand:
    order_type = OrderType.MARKET if price is None else OrderType.LIMIT
    return kind(
        command_id=ids(),
        agent_id=agent,
        symbol=symbol,
        order_type=order_type,
        quantity=qty,
        price=price,
    )


def market_maker(world: World, account: Account, rank: int, ids: Ids) -> Iterator[cmd.CommandBase]:
    """Quote both sides around a blend of fair value and last price, skewed by inventory."""
    for oid in list(account.open_orders):
        yield cmd.CancelOrder(command_id=ids(), agent_id=account.agent_id, order_id=oid)
    for symbol, company in world.companies.items():
        ref = (company.fair_value + company.last_price) // 2
        size = max(1, MM_NOTIONAL // max(ref, 1))
        half_spread = max(1, ref * (8 + 6 * rank) // BPS)
        held = account.positions.get(symbol, 0)
        target = MM_TARGET_VALUE // max(ref, 1)
        skew = (held - target) * half_spread // (size * MM_INVENTORY_LIMIT)
        skew = max(-half_spread * 2, min(half_spread * 2, skew))
        bid = _band(world, company, ref - half_spread - skew)
        ask = _band(world, company, max(bid + 1, ref + half_spread - skew))
        yield _order(
            cmd.Buy if held >= 0 else cmd.Cover,
            ids,
            account.agent_id,
            symbol,
            qty=size if held >= 0 else min(size, -held),
            price=bid,
        )
        if held >= size:
            yield _order(cmd.Sell, ids, account.agent_id, symbol, qty=size, price=ask)
        elif held <= 0:
            yield _order(cmd.Short, ids, account.agent_id, symbol, qty=size, price=ask)


def _pick(world: World, rng: Random) -> Company:
    """A company drawn uniformly (dict order is the listing order: deterministic)."""
    companies = list(world.companies.values())
    return companies[rng.randrange(len(companies))]


def noise(world: World, account: Account, rng: Random, ids: Ids) -> Iterator[cmd.CommandBase]:
    if rng.randrange(100) >= 30:
        return
    company = _pick(world, rng)
    symbol = company.symbol
    qty = max(1, rng.randrange(500_000, 5_000_000) // company.last_price)
    held = account.positions.get(symbol, 0) - account.selling.get(symbol, 0)
    selling = rng.randrange(2) == 0 and held >= qty
    offset = rng.randrange(-60, 61) * company.last_price // BPS
    price = None if rng.randrange(100) < 35 else _band(world, company, company.last_price + offset)
    yield _order(
        cmd.Sell if selling else cmd.Buy, ids, account.agent_id, symbol, qty=qty, price=price
    )
    if len(account.open_orders) > 8:  # noise traders don't let stale orders pile up
        yield cmd.CancelOrder(
            command_id=ids(), agent_id=account.agent_id, order_id=next(iter(account.open_orders))
        )


def momentum(world: World, account: Account, rng: Random, ids: Ids) -> Iterator[cmd.CommandBase]:
    if rng.randrange(100) >= 20:
        return
    company = _pick(world, rng)
    symbol = company.symbol
    if len(company.closes) < 10:
        return
    change_bps = (company.closes[-1] - company.closes[-10]) * BPS // company.closes[-10]
    qty = max(1, rng.randrange(1_000_000, 10_000_000) // company.last_price)
    held = account.positions.get(symbol, 0) - account.selling.get(symbol, 0)
    if change_bps > 20:
        yield _order(cmd.Buy, ids, account.agent_id, symbol, qty=qty, price=None)
    elif change_bps < -20 and held > 0:
        yield _order(cmd.Sell, ids, account.agent_id, symbol, qty=min(qty, held), price=None)


def value(world: World, account: Account, rng: Random, ids: Ids) -> Iterator[cmd.CommandBase]:
    if rng.randrange(100) >= 20:
        return
    company = _pick(world, rng)
    symbol = company.symbol
    gap_bps = (company.fair_value - company.last_price) * BPS // company.last_price
    qty = max(1, rng.randrange(2_000_000, 20_000_000) // company.last_price)
    held = account.positions.get(symbol, 0) - account.selling.get(symbol, 0)
    if account.open_orders:
        yield cmd.CancelOrder(
            command_id=ids(), agent_id=account.agent_id, order_id=next(iter(account.open_orders))
        )
    if gap_bps > 100:
        yield _order(
            cmd.Buy,
            ids,
            account.agent_id,
            symbol,
            qty=qty,
            price=_band(world, company, company.last_price + company.last_price * 20 // BPS),
        )
    elif gap_bps < -100 and held > 0:
        yield _order(
            cmd.Sell,
            ids,
            account.agent_id,
            symbol,
            qty=min(qty, held),
            price=_band(world, company, company.last_price - company.last_price * 20 // BPS),
        )


def commands(world: World, rng: Random, tick: int) -> Iterator[cmd.CommandBase]:
    """Every built-in agent's commands for this tick, in account order."""
    ids = Ids(tick)
    mm_rank = 0
    for account in world.accounts.values():
        strategy = account.strategy
        if strategy == "external" or account.status != "active":
            continue
        if strategy == "market_maker":
            yield from market_maker(world, account, mm_rank, ids)
            mm_rank += 1
        elif strategy == "noise":
            yield from noise(world, account, rng, ids)
        elif strategy == "momentum":
            yield from momentum(world, account, rng, ids)
        elif strategy == "value":
            yield from value(world, account, rng, ids)
