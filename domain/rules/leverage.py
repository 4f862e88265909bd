"""Buying power: equity x the role's leverage, less exposure and what open orders hold."""

from domain.state import Account, World
from schemas import commands as cmd

OPENING = frozenset({"BUY", "SHORT"})  # intents that add exposure and need buying power


def buying_power(world: World, account: Account) -> int:
    """Exposure an agent may still add: equity x leverage - exposure - held for orders."""
    equity, exposure = world.equity_exposure(account)
    return equity * account.max_leverage - exposure - account.reserved


def reservation(c: cmd.OrderCommand) -> int:
    """A LIMIT or STOP BUY/SHORT holds quantity x price of buying power while it is open."""
    return c.quantity * c.price if c.type in OPENING and c.price else 0
