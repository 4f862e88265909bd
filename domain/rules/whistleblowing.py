"""WHISTLEBLOW (rules v2): accuse a target; opens or strengthens a case.

The accusation names an offence (default ``insider_trading``) and may name up to 20 trade
ids and 20 order ids (each must be one the market has issued, else ``bad_reference``).
It adds ``WHISTLEBLOW_WEIGHT`` (15) plus 5 per reference, at most 35, to the open case of
(target, offence), opening one if there is none; the same whistleblower accusing again in
that case adds its evidence with weight 0. The whistleblower is then a party to the
case: a conviction pays it a share of the fine (domain/rules/courts.py), an acquittal or a
dismissal costs it reputation.
"""

from domain.context import Recorder
from domain.rules import investigations as inv
from domain.rules.legal import Refusal, accepted, refuse, target_refusal
from domain.state import Account, World
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import CaseStatus, RejectReason

# Who the public record says opened or strengthened a case on an accusation: a
# whistleblower stays anonymous (only ``EvidenceAdded.submitted_by`` in the log names it,
# and every reader redacts that: projections/visibility.py).
ANONYMOUS = "whistleblower"


def _refusal(world: World, account: Account, c: cmd.Whistleblow) -> Refusal | None:
    found = target_refusal(world, account, c.target_agent_id)
    if found is not None:
        return found
    bad_trade = next((t for t in c.trade_ids if not 1 <= t < world.next_trade_id), None)
    if bad_trade is not None:
        return RejectReason.BAD_REFERENCE, f"no trade {bad_trade}"
    bad_order = next((o for o in c.order_ids if not 1 <= o < world.next_order_id), None)
    if bad_order is not None:
        return RejectReason.BAD_REFERENCE, f"no order {bad_order}"
    return None


def weight_of(c: cmd.Whistleblow) -> int:
    refs = len(c.trade_ids) + len(c.order_ids)
    return min(
        inv.WHISTLEBLOW_MAX_WEIGHT, inv.WHISTLEBLOW_WEIGHT + inv.WHISTLEBLOW_REF_WEIGHT * refs
    )


def whistleblow(rec: Recorder, account: Account, c: cmd.Whistleblow) -> None:
    world = rec.world
    refusal = _refusal(world, account, c)
    if refusal is not None:
        refuse(rec, c, refusal)
        return
    offence = c.offence or inv.DEFAULT_ACCUSATION
    existing = inv.case_of(world, c.target_agent_id, offence)
    case_id = world.next_case_id if existing is None else existing.case_id
    verb = "opens" if existing is None else "strengthens"
    accepted(rec, c, f"{verb} case {case_id} ({offence.value})", c.evidence)
    case = inv.open_case(rec, c.target_agent_id, offence, opened_by=ANONYMOUS, reason=c.evidence)
    refs = ev.EvidenceRefs(trade_ids=list(c.trade_ids), order_ids=list(c.order_ids))
    reason = f"a whistleblower: {c.evidence}"
    heard = account.agent_id in case.whistleblowers  # a second accusation adds nothing
    if case.status in (CaseStatus.OPEN, CaseStatus.CHARGED):
        inv.add_evidence(
            rec,
            case,
            source="whistleblow",
            submitted_by=account.agent_id,
            weight=0 if heard else weight_of(c),
            reason=reason,
            refs=refs,
        )
