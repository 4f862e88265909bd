"""Reads of the legal system (rules v2): investigations with their evidence, the prison,
the most wanted. Public: a case, its evidence and a sentence are public record."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.rules.investigations import CASE_LAPSE_TICKS, CHARGE_STRENGTH
from projections.relational.queries import _all, _one
from projections.relational.tables import AGENTS, INVESTIGATIONS, PRISON
from projections.relational.views import (
    EvidenceView,
    InvestigationDetail,
    InvestigationView,
    PrisonerView,
    WantedView,
)
from schemas.enums import AgentStatus, CaseStatus

__all__ = ["CASE_STATUSES", "investigation", "investigations", "most_wanted", "prison"]

OPEN_STATUSES = (CaseStatus.OPEN.value, CaseStatus.CHARGED.value)
# What ``investigations(status=...)`` takes: a case status, or "active" (open or charged).
CASE_STATUSES = ("active", *(s.value for s in CaseStatus))


def _case(row: dict[str, Any]) -> dict[str, Any]:
    evidence = json.loads(row.get("evidence") or "[]")
    return {
        **row,
        "offence": row["charge"],
        "evidence": evidence,
        "evidence_count": len(evidence),
        "standing": standing(row),
    }


def standing(row: dict[str, Any]) -> str:
    """A case's standing in words: every case is closed by a verdict, or says why not."""
    status = row["status"]
    if status == CaseStatus.OPEN.value:
        return (
            f"gathering evidence: strength {row['strength']} of the "
            f"{CHARGE_STRENGTH} a charge needs (dismissed after "
            f"{CASE_LAPSE_TICKS} ticks without new evidence)"
        )
    if status == CaseStatus.CHARGED.value:
        return f"charged: trial at tick {row['trial_tick']}"
    return f"{status} at tick {row['closed_tick']}"


async def investigations(
    engine: AsyncEngine,
    season_id: str,
    *,
    status: str | None = None,
    agent_id: str | None = None,
    limit: int = 100,
) -> list[InvestigationView]:
    """Cases, newest first; ``status`` ``active`` means open or charged."""
    t = INVESTIGATIONS
    stmt = select(t).where(t.c.season_id == season_id)
    if status == "active":
        stmt = stmt.where(t.c.status.in_(OPEN_STATUSES))
    elif status is not None:
        stmt = stmt.where(t.c.status == status)
    if agent_id is not None:
        stmt = stmt.where(t.c.target_agent_id == agent_id)
    stmt = stmt.order_by(t.c.investigation_id.desc()).limit(limit)
    rows = [_case(r) for r in await _all(engine, stmt)]
    return [InvestigationView.model_validate(r) for r in rows]


async def investigation(
    engine: AsyncEngine, season_id: str, case_id: int
) -> InvestigationDetail | None:
    t = INVESTIGATIONS
    row = await _one(
        engine, select(t).where(t.c.season_id == season_id, t.c.investigation_id == case_id)
    )
    if row is None:
        return None
    case = _case(row)
    case["evidence"] = [EvidenceView.model_validate(e) for e in case["evidence"]]
    return InvestigationDetail.model_validate(case)


async def prison(engine: AsyncEngine, season_id: str) -> list[PrisonerView]:
    """Who is in prison now, the soonest release first."""
    p, a = PRISON, AGENTS
    stmt = (
        select(p.c.agent_id, a.c.name, p.c.case_id, p.c.since_tick, p.c.release_tick)
        .join(a, (a.c.season_id == p.c.season_id) & (a.c.agent_id == p.c.agent_id))
        .where(p.c.season_id == season_id, p.c.released_tick.is_(None))
        .order_by(p.c.release_tick, p.c.agent_id)
    )
    return [PrisonerView.model_validate(r) for r in await _all(engine, stmt)]


async def most_wanted(engine: AsyncEngine, season_id: str, *, limit: int = 20) -> list[WantedView]:
    """Agents with open cases, the strongest case first (fugitives included)."""
    t, a = INVESTIGATIONS, AGENTS
    stmt = (
        select(t.c.target_agent_id, t.c.strength, t.c.charge, a.c.name, a.c.status)
        .join(a, (a.c.season_id == t.c.season_id) & (a.c.agent_id == t.c.target_agent_id))
        .where(t.c.season_id == season_id, t.c.status.in_(OPEN_STATUSES))
        .order_by(t.c.investigation_id)
    )
    wanted: dict[str, dict[str, Any]] = {}
    for r in await _all(engine, stmt):
        w = wanted.setdefault(
            r["target_agent_id"],
            {
                "agent_id": r["target_agent_id"],
                "name": r["name"],
                "status": r["status"],
                "open_cases": 0,
                "strongest": 0,
                "offences": [],
            },
        )
        w["open_cases"] += 1
        w["strongest"] = max(w["strongest"], r["strength"])
        if r["charge"] not in w["offences"]:
            w["offences"].append(r["charge"])
    ranked = sorted(
        wanted.values(),
        key=lambda w: (w["status"] != AgentStatus.FLED.value, -w["strongest"], w["agent_id"]),
    )
    return [WantedView.model_validate(w) for w in ranked[:limit]]
