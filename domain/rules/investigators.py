"""The SEC investigator's powers (rules v2): OPEN_CASE, SUBPOENA, FREEZE_ASSETS.

Only an agent of role ``sec_investigator`` may use them (else ``not_investigator``).

- OPEN_CASE opens a case (or adds to the open one of that suspect and offence) with
  evidence ``INVESTIGATOR_WEIGHT`` (10; 0 on a case already open: SUBPOENA it); the investigator
  works the cases it opens (a bribe to it can stall them). Alone (10 + at most 30 by
  subpoena) an investigator cannot reach the charge: surveillance or a whistleblower must.
- SUBPOENA of an open case: what the world keeps of the suspect becomes evidence, 5 per
  item, at most 30 over all the case's subpoenas: its messages in the world's recent
  message window, its trades in the SEC's trade window (its last 64) and its open orders.
- FREEZE_ASSETS of an open case with strength at least ``FREEZE_STRENGTH`` (30): the
  suspect's open orders are cancelled and its assets frozen until the verdict.
"""

from domain.context import Recorder
from domain.rules import investigations as inv
from domain.rules.legal import Refusal, accepted, refuse, target_refusal
from domain.state import Account, Case, World
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import RejectReason, Role

InvestigatorCommand = cmd.OpenCase | cmd.Subpoena | cmd.FreezeAssets


def _case(world: World, case_id: int) -> Case | Refusal:
    case = world.cases.get(case_id)
    if case is not None:
        return case
    if 1 <= case_id < world.next_case_id:
        return RejectReason.CASE_CLOSED, f"case {case_id} has reached its verdict"
    return RejectReason.UNKNOWN_CASE, f"no case {case_id}"


def act(rec: Recorder, account: Account, c: InvestigatorCommand) -> None:
    world = rec.world
    if account.role is not Role.SEC_INVESTIGATOR:
        refuse(rec, c, (RejectReason.NOT_INVESTIGATOR, "SEC investigators only"))
        return
    if isinstance(c, cmd.OpenCase):
        _open(rec, account, c)
        return
    found = _case(world, c.case_id)
    if not isinstance(found, Case):
        refuse(rec, c, found)
    elif isinstance(c, cmd.Subpoena):
        _subpoena(rec, account, c, found)
    else:
        _freeze(rec, c, found)


def _open(rec: Recorder, account: Account, c: cmd.OpenCase) -> None:
    world = rec.world
    refusal = target_refusal(world, account, c.target_agent_id)
    if refusal is not None:
        refuse(rec, c, refusal)
        return
    existing = inv.case_of(world, c.target_agent_id, c.offence)
    case_id = world.next_case_id if existing is None else existing.case_id
    accepted(rec, c, f"case {case_id} ({c.offence.value})", c.reason)
    me = account.agent_id
    case = inv.open_case(
        rec, c.target_agent_id, c.offence, opened_by=me, reason=c.reason, investigator_id=me
    )
    reason = f"investigator {me}: {c.reason}"
    inv.add_evidence(
        rec,
        case,
        source="investigator",
        submitted_by=me,
        weight=inv.INVESTIGATOR_WEIGHT if existing is None else 0,
        reason=reason,
    )


def subpoenaed(world: World, suspect_id: str) -> ev.EvidenceRefs:
    """What a subpoena finds of ``suspect_id`` in what the world keeps."""
    account = world.accounts[suspect_id]
    messages = [m.message_id for m in world.messages if suspect_id in (m.sender, m.target)]
    window = world.sec.trades.get(suspect_id, ()) if world.sec is not None else ()
    return ev.EvidenceRefs(
        trade_ids=[t.trade_id for t in window],
        message_ids=messages,
        order_ids=list(account.open_orders),
    )


def _subpoena(rec: Recorder, account: Account, c: cmd.Subpoena, case: Case) -> None:
    refs = subpoenaed(rec.world, case.suspect_id)
    items = len(refs.order_ids) + len(refs.trade_ids) + len(refs.message_ids)
    room = max(0, inv.SUBPOENA_MAX_WEIGHT - case.subpoena_weight)
    weight = min(room, inv.SUBPOENA_ITEM_WEIGHT * items)
    accepted(rec, c, f"case {case.case_id}: {items} records subpoenaed")
    reason = (
        f"subpoena by {account.agent_id}: {len(refs.message_ids)} messages, "
        f"{len(refs.trade_ids)} trades, {len(refs.order_ids)} open orders"
    )
    inv.add_evidence(
        rec,
        case,
        source="subpoena",
        submitted_by=account.agent_id,
        weight=weight,
        reason=reason,
        refs=refs,
    )


def _freeze(rec: Recorder, c: cmd.FreezeAssets, case: Case) -> None:
    if case.strength < inv.FREEZE_STRENGTH:
        detail = f"case {case.case_id} has strength {case.strength} < {inv.FREEZE_STRENGTH}"
        refuse(rec, c, (RejectReason.EVIDENCE_TOO_WEAK, detail))
        return
    if case.case_id in rec.world.frozen.get(case.suspect_id, {}):
        refuse(rec, c, (RejectReason.ASSETS_FROZEN, f"already frozen by case {case.case_id}"))
        return
    accepted(rec, c, f"case {case.case_id}: {case.suspect_id}'s assets frozen")
    inv.freeze(rec, case, f"frozen at {c.agent_id}'s request")
