"""Deciding the non-order commands: registration, operator commands, social actions."""

from domain.context import Recorder
from domain.rules import REGISTRABLE_ROLES, ROLES
from domain.state import Account, World
from schemas import commands as cmd
from schemas import events as ev
from schemas import limits
from schemas.enums import AgentStatus, RejectReason

# Until the legal and social system lands, these actions are validated and recorded only.
PENDING_NOTE = "recorded; consequences arrive with the legal and social system"


def reject(
    rec: Recorder, c: cmd.CommandBase | cmd.Malformed, reason: RejectReason, detail: str
) -> None:
    rec.emit(
        ev.CommandRejected(
            tick=rec.tick,
            command_id=c.command_id,
            agent_id=c.agent_id,
            command_type=c.type,
            reason=reason,
            detail=detail,
        )
    )


def register(rec: Recorder, c: cmd.RegisterAgent) -> None:
    world = rec.world
    if c.agent_id in world.accounts:
        reject(rec, c, RejectReason.AGENT_EXISTS, "id in use")
        return
    if c.name in world.names:
        reject(rec, c, RejectReason.NAME_TAKEN, "name in use")
        return
    if c.role not in REGISTRABLE_ROLES:
        reject(rec, c, RejectReason.MALFORMED, "role is house-only")
        return
    rules = ROLES[c.role]
    rec.emit(
        ev.AgentRegistered(
            tick=rec.tick,
            command_id=c.command_id,
            agent_id=c.agent_id,
            name=c.name,
            role=c.role,
            cash=rules.starting_cash,
            max_leverage=rules.max_leverage,
            callback_url=c.callback_url,
            api_key_hash=c.api_key_hash,
        )
    )


SocialCommand = cmd.Rumor | cmd.Ally | cmd.SendMessage | cmd.Bribe | cmd.Whistleblow | cmd.Flee


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


def social(rec: Recorder, account: Account, c: SocialCommand) -> None:
    """RUMOR, ALLY, MESSAGE, BRIBE, WHISTLEBLOW, FLEE: validated, then recorded."""
    refusal = _refusal(rec.world, account, c)
    if refusal is not None:
        reject(rec, c, *refusal)
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


def is_active(account: Account) -> bool:
    return account.status is AgentStatus.ACTIVE
