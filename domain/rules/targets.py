"""The check every targeted social action passes first: a real, other, active agent."""

from domain.state import Account, World
from schemas.enums import RejectReason


def refusal(world: World, account: Account, target: str) -> tuple[RejectReason, str] | None:
    """Why ``account`` may not aim a social action at ``target``, or None."""
    if target == account.agent_id:
        return RejectReason.SELF_TARGET, "an action on yourself"
    found = world.accounts.get(target)
    if found is None:
        return RejectReason.UNKNOWN_TARGET, f"no agent {target}"
    if not found.active:
        return RejectReason.TARGET_NOT_ACTIVE, f"agent {target} is {found.status.value}"
    return None
