"""ALLY, DECLINE_ALLIANCE and DISSOLVE_ALLIANCE under rules version 2.

An ALLY is a proposal that stands for ``PROPOSAL_TICKS`` ticks after the tick it is
decided in. The target accepts by sending ALLY back while it stands: that forms the
alliance (``AllianceFormed``, public). Otherwise the proposal is ``AllianceProposed``
(private to the two). The target may DECLINE_ALLIANCE a standing proposal; either ally may
DISSOLVE_ALLIANCE (public, and it costs the one who ends it reputation). An agent has at
most ``MAX_ALLIES`` allies. The SEC watches allies' trades with each other (``allies_of``).
"""

from domain.context import Recorder
from domain.outcomes import reject_command
from domain.rules import reputation, targets
from domain.state import Account, World, alliance_key
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import RejectReason

PROPOSAL_TICKS = 60
MAX_ALLIES = 5


def allies_of(world: World, agent_id: str) -> tuple[str, ...]:
    """``agent_id``'s allies, sorted."""
    return tuple(
        sorted(b if a == agent_id else a for a, b in world.alliances if agent_id in (a, b))
    )


def allied(world: World, a: str, b: str) -> bool:
    return alliance_key(a, b) in world.alliances


def standing(world: World, proposer: str, target: str, tick: int) -> bool:
    """Whether ``proposer``'s proposal to ``target`` still stands at ``tick``."""
    last = world.proposals.get((proposer, target))
    return last is not None and last >= tick


def _ally_refusal(
    world: World, account: Account, c: cmd.Ally, tick: int
) -> tuple[RejectReason, str] | None:
    me, target = account.agent_id, c.target_agent_id
    if allied(world, me, target):
        return RejectReason.ALREADY_ALLIED, f"already allied with {target}"
    if standing(world, me, target, tick):
        return RejectReason.ALREADY_PROPOSED, f"your proposal to {target} still stands"
    for who in (me, target):
        if len(allies_of(world, who)) >= MAX_ALLIES:
            return RejectReason.TOO_MANY_ALLIES, f"{who} has {MAX_ALLIES} allies already"
    return None


def propose(rec: Recorder, account: Account, c: cmd.Ally) -> None:
    world, tick = rec.world, rec.tick
    refusal = targets.refusal(world, account, c.target_agent_id) or _ally_refusal(
        world, account, c, tick
    )
    if refusal is not None:
        reject_command(rec, c, *refusal)
        return
    if standing(world, c.target_agent_id, c.agent_id, tick):
        rec.emit(
            ev.AllianceFormed(
                tick=tick,
                command_id=c.command_id,
                agent_id=c.agent_id,
                target_agent_id=c.target_agent_id,
                proposal=c.proposal,
            )
        )
        return
    rec.emit(
        ev.AllianceProposed(
            tick=tick,
            command_id=c.command_id,
            agent_id=c.agent_id,
            target_agent_id=c.target_agent_id,
            proposal=c.proposal,
            expires_tick=tick + PROPOSAL_TICKS,
        )
    )


def decline(rec: Recorder, account: Account, c: cmd.DeclineAlliance) -> None:
    world = rec.world
    refusal = targets.refusal(world, account, c.target_agent_id)
    if refusal is None and not standing(world, c.target_agent_id, c.agent_id, rec.tick):
        refusal = RejectReason.NO_PROPOSAL, f"no standing proposal from {c.target_agent_id}"
    if refusal is not None:
        reject_command(rec, c, *refusal)
        return
    rec.emit(
        ev.AllianceDeclined(
            tick=rec.tick,
            command_id=c.command_id,
            agent_id=c.agent_id,
            target_agent_id=c.target_agent_id,
        )
    )


def dissolve(rec: Recorder, account: Account, c: cmd.DissolveAlliance) -> None:
    world = rec.world
    target = c.target_agent_id
    refusal: tuple[RejectReason, str] | None = None
    if target == account.agent_id:
        refusal = RejectReason.SELF_TARGET, "an action on yourself"
    elif target not in world.accounts:  # an ally who left may still be dissolved
        refusal = RejectReason.UNKNOWN_TARGET, f"no agent {target}"
    elif not allied(world, account.agent_id, target):
        refusal = RejectReason.NOT_ALLIED, f"not allied with {target}"
    if refusal is not None:
        reject_command(rec, c, *refusal)
        return
    rec.emit(
        ev.AllianceDissolved(
            tick=rec.tick, command_id=c.command_id, agent_id=c.agent_id, target_agent_id=target
        )
    )
    reputation.adjust(rec, c.agent_id, -reputation.BREAK_ALLIANCE_COST, c.type)
