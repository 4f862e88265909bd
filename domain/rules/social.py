"""Social actions (RUMOR, ALLY, MESSAGE, BRIBE, WHISTLEBLOW, FLEE): which rule decides each.

Rules version 1 validates and records them (``record``). Rules version 2 (``decide``)
gives MESSAGE, ALLY, DECLINE_ALLIANCE, DISSOLVE_ALLIANCE and RUMOR their consequences
(domain/rules/messages.py, alliances.py, rumors.py); a type without a v2 rule in
``V2_RULES`` is still recorded as under version 1.
"""

from collections.abc import Callable
from typing import Any

from domain.context import Recorder
from domain.outcomes import reject_command
from domain.rules import alliances, messages, rumors
from domain.state import Account, World
from schemas import commands as cmd
from schemas import events as ev
from schemas import limits
from schemas.enums import RejectReason

SOCIAL_COMMANDS = (
    cmd.Rumor,
    cmd.Ally,
    cmd.DeclineAlliance,
    cmd.DissolveAlliance,
    cmd.SendMessage,
    cmd.Bribe,
    cmd.Whistleblow,
    cmd.Flee,
)
SocialCommand = (
    cmd.Rumor
    | cmd.Ally
    | cmd.DeclineAlliance
    | cmd.DissolveAlliance
    | cmd.SendMessage
    | cmd.Bribe
    | cmd.Whistleblow
    | cmd.Flee
)

# Until the legal and social system lands, these actions are validated and recorded only.
PENDING_NOTE = "recorded; consequences arrive with the legal and social system"


def _refusal(world: World, account: Account, c: SocialCommand) -> tuple[RejectReason, str] | None:
    target = getattr(c, "target_agent_id", None)
    if target == account.agent_id:
        return RejectReason.SELF_TARGET, "an action on yourself"
    if target is not None and target not in world.accounts:
        return RejectReason.UNKNOWN_TARGET, f"no agent {target}"
    if isinstance(c, cmd.Rumor) and c.symbol not in world.companies:
        return RejectReason.UNKNOWN_SYMBOL, f"no listed company {c.symbol}"
    if isinstance(c, cmd.Bribe):
        if not 1 <= c.amount <= limits.MAX_BRIBE_CENTS:
            return RejectReason.BAD_AMOUNT, f"amount must be 1..{limits.MAX_BRIBE_CENTS} cents"
        if c.amount > account.cash:
            return RejectReason.INSUFFICIENT_CASH, f"you have {account.cash} cents"
    return None


def _text(c: SocialCommand) -> str:
    match c:
        case cmd.Rumor() | cmd.SendMessage():
            return c.content
        case cmd.Ally():
            return c.proposal
        case cmd.Whistleblow():
            return c.evidence
        case cmd.Flee():
            return c.destination
        case _:
            return ""


def record(rec: Recorder, account: Account, c: SocialCommand) -> None:
    """One SocialActionRecorded, or the CommandRejected saying why not."""
    refusal = _refusal(rec.world, account, c)
    if refusal is not None:
        reject_command(rec, c, *refusal)
        return
    rec.emit(
        ev.SocialActionRecorded(
            tick=rec.tick,
            command_id=c.command_id,
            agent_id=c.agent_id,
            action=c.type,
            target_agent_id=getattr(c, "target_agent_id", None),
            symbol=c.symbol if isinstance(c, cmd.Rumor) else None,
            amount=c.amount if isinstance(c, cmd.Bribe) else None,
            text=_text(c),
            note=PENDING_NOTE,
        )
    )


# Rules version 2's rule for each social command type it changes.
V2_RULES: dict[type[cmd.CommandBase], Callable[[Recorder, Account, Any], None]] = {
    cmd.SendMessage: messages.send,
    cmd.Ally: alliances.propose,
    cmd.DeclineAlliance: alliances.decline,
    cmd.DissolveAlliance: alliances.dissolve,
    cmd.Rumor: rumors.publish,
}


def decide(rec: Recorder, account: Account, c: SocialCommand) -> None:
    """Rules version 2: the command's v2 rule, or the v1 record when it has none."""
    rule = V2_RULES.get(type(c))
    if rule is None:
        record(rec, account, c)
    else:
        rule(rec, account, c)
