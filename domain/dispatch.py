"""Command routing: exactly one outcome event per command, decided by the season's rules."""

from domain.context import Recorder
from domain.outcomes import ORDER_COMMANDS, StepInput, refuse, reject_command
from domain.rules import configuration
from domain.rules.legal import LEGAL_COMMANDS
from domain.rules.social import SOCIAL_COMMANDS
from domain.rules.versions import RULE_SETS, RuleSet, UnknownRulesVersion
from domain.universe import start_season
from schemas import commands as cmd
from schemas.enums import AgentStatus, RejectReason


def decide(rec: Recorder, rules: RuleSet, c: StepInput) -> None:
    """Route ``c`` to the rule that decides it, after the checks every command passes."""
    world = rec.world
    if isinstance(c, cmd.Malformed):
        reject_command(rec, c, RejectReason.MALFORMED, c.error)
        return
    if isinstance(c, cmd.StartSeason):
        if c.agent_id != cmd.OPERATOR_ID:
            refuse(rec, c, RejectReason.NOT_OPERATOR, "operator commands only")
        elif world.started:
            refuse(rec, c, RejectReason.MALFORMED, "the season has already started")
        elif c.rules_version not in RULE_SETS:
            detail = str(UnknownRulesVersion(c.rules_version))
            refuse(rec, c, RejectReason.UNKNOWN_RULES_VERSION, detail)
        else:
            start_season(rec, c)
        return
    if not world.started or world.ended:
        refuse(rec, c, RejectReason.SEASON_NOT_RUNNING, "the season is not running")
        return
    if isinstance(c, (cmd.StopSeason, cmd.SetRegime)):
        if c.agent_id != cmd.OPERATOR_ID:
            refuse(rec, c, RejectReason.NOT_OPERATOR, "operator commands only")
        elif isinstance(c, cmd.SetRegime):
            rules.set_regime(rec, c)
        # StopSeason's outcome is SeasonEnded, emitted once the tick's trading is done.
        return
    if isinstance(c, cmd.ConfigureSeason):
        configuration.configure(rec, c)
        return
    if isinstance(c, cmd.RegisterAgent):
        rules.register(rec, c)
        return
    if isinstance(c, cmd.PublishArticle):  # the newsroom is no agent: it has no account
        rules.publish_article(rec, c)
        return
    account = world.accounts.get(c.agent_id)
    if account is None:
        refuse(rec, c, RejectReason.UNKNOWN_AGENT, f"no agent {c.agent_id}")
    elif account.status is AgentStatus.IMPRISONED:  # rules v2 only: v1 never imprisons
        term = world.prison.get(account.agent_id)
        until = f" until tick {term[0]}" if term is not None else ""
        refuse(rec, c, RejectReason.AGENT_IMPRISONED, f"in prison{until}")
    elif not account.active:
        refuse(rec, c, RejectReason.AGENT_NOT_ACTIVE, f"agent is {account.status.value}")
    elif isinstance(c, ORDER_COMMANDS):
        rules.place_order(rec, account, c)
    elif isinstance(c, cmd.CancelOrder):
        rules.cancel_order(rec, account, c)
    elif isinstance(c, LEGAL_COMMANDS):
        rules.legal(rec, account, c)
    elif isinstance(c, SOCIAL_COMMANDS):
        rules.social(rec, account, c)
    else:  # a command type added to the schema but not to the domain: a programming error
        raise TypeError(f"no decision for {type(c).__name__}")
