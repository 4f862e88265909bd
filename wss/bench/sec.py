"""``wss bench sec``: scores the SEC's surveillance against the seeded crooks.

Each season runs in the domain alone (``domain.simulate``, no NATS) under the current
rules with the default population, which under rules v2 hides the default seeded crooks.
The ground truth is the genesis: ``SeasonStarted.builtin_agents`` records each crook's
strategy, and ``domain.traders.registry.OFFENCE_OF`` its offence. The surveillance never
reads it: this bench does, after the fact.

A flag is an (agent, offence) pair named by a ``SuspicionRaised`` (as suspect or
accomplice). ``precision`` is the share of flags that name a crook of that offence (an
honest trader flagged, or a crook flagged for another offence, counts against it);
``recall`` the share of crooks that offended (made a trade) and were flagged for their
offence. ``detection_latency_ticks`` runs from a crook's first trade to the first
suspicion naming it for its offence.
"""

import time
from typing import Any

from domain.simulate import simulate
from domain.traders.registry import OFFENCE_OF
from schemas import events as ev
from schemas.enums import Offence

SEASONS = 10
TICKS = 700  # day 0, its close, and day 1's earnings morning (default 630 ticks a day)


def _percentile(values: list[int], pct: int) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, len(ordered) * pct // 100)]


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def score_season(events: list[ev.EventBase]) -> dict[str, Any]:
    """One season's flags against its ground truth."""
    genesis = events[0]
    assert isinstance(genesis, ev.SeasonStarted)
    truth = {
        a.agent_id: OFFENCE_OF[a.strategy]
        for a in genesis.builtin_agents
        if a.strategy in OFFENCE_OF
    }
    first_offence: dict[str, int] = {}
    flagged: dict[tuple[str, Offence], int] = {}
    suspicions = 0
    for event in events:
        if isinstance(event, ev.TradeExecuted):
            for agent in (event.buyer_id, event.seller_id):
                if agent in truth and agent not in first_offence:
                    first_offence[agent] = event.tick
        elif isinstance(event, ev.SuspicionRaised):
            suspicions += 1
            for agent in (event.suspect_id, *event.accomplice_ids):
                flagged.setdefault((agent, event.offence), event.tick)
    return {
        "truth": truth,
        "first_offence": first_offence,
        "flagged": flagged,
        "suspicions": suspicions,
    }


def bench_sec(seasons: int = SEASONS, ticks: int = TICKS) -> dict[str, Any]:
    started = time.perf_counter()
    true_flags = all_flags = suspicions = 0
    committed: dict[str, int] = {o.value: 0 for o in OFFENCE_OF.values()}
    caught: dict[str, int] = dict.fromkeys(committed, 0)
    latencies: list[int] = []
    false_flags: list[str] = []
    for seed in range(1, seasons + 1):
        season = score_season(simulate(seed, ticks))
        truth, first, flagged = season["truth"], season["first_offence"], season["flagged"]
        suspicions += season["suspicions"]
        for agent, offence in flagged:
            all_flags += 1
            if truth.get(agent) == offence:
                true_flags += 1
            else:
                false_flags.append(f"seed {seed}: {agent} {offence.value}")
        for agent, offence in truth.items():
            if agent not in first:
                continue  # never traded: no offence to find
            committed[offence.value] += 1
            tick = flagged.get((agent, offence))
            if tick is not None:
                caught[offence.value] += 1
                latencies.append(tick - first[agent])
    total_committed, total_caught = sum(committed.values()), sum(caught.values())
    return {
        "bench": "sec",
        "seasons": seasons,
        "ticks_per_season": ticks,
        "suspicions": suspicions,
        "flags": all_flags,
        "precision": _ratio(true_flags, all_flags),
        "recall": _ratio(total_caught, total_committed),
        "recall_by_offence": {o: _ratio(caught[o], committed[o]) for o in committed},
        "crooks_offended": committed,
        "detection_latency_ticks": {
            "p50": _percentile(latencies, 50),
            "p99": _percentile(latencies, 99),
        },
        "false_flags": false_flags[:20],
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
