"""What the legal commands share (rules v2): their names, target checks and outcome.

Each accepted legal command's outcome is a ``SocialActionRecorded`` whose ``note`` says
what it did, followed by its consequences (money moved, case opened, flight, ...).
"""

from domain.context import Recorder
from domain.outcomes import reject_command
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
INVESTIGATOR_COMMANDS = (cmd.OpenCase, cmd.Subpoena, cmd.FreezeAssets)
Refusal = tuple[RejectReason, str]


def target_refusal(world: World, account: Account, target: str) -> Refusal | None:
    if target == account.agent_id:
        return RejectReason.SELF_TARGET, "an action on yourself"
    if target not in world.accounts:
        return RejectReason.UNKNOWN_TARGET, f"no agent {target}"
    return None


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
