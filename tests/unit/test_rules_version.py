"""The genesis names the rules version a season runs under; unknown versions are refused."""

import pytest

from domain import World, context_for, restore, snapshot, step
from domain.rules.versions import CURRENT_VERSION, RULE_SETS, UnknownRulesVersion
from domain.simulate import start_command
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import RejectReason


def test_start_season_under_an_unknown_rules_version_is_rejected() -> None:
    world = World()
    events = step(world, [start_command(1, rules_version=99)], context_for(world, 0))
    refused = events[0]
    assert isinstance(refused, ev.CommandRejected)
    assert refused.reason is RejectReason.UNKNOWN_RULES_VERSION
    assert refused.detail == "rules version 99 is not known to this build (known: 1)"
    assert not world.started


def test_the_genesis_records_the_rules_version_the_world_runs_under() -> None:
    world = World()
    events = step(world, [start_command(1, rules_version=1)], context_for(world, 0))
    genesis = events[0]
    assert isinstance(genesis, ev.SeasonStarted)
    assert genesis.rules_version == 1 == world.rules_version == CURRENT_VERSION
    assert restore(snapshot(world)).rules_version == 1


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
