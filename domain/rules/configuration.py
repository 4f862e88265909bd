"""CONFIGURE_SEASON: an operator changes a running season's rule numbers or rules version.

This is how a fork (``wss replay fork``) changes its rules: the change is a command on the
fork's own log, so the fork replays and verifies like any season. It takes effect at the
start of the tick that consumes it (``step`` decides it before every phase), so the whole
tick runs under it. What fixed the universe and the clock at genesis cannot change.
"""

from domain.context import Recorder
from domain.outcomes import refuse
from domain.rules.versions import RULE_SETS, UnknownRulesVersion
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import RejectReason

# The listed companies, the built-in population, the trading day and the starting regime
# were laid down by SeasonStarted; changing them later would not change the world.
FIXED_AT_GENESIS = ("symbols", "population", "open_ticks_per_day", "after_hours_ticks", "regime")


def configure(rec: Recorder, c: cmd.ConfigureSeason) -> None:
    world = rec.world
    fixed = [f for f in FIXED_AT_GENESIS if getattr(c.config, f) != getattr(world.config, f)]
    if c.agent_id != cmd.OPERATOR_ID:
        refuse(rec, c, RejectReason.NOT_OPERATOR, "operator commands only")
    elif fixed:
        refuse(rec, c, RejectReason.FIXED_AT_GENESIS, f"fixed at genesis: {', '.join(fixed)}")
    elif c.rules_version not in RULE_SETS:
        refuse(
            rec, c, RejectReason.UNKNOWN_RULES_VERSION, str(UnknownRulesVersion(c.rules_version))
        )
    else:
        rec.emit(
            ev.SeasonConfigured(
                tick=rec.tick,
                command_id=c.command_id,
                config=c.config,
                rules_version=c.rules_version,
            )
        )
