"""Fold handlers for the legal system (rules v2): investigations with their evidence, the
prison, and the agents' legal status; the public ones are news rows too."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from projections.relational.batch import BatchState, usd
from projections.visibility import ANONYMOUS
from schemas import events as ev
from schemas.enums import AgentStatus, CaseStatus

__all__ = ["LEGAL_HANDLERS"]


def _case_opened(st: BatchState, seq: int, e: ev.CaseOpened) -> None:
    st.cases[e.case_id] = {
        "season_id": st.season_id,
        "investigation_id": e.case_id,
        "target_agent_id": e.suspect_id,
        "opened_by": e.opened_by,
        "investigator_id": e.investigator_id,
        "status": CaseStatus.OPEN.value,
        "charge": e.offence.value,
        "evidence": "[]",
        "strength": 0,
        "opened_tick": e.tick,
        "closed_tick": None,
        "trial_tick": None,
        "fine": None,
        "sentence_ticks": None,
        "reason": e.reason,
        "verdict_reason": None,
        "updated_tick": e.tick,
    }
    st.dirty_cases[e.case_id] = None
    st.headline(
        seq,
        e,
        "legal",
        f"SEC opens case {e.case_id}: {e.offence.value.replace('_', ' ')} by {e.suspect_id}",
        e.reason,
        agent_id=e.suspect_id,
    )


def _evidence(st: BatchState, _seq: int, e: ev.EvidenceAdded) -> None:
    if (case := st.case(e.case_id, e.tick)) is None:
        return
    pieces = json.loads(case["evidence"] or "[]")
    pieces.append(
        {
            "tick": e.tick,
            "source": e.source,
            "submitted_by": ANONYMOUS if e.source == "whistleblow" else e.submitted_by,
            "weight": e.weight,
            "strength": e.strength,
            "refs": e.refs.model_dump(mode="json"),
            "reason": e.reason,
        }
    )
    case["evidence"] = json.dumps(pieces, separators=(",", ":"))
    case["strength"] = e.strength


def _charged(st: BatchState, seq: int, e: ev.SuspectCharged) -> None:
    if (case := st.case(e.case_id, e.tick)) is not None:
        case.update(status=CaseStatus.CHARGED.value, trial_tick=e.trial_tick)
    st.headline(
        seq,
        e,
        "legal",
        f"{e.suspect_id} charged in case {e.case_id}",
        e.reason,
        agent_id=e.suspect_id,
    )


def _stalled(st: BatchState, _seq: int, e: ev.CaseStalled) -> None:
    case = st.case(e.case_id, e.tick)
    if case is not None and case["trial_tick"] is not None:
        case["trial_tick"] = max(case["trial_tick"], e.until_tick)


def _verdict(st: BatchState, seq: int, e: ev.VerdictReached) -> None:
    if (case := st.case(e.case_id, e.tick)) is not None:
        case.update(
            status=e.verdict.value,
            closed_tick=e.tick,
            fine=e.fine,
            sentence_ticks=e.prison_ticks,
            verdict_reason=e.reason,
            strength=e.strength,
        )
    fine = f", fined {usd(e.fine)}" if e.fine else ""
    jail = f", {e.prison_ticks} ticks in prison" if e.prison_ticks else ""
    st.headline(
        seq,
        e,
        "legal",
        f"Case {e.case_id}: {e.suspect_id} {e.verdict.value}{fine}{jail}",
        e.reason,
        agent_id=e.suspect_id,
    )


def _status(st: BatchState, agent_id: str, tick: int, status: AgentStatus) -> None:
    if (agent := st.agent(agent_id, tick)) is not None:
        agent["status"] = status.value


def _cash(st: BatchState, agent_id: str, tick: int, delta: int) -> None:
    if (agent := st.agent(agent_id, tick)) is not None:
        agent["cash"] += delta


def _imprisoned(st: BatchState, _seq: int, e: ev.AgentImprisoned) -> None:
    _status(st, e.agent_id, e.tick, AgentStatus.IMPRISONED)
    st.prisoners[e.agent_id] = {
        "season_id": st.season_id,
        "agent_id": e.agent_id,
        "case_id": e.case_id,
        "since_tick": e.tick,
        "release_tick": e.release_tick,
        "released_tick": None,
        "reason": e.reason,
    }
    st.dirty_prisoners[e.agent_id] = None


def _released(st: BatchState, _seq: int, e: ev.AgentReleased) -> None:
    _status(st, e.agent_id, e.tick, AgentStatus.ACTIVE)
    if (row := st.prisoners.get(e.agent_id)) is not None:
        row["released_tick"] = e.tick
        st.dirty_prisoners[e.agent_id] = None


def _fled(st: BatchState, seq: int, e: ev.AgentFled) -> None:
    _status(st, e.agent_id, e.tick, AgentStatus.FLED)
    st.headline(seq, e, "legal", f"{e.agent_id} flees the market", e.reason, agent_id=e.agent_id)


def _bribe_paid(st: BatchState, _seq: int, e: ev.BribePaid) -> None:
    _cash(st, e.agent_id, e.tick, -e.amount)
    if not e.escrow:
        _cash(st, e.target_agent_id, e.tick, e.amount)


def _bribe_caught(st: BatchState, seq: int, e: ev.BribeCaught) -> None:
    _cash(st, e.agent_id, e.tick, -e.amount)
    st.headline(seq, e, "legal", f"{e.agent_id} caught bribing", e.reason, agent_id=e.agent_id)


def _fine(st: BatchState, _seq: int, e: ev.FinePaid) -> None:
    _cash(st, e.agent_id, e.tick, -e.amount)


def _reward(st: BatchState, _seq: int, e: ev.RewardPaid) -> None:
    _cash(st, e.agent_id, e.tick, e.amount)


def _escrow(st: BatchState, _seq: int, e: ev.EscrowReleased) -> None:
    if not e.to.startswith("house:"):
        _cash(st, e.to, e.tick, e.amount)


def _ceo(st: BatchState, seq: int, e: ev.CeoAppointed) -> None:
    st.headline(
        seq,
        e,
        "legal",
        f"{e.agent_id} is appointed CEO of {e.symbol}",
        symbol=e.symbol,
        agent_id=e.agent_id,
    )


LEGAL_HANDLERS: dict[type[Any], Callable[[BatchState, int, Any], None]] = {
    ev.CaseOpened: _case_opened,
    ev.EvidenceAdded: _evidence,
    ev.SuspectCharged: _charged,
    ev.CaseStalled: _stalled,
    ev.VerdictReached: _verdict,
    ev.AgentImprisoned: _imprisoned,
    ev.AgentReleased: _released,
    ev.AgentFled: _fled,
    ev.BribePaid: _bribe_paid,
    ev.BribeCaught: _bribe_caught,
    ev.FinePaid: _fine,
    ev.RewardPaid: _reward,
    ev.EscrowReleased: _escrow,
    ev.CeoAppointed: _ceo,
}
