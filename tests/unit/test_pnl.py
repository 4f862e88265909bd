"""P&L counts from an agent's worth when it entered: a built-in trader's genesis holdings
are part of that worth, not profit."""

from domain import World, context_for, step
from domain.simulate import start_command
from replayer.pnl import opening_worth, pnl
from schemas import commands as cmd
from schemas.enums import Role


def test_every_pnl_is_zero_at_the_genesis_and_holdings_are_not_profit() -> None:
    world = World()
    step(world, [start_command(7)], context_for(world, 0))
    opening = opening_worth(world)
    holders = [a for a in world.accounts.values() if a.positions]
    assert holders  # the genesis hands out shares
    assert all(pnl(world, a, opening) == 0 for a in world.accounts.values())
    assert all(world.equity(a) - a.starting_cash > 0 for a in holders)  # what it used to say
    for tick in range(1, 30):
        step(world, [], context_for(world, tick))
    moved = {a.agent_id: pnl(world, a, opening) for a in holders}
    assert all(abs(v) < opening[agent] // 2 for agent, v in moved.items())


def test_an_agent_registered_later_counts_from_its_starting_cash() -> None:
    world = World()
    step(world, [start_command(7)], context_for(world, 0))
    opening = opening_worth(world)
    register = cmd.RegisterAgent(
        command_id="r", agent_id="late", name="late", role=Role.RETAIL_TRADER,
        api_key_hash="0" * 64,
    )  # fmt: skip
    step(world, [register], context_for(world, 1))
    assert pnl(world, world.accounts["late"], opening) == 0
