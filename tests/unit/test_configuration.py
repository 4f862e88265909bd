"""CONFIGURE_SEASON: a fork's new rules, as an operator command that rules its whole tick."""

from domain import World, context_for, state_hash, step
from domain.hashing import restore, snapshot
from domain.simulate import start_command
from schemas import commands as cmd
from schemas import events as ev
from schemas.config import PopulationConfig, SeasonConfig
from schemas.enums import RejectReason

CONFIG = SeasonConfig(symbols=3, population=PopulationConfig(noise_traders=12))


def _world(ticks: int) -> World:
    world = World()
    step(world, [start_command(5, CONFIG, 1)], context_for(world, 0, 1, 1))
    for tick in range(1, ticks + 1):
        step(world, [], context_for(world, tick))
    return world


def _configure(
    config: SeasonConfig, rules_version: int = 1, agent: str = cmd.OPERATOR_ID
) -> cmd.ConfigureSeason:
    return cmd.ConfigureSeason(
        command_id="cfg", agent_id=agent, config=config, rules_version=rules_version
    )


def test_configure_season_changes_fees_from_the_first_trade_of_its_tick() -> None:
    world = _world(3)
    fee = CONFIG.model_copy(update={"fee_bps": 100})
    events = step(world, [_configure(fee)], context_for(world, 4, 1, 1))
    assert isinstance(events[0], ev.SeasonConfigured)  # before the built-in traders trade
    assert world.config.fee_bps == 100
    trades = [e for e in events if isinstance(e, ev.TradeExecuted)]
    assert trades
    for t in trades:  # 1% of the notional, each side (not the 2 bps it ran under)
        assert t.buyer_fee + t.seller_fee >= 2 * (t.price * t.quantity * 100 // 10_000) - 2


def test_configure_season_is_refused_for_genesis_fields_non_operators_and_unknown_versions() -> (
    None
):
    world = _world(2)
    before = state_hash(world)
    probe = restore(snapshot(world))
    cases = (
        (_configure(CONFIG.model_copy(update={"symbols": 4})), RejectReason.FIXED_AT_GENESIS),
        (_configure(CONFIG, agent="alice"), RejectReason.NOT_OPERATOR),
        (_configure(CONFIG, rules_version=999), RejectReason.UNKNOWN_RULES_VERSION),
    )
    for command, reason in cases:
        events = step(probe, [command], context_for(probe, 3))
        rejected = [e for e in events if isinstance(e, ev.CommandRejected)]
        assert [r.reason for r in rejected] == [reason]
        assert probe.config == CONFIG
        assert probe.rules_version == 1
        probe = restore(snapshot(world))
    assert state_hash(world) == before


def test_configure_season_can_move_a_season_to_a_newer_rules_version() -> None:
    world = _world(2)
    step(world, [_configure(CONFIG, rules_version=2)], context_for(world, 3))
    assert world.rules_version == 2
    assert state_hash(restore(snapshot(world))) == state_hash(world)
