"""Deciding the non-order commands: registration, operator commands, social actions."""

from domain.context import Recorder
from domain.rules import REGISTRABLE_ROLES, ROLES
from domain.state import Account
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


def social(rec: Recorder, account: Account, c: SocialCommand) -> None:
    world = rec.world
    target = getattr(c, "target_agent_id", None)
    symbol = getattr(c, "symbol", None)
    if target is not None:
        if target == account.agent_id:
            reject(
                rec,
                c,
                RejectReason.SELF_TARGET,
                "an action on yourself",
            )
            return
        if target not in world.accounts:
            reject(
                rec,
                c,
                RejectReason.UNKNOWN_TARGET,
                f"no agent {target}",
            )
            return
    if symbol is not None and symbol not in world.companies:
        reject(
            rec,
            c,
            RejectReason.UNKNOWN_SYMBOL,
            f"no listed company {symbol}",
        )
        return
    amount = c.amount if isinstance(c, cmd.Bribe) else None
    if amount is not None and not 1 <= amount <= limits.MAX_BRIBE_CENTS:
        reject(rec, c, RejectReason.BAD_AMOUNT, f"amount must be 1..{limits.MAX_BRIBE_CENTS} cents")
        return
    if amount is not None and amount > account.cash:
        reject(
            rec,
            c,
            RejectReason.INSUFFICIENT_CASH,
            f"you have {account.cash} cents",
        )
        return
    text = getattr(c, "content", None) or getattr(c, "proposal", None) or ""
    text = text or getattr(c, "evidence", None) or getattr(c, "destination", "")
    rec.emit(
        ev.SocialActionRecorded(
            tick=rec.tick,
            command_id=c.command_id,
            agent_id=c.agent_id,
            action=c.type,
            target_agent_id=target,
            symbol=symbol,
            amount=amount,
            text=text,
            note=PENDING_NOTE,
        )
    )


def is_active(account: Account) -> bool:
    return account.status is AgentStatus.ACTIVE
