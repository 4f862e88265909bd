"""The genesis names the rules version a season runs under; unknown versions are refused."""

import pytest

from domain import World, context_for, restore, snapshot, step
from domain.hashing import state_hash
from domain.rules.versions import CURRENT_VERSION, RULE_SETS, UnknownRulesVersion
from domain.simulate import simulate, start_command
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import RejectReason


def test_start_season_under_an_unknown_rules_version_is_rejected() -> None:
    world = World()
    events = step(world, [start_command(1, rules_version=99)], context_for(world, 0))
    refused = events[0]
    assert isinstance(refused, ev.CommandRejected)
    assert refused.reason is RejectReason.UNKNOWN_RULES_VERSION
    assert refused.detail == "rules version 99 is not known to this build (known: 1, 2)"
    assert not world.started


@pytest.mark.parametrize("version", [1, 2])
def test_the_genesis_records_the_rules_version_the_world_runs_under(version: int) -> None:
    world = World()
    events = step(world, [start_command(1, rules_version=version)], context_for(world, 0))
    genesis = events[0]
    assert isinstance(genesis, ev.SeasonStarted)
    assert genesis.rules_version == version == world.rules_version
    assert restore(snapshot(world)).rules_version == version


def test_a_new_season_runs_the_newest_rules_but_the_schema_default_stays_1() -> None:
    assert CURRENT_VERSION == 2 == start_command(1).rules_version
    genesis = simulate(1, 0)[0]
    assert isinstance(genesis, ev.SeasonStarted)
    assert genesis.rules_version == 2
    assert cmd.StartSeason(command_id="s", agent_id="operator", seed=1).rules_version == 1
    assert ev.SeasonStarted.model_fields["rules_version"].default == 1


def _started(version: int) -> World:
    world = World()
    step(world, [start_command(4, rules_version=version)], context_for(world, 0))
    return world


def test_reputation_is_in_the_hash_and_the_snapshot_of_a_v2_world() -> None:
    world = _started(2)
    account = next(iter(world.accounts.values()))
    before = state_hash(world)
    account.reputation = 37
    assert state_hash(world) != before
    restored = restore(snapshot(world))
    assert restored.accounts[account.agent_id].reputation == 37
    assert state_hash(restored) == state_hash(world)


def test_reputation_stays_out_of_a_v1_worlds_hash() -> None:
    """A v1 world never moves reputation; writing it would change every pinned v1 hash."""
    world = _started(1)
    before = state_hash(world)
    next(iter(world.accounts.values())).reputation = 37
    assert state_hash(world) == before
    assert all(a.reputation == 50 for a in restore(snapshot(world)).accounts.values())


def test_an_older_genesis_or_snapshot_without_the_field_means_version_1() -> None:
    command = cmd.StartSeason.model_validate({"command_id": "s", "agent_id": "operator", "seed": 3})
    assert command.rules_version == 1
    world = World()
    step(world, [command], context_for(world, 0))
    world.rules_version = 7  # the image below lacks the field: it must not keep this
    image = snapshot(world)
    del image["rules_version"]
    assert restore(image).rules_version == 1


def test_a_world_under_an_unknown_rules_version_does_not_step() -> None:
    world = World()
    step(world, [start_command(1)], context_for(world, 0))
    world.rules_version = max(RULE_SETS) + 1
    with pytest.raises(UnknownRulesVersion, match="is not known to this build"):
        step(world, [], context_for(world, 1))
