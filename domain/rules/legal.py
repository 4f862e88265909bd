"""What the legal commands share (rules v2): their names, target checks and outcome.

Each accepted legal command's outcome is a ``SocialActionRecorded`` whose ``note`` says
what it did, followed by its consequences (money moved, case opened, flight, ...).
"""

from domain.context import Recorder
from domain.outcomes import reject_command
from domain.rules import targets
from domain.state import Account, World
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import RejectReason

LEGAL_COMMANDS = (
    cmd.Bribe,
    cmd.Whistleblow,
    cmd.Flee,
    cmd.OpenCase,
    cmd.Subpoena,
    cmd.FreezeAssets,
)
LegalCommand = (
    cmd.Bribe | cmd.Whistleblow | cmd.Flee | cmd.OpenCase | cmd.Subpoena | cmd.FreezeAssets
)
Refusal = tuple[RejectReason, str]


def target_refusal(world: World, account: Account, target: str) -> Refusal | None:
    """A real agent other than yourself; it may be inactive (a prisoner or a fugitive can
    still be accused and investigated)."""
    found = targets.refusal(world, account, target)
    if found is not None and found[0] is RejectReason.TARGET_NOT_ACTIVE:
        return None
    return found


def accepted(rec: Recorder, c: LegalCommand, note: str, text: str = "") -> None:
    """The outcome of an accepted legal command (its consequences follow it)."""
    rec.emit(
        ev.SocialActionRecorded(
            tick=rec.tick,
            command_id=c.command_id,
            agent_id=c.agent_id,
            action=c.type,
            target_agent_id=getattr(c, "target_agent_id", None),
            amount=c.amount if isinstance(c, cmd.Bribe) else None,
            text=text,
            note=note,
        )
    )


def refuse(rec: Recorder, c: LegalCommand, refusal: Refusal) -> None:
    reject_command(rec, c, *refusal)
