"""Investigations (rules v2): cases opened, evidence added, suspects charged and frozen.

A case is about one suspect and one offence. It opens from an SEC suspicion at or above
``OPEN_CONFIDENCE_PCT`` (for its suspect, and for each accomplice it names at half the
weight), from a WHISTLEBLOW, or from an SEC investigator agent's OPEN_CASE.
Each piece of evidence adds a weight to the case's strength (0..100); at
``CHARGE_STRENGTH`` the suspect is charged, its assets are frozen and the trial is set
``TRIAL_DELAY_TICKS`` later (domain/rules/courts.py). A case never charged lapses
(dismissed) after ``CASE_LAPSE_TICKS`` without new evidence.
"""

from collections.abc import Callable

from domain.context import Recorder
from domain.outcomes import refuse
from domain.rules.prison import cancel_open_orders
from domain.state import SEC_AGENT_ID, Account, Case, World
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import CancelReason, CaseStatus, Offence, RejectReason

OPEN_CONFIDENCE_PCT = 50  # a suspicion below this only strengthens a case already open
SUSPICION_WEIGHT_PCT = 60  # a suspicion adds this share of its confidence
WHISTLEBLOW_WEIGHT = 15  # plus WHISTLEBLOW_REF_WEIGHT per trade/order it names...
WHISTLEBLOW_REF_WEIGHT = 5
WHISTLEBLOW_MAX_WEIGHT = 35  # ...up to this
INVESTIGATOR_WEIGHT = 10  # an investigator's OPEN_CASE
SUBPOENA_ITEM_WEIGHT = 5  # per message, trade or order a subpoena finds
SUBPOENA_MAX_WEIGHT = 30  # all subpoenas of one case together
BRIBERY_WEIGHT = 70  # a caught bribe: charged at once
CHARGE_STRENGTH = 60
FREEZE_STRENGTH = 30  # an investigator's FREEZE_ASSETS needs this much evidence
TRIAL_DELAY_TICKS = 30
CASE_LAPSE_TICKS = 600
MAX_STRENGTH = 100
DEFAULT_ACCUSATION = Offence.INSIDER_TRADING


def case_of(world: World, suspect_id: str, offence: Offence) -> Case | None:
    found = world.active_cases.get(f"{suspect_id}/{offence.value}")
    return None if found is None else world.cases[found]


def open_case(
    rec: Recorder,
    suspect_id: str,
    offence: Offence,
    *,
    opened_by: str,
    reason: str,
    investigator_id: str = SEC_AGENT_ID,
) -> Case:
    """The open case of (suspect, offence), opened now if there is none."""
    world = rec.world
    case = case_of(world, suspect_id, offence)
    if case is None:
        rec.emit(
            ev.CaseOpened(
                tick=rec.tick,
                case_id=world.next_case_id,
                suspect_id=suspect_id,
                offence=offence,
                opened_by=opened_by,
                investigator_id=investigator_id,
                reason=reason,
            )
        )
        case = world.cases[world.next_case_id - 1]
    return case


def add_evidence(
    rec: Recorder,
    case: Case,
    *,
    source: str,
    submitted_by: str,
    weight: int,
    reason: str,
    refs: ev.EvidenceRefs | None = None,
) -> None:
    """One EvidenceAdded; the suspect is charged if the case is now strong enough."""
    rec.emit(
        ev.EvidenceAdded(
            tick=rec.tick,
            case_id=case.case_id,
            source=source,
            submitted_by=submitted_by,
            weight=weight,
            strength=min(MAX_STRENGTH, case.strength + weight),
            refs=refs or ev.EvidenceRefs(),
            reason=reason,
        )
    )
    maybe_charge(rec, case)


def maybe_charge(rec: Recorder, case: Case) -> None:
    """Charge an open case at CHARGE_STRENGTH, unless a bribe stalls it."""
    if case.status is not CaseStatus.OPEN or case.strength < CHARGE_STRENGTH:
        return
    if rec.tick < case.stalled_until:
        return
    charge_now(rec, case, f"evidence strength {case.strength} >= {CHARGE_STRENGTH}")


def charge_now(rec: Recorder, case: Case, why: str) -> None:
    """The suspect charged (trial in TRIAL_DELAY_TICKS, or after a stall) and frozen."""
    trial = max(rec.tick + TRIAL_DELAY_TICKS, case.stalled_until)
    rec.emit(
        ev.SuspectCharged(
            tick=rec.tick,
            case_id=case.case_id,
            suspect_id=case.suspect_id,
            offence=case.offence,
            strength=case.strength,
            trial_tick=trial,
            reason=f"{why}: trial at tick {trial}",
        )
    )
    freeze(rec, case, "charged")


def freeze(rec: Recorder, case: Case, why: str) -> None:
    """The suspect's open orders cancelled and its assets frozen for this case."""
    world = rec.world
    if case.case_id in world.frozen.get(case.suspect_id, {}):
        return
    cancel_open_orders(rec, world.accounts[case.suspect_id], CancelReason.FROZEN)
    rec.emit(
        ev.AssetsFrozen(
            tick=rec.tick,
            case_id=case.case_id,
            agent_id=case.suspect_id,
            reason=f"{why} in case {case.case_id} ({case.offence.value})",
        )
    )


def place_unless_frozen(
    place: Callable[[Recorder, Account, cmd.OrderCommand], None],
) -> Callable[[Recorder, Account, cmd.OrderCommand], None]:
    """The order rule of v2: a frozen agent's orders are refused ``assets_frozen``."""

    def guarded(rec: Recorder, account: Account, c: cmd.OrderCommand) -> None:
        if account.agent_id in rec.world.frozen:
            refuse(rec, c, RejectReason.ASSETS_FROZEN, frozen_detail(rec.world, account))
            return
        place(rec, account, c)

    return guarded


def frozen_detail(world: World, account: Account) -> str:
    cases = ", ".join(map(str, world.frozen[account.agent_id]))
    return f"your assets are frozen by case {cases}"


def from_suspicions(rec: Recorder) -> None:
    """Each suspicion raised this tick opens or strengthens the case it names, and those
    of its accomplices at half the weight."""
    for s in list(rec.world.suspicions):
        weight = s.confidence_pct * SUSPICION_WEIGHT_PCT // 100
        refs = ev.EvidenceRefs(
            trade_ids=list(s.trade_ids),
            order_ids=list(s.order_ids),
            ticks=list(s.ticks),
            suspicion_id=s.suspicion_id,
        )
        reason = f"SEC surveillance ({s.confidence_pct}% confident): {s.reason}"
        _suspect(rec, s, s.suspect_id, weight=weight, reason=reason, refs=refs)
        for accomplice in s.accomplice_ids:
            why = f"accomplice of {s.suspect_id}: {reason}"
            _suspect(rec, s, accomplice, weight=weight // 2, reason=why, refs=refs)


def _suspect(
    rec: Recorder,
    s: ev.SuspicionRaised,
    agent_id: str,
    *,
    weight: int,
    reason: str,
    refs: ev.EvidenceRefs,
) -> None:
    world = rec.world
    if agent_id not in world.accounts:
        return
    case = case_of(world, agent_id, s.offence)
    if case is None:
        if s.confidence_pct < OPEN_CONFIDENCE_PCT:
            return
        case = open_case(rec, agent_id, s.offence, opened_by=SEC_AGENT_ID, reason=reason)
    add_evidence(
        rec,
        case,
        source="suspicion",
        submitted_by=SEC_AGENT_ID,
        weight=weight,
        reason=reason,
        refs=refs,
    )


def charge_unstalled(rec: Recorder) -> None:
    """Cases strong enough whose stall has ended are charged now."""
    for case in list(rec.world.cases.values()):
        if case.status is CaseStatus.OPEN and case.strength >= CHARGE_STRENGTH:
            maybe_charge(rec, case)


def lapsed(world: World, tick: int) -> list[Case]:
    """Open (never charged) cases without new evidence for CASE_LAPSE_TICKS."""
    return [
        c
        for c in world.cases.values()
        if c.status is CaseStatus.OPEN and tick - c.last_evidence_tick >= CASE_LAPSE_TICKS
    ]
