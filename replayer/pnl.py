"""An agent's P&L: its equity now against its worth when it entered the season.

A built-in trader starts with holdings as well as cash (the genesis hands them out), so
its starting worth is its equity at the genesis tick, not its starting cash; an agent
that registers later starts with cash only. ``opening_worth`` is taken from the world
right after tick 0 (``replayer.fold`` records it as ``Folded.opening_worth``).
"""

from collections.abc import Mapping

from domain.state import Account, World


def opening_worth(world: World) -> dict[str, int]:
    """Every account's equity now: call it on the world right after the genesis tick."""
    return {a.agent_id: world.equity(a) for a in world.accounts.values()}


def pnl(world: World, account: Account, opening: Mapping[str, int]) -> int:
    """Cents gained (or lost) since ``account`` entered the season."""
    return world.equity(account) - opening.get(account.agent_id, account.starting_cash)
