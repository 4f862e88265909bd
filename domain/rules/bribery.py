"""BRIBE (rules v2): money moves, conserved; a bribe to the SEC can stall a case or be caught.

- To an ordinary agent: the amount moves from the briber's cash to the target's.
- To an SEC investigator (an agent of that role, or the built-in SEC, target id ``sec``):
  the briber must be a suspect in an open case that investigator works (else
  ``no_open_case``). The amount goes into escrow (``house:escrow``) and a seeded die
  decides: caught with ``catch_pct = 5 + 90 * amount / (amount + $10,000)`` percent
  (so $100: 5%, $1,000: 13%, $10,000: 50%, $100,000: 86%). Caught: the escrow is
  forfeited to ``house:fines`` and a bribery case opens against the briber with evidence
  ``BRIBERY_WEIGHT`` (charged at once). Not caught: the case stalls ``STALL_TICKS``
  (no charge, no trial before then); the escrow goes to the investigator agent (or to
  ``house:fines`` for the built-in SEC) when the case ends.
"""

from domain.context import Recorder
from domain.rng import generator
from domain.rules import investigations, targets
from domain.rules.legal import Refusal, accepted, refuse, target_refusal
from domain.state import SEC_AGENT_ID, Account, Case, World
from domain.units import DOLLAR
from schemas import commands as cmd
from schemas import events as ev
from schemas import limits
from schemas.enums import CaseStatus, Offence, RejectReason, Role

CATCH_BASE_PCT = 5
CATCH_RANGE_PCT = 90
CATCH_SCALE = 10_000 * DOLLAR
STALL_TICKS = 60


def catch_pct(amount: int) -> int:
    return CATCH_BASE_PCT + CATCH_RANGE_PCT * amount // (amount + CATCH_SCALE)


def is_sec(world: World, target: str) -> bool:
    if target == SEC_AGENT_ID:
        return True
    account = world.accounts.get(target)
    return account is not None and account.role is Role.SEC_INVESTIGATOR


def worked_case(world: World, suspect_id: str, investigator_id: str) -> Case | None:
    """The oldest open case against ``suspect_id`` that ``investigator_id`` works."""
    for case in world.cases.values():
        ours = case.suspect_id == suspect_id and case.investigator_id == investigator_id
        if ours and case.status in (CaseStatus.OPEN, CaseStatus.CHARGED):
            return case
    return None


def _refusal(world: World, account: Account, c: cmd.Bribe) -> Refusal | None:
    if c.target_agent_id != SEC_AGENT_ID:
        check = target_refusal if is_sec(world, c.target_agent_id) else targets.refusal
        found = check(world, account, c.target_agent_id)
        if found is not None:
            return found
    if not 1 <= c.amount <= limits.MAX_BRIBE_CENTS:
        return RejectReason.BAD_AMOUNT, f"amount must be 1..{limits.MAX_BRIBE_CENTS} cents"
    if account.agent_id in world.frozen:
        return RejectReason.ASSETS_FROZEN, investigations.frozen_detail(world, account)
    if c.amount > account.cash:
        return RejectReason.INSUFFICIENT_CASH, f"you have {account.cash} cents"
    if (
        is_sec(world, c.target_agent_id)
        and worked_case(world, account.agent_id, c.target_agent_id) is None
    ):
        return RejectReason.NO_OPEN_CASE, f"{c.target_agent_id} works no open case against you"
    return None


def bribe(rec: Recorder, account: Account, c: cmd.Bribe) -> None:
    world = rec.world
    refusal = _refusal(world, account, c)
    if refusal is not None:
        refuse(rec, c, refusal)
        return
    target = c.target_agent_id
    if not is_sec(world, target):
        accepted(rec, c, f"paid {c.amount} cents to {target}")
        rec.emit(
            ev.BribePaid(
                tick=rec.tick,
                agent_id=account.agent_id,
                target_agent_id=target,
                amount=c.amount,
                escrow=False,
            )
        )
        return
    case = worked_case(world, account.agent_id, target)
    assert case is not None  # checked by _refusal
    pct = catch_pct(c.amount)
    roll = generator(world.seed, rec.tick, f"bribe:{account.agent_id}:{c.command_id}").randrange(
        100
    )
    if roll < pct:
        accepted(rec, c, f"caught ({pct}% chance): a bribery case opens against you")
        rec.emit(
            ev.BribeCaught(
                tick=rec.tick,
                agent_id=account.agent_id,
                target_agent_id=target,
                amount=c.amount,
                case_id=case.case_id,
                catch_pct=pct,
                reason=f"bribe of {c.amount} cents to {target} over case {case.case_id} seen",
            )
        )
        reason = f"caught paying {c.amount} cents to {target} over case {case.case_id}"
        bribery = investigations.open_case(
            rec, account.agent_id, Offence.BRIBERY, opened_by=target, reason=reason
        )
        investigations.add_evidence(
            rec,
            bribery,
            source="bribe",
            submitted_by=target,
            weight=investigations.BRIBERY_WEIGHT,
            reason=reason,
        )
        return
    until = max(rec.tick, case.stalled_until) + STALL_TICKS
    accepted(rec, c, f"held in escrow; case {case.case_id} stalls until tick {until}")
    rec.emit(
        ev.BribePaid(
            tick=rec.tick,
            agent_id=account.agent_id,
            target_agent_id=target,
            amount=c.amount,
            escrow=True,
            case_id=case.case_id,
            catch_pct=pct,
        )
    )
    rec.emit(
        ev.CaseStalled(
            tick=rec.tick,
            case_id=case.case_id,
            until_tick=until,
            reason=f"{target} looks away (a bribe of {c.amount} cents)",
        )
    )
