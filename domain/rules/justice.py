"""Justice: the legal commands routed to their rules, and the legal phases of a tick.

Rules v1 recorded BRIBE, WHISTLEBLOW and FLEE without consequence and had no investigator
commands (``decide_v1`` keeps that); rules v2 gives each its consequence (``decide``).
"""

from domain.context import Recorder, TickContext
from domain.outcomes import reject_command
from domain.rules import (
    bribery,
    courts,
    flight,
    insiders,
    investigations,
    investigators,
    prison,
    social,
    whistleblowing,
)
from domain.rules.legal import LegalCommand
from domain.state import Account
from schemas import commands as cmd
from schemas.enums import RejectReason


def decide_v1(rec: Recorder, account: Account, c: LegalCommand) -> None:
    if isinstance(c, (cmd.Bribe, cmd.Whistleblow, cmd.Flee)):
        social.record(rec, account, c)
    else:  # a command type rules v1 does not know: what its log would have called it
        reject_command(rec, c, RejectReason.MALFORMED, f"{c.type} needs rules version 2")


def decide(rec: Recorder, account: Account, c: LegalCommand) -> None:
    match c:
        case cmd.Bribe():
            bribery.bribe(rec, account, c)
        case cmd.Whistleblow():
            whistleblowing.whistleblow(rec, account, c)
        case cmd.Flee():
            flight.flee(rec, account, c)
        case cmd.OpenCase() | cmd.Subpoena() | cmd.FreezeAssets():
            investigators.act(rec, account, c)


def no_phase(rec: Recorder, ctx: TickContext) -> None:
    """Rules v1 has no legal phases."""


def before_commands(rec: Recorder, ctx: TickContext) -> None:
    """Phase 0 of a v2 tick: prisoners released, CEOs told of coming earnings."""
    prison.release(rec)
    insiders.preview(rec)


def after_trading(rec: Recorder, ctx: TickContext) -> None:
    """The last phase of a v2 tick, before the summaries: suspicions raised this tick
    become cases, stalls that ended let charges through, the courts sit."""
    investigations.from_suspicions(rec)
    investigations.charge_unstalled(rec)
    courts.hold_court(rec, ctx)
