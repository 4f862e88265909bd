"""The legal read side (rules v2) folded from a real season with the seeded crooks: every
case is a row with its evidence and verdict, the prison holds who the world holds, and
every agent's status and cash in the read model are the world's (fines, rewards, bribes
and escrow included)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from domain import World, context_for, step
from domain.simulate import start_command
from projections.base import Sequenced
from projections.relational import legal_queries
from projections.relational.database import create_engine
from projections.relational.digest import table_rows
from projections.relational.migrate import migrate
from projections.relational.store import RelationalProjection
from schemas import events as ev
from schemas.config import PopulationConfig, SeasonConfig

CONFIG = SeasonConfig(
    symbols=5,
    open_ticks_per_day=60,
    after_hours_ticks=5,
    earnings_every_days=1,
    population=PopulationConfig(
        market_makers=2, noise_traders=8, momentum_traders=2, value_traders=2
    ),
)


def season(ticks: int) -> tuple[World, list[ev.EventBase]]:
    world = World()
    events = step(world, [start_command(11, CONFIG)], context_for(world, 0))
    for tick in range(1, ticks + 1):
        events.extend(step(world, [], context_for(world, tick)))
    return world, events


async def test_cases_prison_status_and_cash_match_the_world(tmp_path: Path) -> None:
    world, events = season(1_500)
    url = f"sqlite+aiosqlite:///{tmp_path / 'read.db'}"
    await migrate(url)
    engine = create_engine(url)
    sid = f"legal{uuid.uuid4().hex[:8]}"
    try:
        projection = RelationalProjection(engine, sid)
        items = [Sequenced(i, e) for i, e in enumerate(events, 1)]
        for start in range(0, len(items), 700):
            await projection.apply(items[start : start + 700])  # type: ignore[arg-type]
        rows = await table_rows(engine, sid)
        opened = [e for e in events if isinstance(e, ev.CaseOpened)]
        verdicts = {e.case_id: e for e in events if isinstance(e, ev.VerdictReached)}
        cases = {r["investigation_id"]: r for r in rows["investigations"]}
        assert sorted(cases) == [e.case_id for e in opened]
        assert verdicts
        for case_id, row in cases.items():
            if case_id in verdicts:
                v = verdicts[case_id]
                assert (row["status"], row["fine"], row["closed_tick"]) == (
                    v.verdict.value,
                    v.fine,
                    v.tick,
                )
            else:
                assert row["status"] == world.cases[case_id].status.value
            pieces = json.loads(row["evidence"])
            assert len(pieces) == sum(
                isinstance(e, ev.EvidenceAdded) and e.case_id == case_id for e in events
            )
            assert pieces[-1]["strength"] == row["strength"]
        agents = {a["agent_id"]: a for a in rows["agents"]}
        for agent_id, account in world.accounts.items():
            assert agents[agent_id]["status"] == account.status.value, agent_id
            assert agents[agent_id]["cash"] == account.cash, agent_id
        prisoners = await legal_queries.prison(engine, sid)
        assert {p.agent_id: p.release_tick for p in prisoners} == {
            a: term[0] for a, term in world.prison.items()
        }
        detail = await legal_queries.investigation(engine, sid, opened[0].case_id)
        assert detail is not None
        assert detail.evidence
        assert detail.evidence[0].refs
        listed = await legal_queries.investigations(engine, sid, status="active")
        assert {c.investigation_id for c in listed} == set(world.cases)
        for c in listed:
            assert c.standing.startswith(("gathering evidence", "charged: trial at tick"))
        wanted = await legal_queries.most_wanted(engine, sid)
        assert {w.agent_id for w in wanted} == {c.suspect_id for c in world.cases.values()}
    finally:
        await engine.dispose()
