"""Courts (rules v2): a charged case is tried at its trial tick; verdict and sentence.

The court rolls a seeded die ``roll`` in 0..99 against the case's strength, adjusted by
the suspect's reputation (``(50 - reputation) // 5``, i.e. -10..+10): below
``strength - SETTLE_BAND_PCT`` convicted, below ``strength`` settled, else acquitted.

- Convicted: fine ``FINE_BPS`` of the suspect's equity (at least ``MIN_FINE``), times
  (1 + prior convictions), and prison (domain/rules/prison.py); a whistleblower's share
  ``WHISTLEBLOWER_SHARE_PCT`` of the fine paid is split between the case's whistleblowers.
- Settled: half that fine, no prison.
- Acquitted (or dismissed, a case never charged that lapsed): nothing; each whistleblower
  of the case loses ``BASELESS_REPUTATION`` (10) reputation.

A convicted suspect loses 20 reputation, a settling one 10 (domain/rules/reputation.py).

A fine is paid from cash, to ``house:fines``, capped at the cash the suspect holds (money
is conserved: nothing is minted). Assets frozen by the case are unfrozen at the verdict;
a bribe's escrow goes to the investigator agent it was paid to, or to ``house:fines``.
"""

from domain.context import Recorder, TickContext
from domain.rules import investigations, prison, reputation
from domain.state import HOUSE_FINES, SEC_AGENT_ID, Case
from domain.units import BPS, DOLLAR
from schemas import events as ev
from schemas.enums import AgentStatus, CaseStatus, Verdict

SETTLE_BAND_PCT = 20
FINE_BPS = 1_000  # 10% of equity
MIN_FINE = 1_000 * DOLLAR
WHISTLEBLOWER_SHARE_PCT = 20
BASELESS_REPUTATION = 10
VERDICT_REPUTATION = {Verdict.CONVICTED: 20, Verdict.SETTLED: 10}  # what the suspect loses
DEFAULT_REPUTATION = reputation.START
NO_ROLL = -1


def verdict_for(strength: int, reputation: int, roll: int) -> Verdict:
    """The court's rule, pure: evidence strength and reputation against the die."""
    weight = max(0, min(100, strength + (DEFAULT_REPUTATION - reputation) // 5))
    if roll < weight - SETTLE_BAND_PCT:
        return Verdict.CONVICTED
    if roll < weight:
        return Verdict.SETTLED
    return Verdict.ACQUITTED


def fine_for(equity: int, prior_convictions: int, verdict: Verdict) -> int:
    if verdict not in (Verdict.CONVICTED, Verdict.SETTLED):
        return 0
    fine = max(MIN_FINE, equity * FINE_BPS // BPS) * (1 + prior_convictions)
    return fine if verdict is Verdict.CONVICTED else fine // 2


def try_case(rec: Recorder, ctx: TickContext, case: Case) -> None:
    """Trial of a charged case: the verdict, then its sentence."""
    world = rec.world
    suspect = world.accounts[case.suspect_id]
    roll = ctx.rng.randrange(100)
    verdict = verdict_for(case.strength, suspect.reputation, roll)
    priors = world.convictions.get(case.suspect_id, 0)
    fine = fine_for(world.equity(suspect), priors, verdict)
    fled = suspect.status is AgentStatus.FLED
    ticks = prison.sentence_ticks(priors) if verdict is Verdict.CONVICTED and not fled else 0
    absentia = " in absentia" if fled else ""
    reason = (
        f"tried{absentia} on evidence strength {case.strength} ({case.evidence} pieces), "
        f"die {roll}: {verdict.value}"
    )
    close(rec, case, verdict, roll=roll, fine=fine, ticks=ticks, priors=priors, reason=reason)


def dismiss(rec: Recorder, case: Case, reason: str) -> None:
    close(rec, case, Verdict.DISMISSED, roll=NO_ROLL, fine=0, ticks=0, priors=0, reason=reason)


def close(
    rec: Recorder,
    case: Case,
    verdict: Verdict,
    *,
    roll: int,
    fine: int,
    ticks: int,
    priors: int,
    reason: str,
) -> None:
    world = rec.world
    suspect = world.accounts[case.suspect_id]
    whistleblowers, escrow, case_id = list(case.whistleblowers), case.escrow, case.case_id
    investigator = case.investigator_id
    rec.emit(
        ev.VerdictReached(
            tick=rec.tick,
            case_id=case_id,
            suspect_id=case.suspect_id,
            offence=case.offence,
            verdict=verdict,
            strength=case.strength,
            roll=roll,
            fine=fine,
            prison_ticks=ticks,
            prior_convictions=priors,
            reason=reason,
        )
    )
    paid = min(fine, max(0, suspect.cash))
    if paid:
        rec.emit(
            ev.FinePaid(tick=rec.tick, case_id=case_id, agent_id=suspect.agent_id, amount=paid)
        )
    if verdict is Verdict.CONVICTED and whistleblowers:
        share = paid * WHISTLEBLOWER_SHARE_PCT // 100 // len(whistleblowers)
        for agent_id in whistleblowers if share else ():
            rec.emit(ev.RewardPaid(tick=rec.tick, case_id=case_id, agent_id=agent_id, amount=share))
    if verdict in (Verdict.ACQUITTED, Verdict.DISMISSED):
        for agent_id in whistleblowers:
            reputation.adjust(
                rec, agent_id, -BASELESS_REPUTATION, f"baseless accusation, case {case_id}"
            )
    if escrow:
        to = HOUSE_FINES if investigator == SEC_AGENT_ID else investigator
        rec.emit(ev.EscrowReleased(tick=rec.tick, case_id=case_id, to=to, amount=escrow))
    if case_id in world.frozen.get(suspect.agent_id, {}):
        rec.emit(
            ev.AssetsUnfrozen(
                tick=rec.tick,
                case_id=case_id,
                agent_id=suspect.agent_id,
                reason=f"case {case_id} {verdict.value}",
            )
        )
    if verdict in VERDICT_REPUTATION:
        reputation.adjust(rec, suspect.agent_id, -VERDICT_REPUTATION[verdict], verdict.value)
    if ticks:
        prison.imprison(rec, suspect, case_id, ticks, f"convicted in case {case_id}")


def hold_court(rec: Recorder, ctx: TickContext) -> None:
    """Trials due this tick, in case-id order; then lapsed cases are dismissed."""
    world = rec.world
    if not world.cases:
        return
    for case in list(world.cases.values()):
        if case.status is CaseStatus.CHARGED and (case.trial_tick or 0) <= rec.tick:
            try_case(rec, ctx, case)
    for case in investigations.lapsed(world, rec.tick):
        dismiss(
            rec,
            case,
            f"dismissed: strength {case.strength} < {investigations.CHARGE_STRENGTH} and "
            f"no new evidence for {investigations.CASE_LAPSE_TICKS} ticks",
        )
