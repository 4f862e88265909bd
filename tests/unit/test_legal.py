"""The legal system (rules v2): cases from suspicion to sentence, bribes, whistleblowers,
flight, the investigator's powers and the CEO's early earnings.

Suspicions are put on the world as the surveillance would raise them (``evolve`` of a
``SuspicionRaised``), so these tests drive the cases without depending on the detectors.
Where an outcome rests on seeded dice, the test searches seeds or command ids for each
outcome and then checks all of its consequences.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from domain import World, clock, evolve, restore, snapshot, state_hash
from domain.rules import bribery, courts, flight, insiders, investigations, prison
from domain.simulate import simulate
from domain.state import HOUSE_ESCROW, HOUSE_FINES, SEC_AGENT_ID
from domain.traders import registry
from gateway.agent_input import validate_action
from schemas import commands as cmd
from schemas import events as ev
from schemas.config import PopulationConfig, SeasonConfig
from schemas.enums import AgentStatus, CancelReason, Offence, RejectReason, Role, Verdict
from tests.unit.market import NOBODY, Market

CONFIG = SeasonConfig(symbols=2, population=NOBODY, open_ticks_per_day=10, after_hours_ticks=2)
AGENTS = {
    "crook": Role.HEDGE_FUND_MANAGER,
    "honest": Role.HEDGE_FUND_MANAGER,
    "wb": Role.WHISTLEBLOWER,
    "inv": Role.SEC_INVESTIGATOR,
    "ceo": Role.CEO,
}
_ids = itertools.count(1)


def cid() -> str:
    return f"l{next(_ids)}"


def market(seed: int = 3) -> Market:
    return Market(CONFIG, seed, AGENTS)


def suspect(
    m: Market, agent: str, confidence: int, offence: Offence = Offence.WASH_TRADING
) -> None:
    """A suspicion raised this tick, as the surveillance would (decided at the tick's end)."""
    evolve(
        m.world,
        ev.SuspicionRaised(
            tick=m.tick + 1,
            suspicion_id=next(_ids),
            offence=offence,
            suspect_id=agent,
            confidence_pct=confidence,
            trade_ids=[1, 2],
            order_ids=[3],
            ticks=[m.tick],
            reason="bought and sold to itself",
        ),
    )


def of(events: list[ev.EventBase], kind: type[ev.EventBase]) -> list[ev.EventBase]:
    return [e for e in events if isinstance(e, kind)]


def money(m: Market) -> int:
    return sum(a.cash for a in m.world.accounts.values()) + sum(m.world.house.values())


def until_verdict(m: Market, limit: int = 200) -> list[ev.EventBase]:
    seen: list[ev.EventBase] = []
    for _ in range(limit):
        events = m.run()
        seen.extend(events)
        if of(events, ev.VerdictReached):
            return seen
    raise AssertionError("no verdict")


def charged_market(seed: int) -> tuple[Market, list[ev.EventBase]]:
    """A market whose crook has a resting order and is charged on a 100% suspicion."""
    m = market(seed)
    m.run(m.order("BUY", "crook", 10, price=m.world.mark(m.symbol) - 100))
    suspect(m, "crook", 100)
    return m, m.run()


def first_seed_with(verdict: Verdict) -> tuple[Market, list[ev.EventBase], list[ev.EventBase]]:
    for seed in range(1, 80):
        m, opened = charged_market(seed)
        events = until_verdict(m)
        if of(events, ev.VerdictReached)[0].verdict is verdict:  # type: ignore[attr-defined]
            return m, opened, events
    raise AssertionError(f"no seed gives {verdict}")


def test_a_suspicion_is_opened_charged_tried_convicted_imprisoned_and_released() -> None:
    for seed in range(1, 80):
        m, opened = charged_market(seed)
        before = money(m)
        events = until_verdict(m)
        (verdict,) = of(events, ev.VerdictReached)
        if verdict.verdict is Verdict.CONVICTED:  # type: ignore[attr-defined]
            break
    else:
        raise AssertionError("no conviction")
    types = [e.type for e in opened]
    assert types.index("CaseOpened") < types.index("EvidenceAdded") < types.index("SuspectCharged")
    (evidence,) = of(opened, ev.EvidenceAdded)
    assert evidence.refs.trade_ids == [1, 2]
    assert evidence.refs.order_ids == [3]
    assert evidence.strength == 60  # type: ignore[attr-defined]
    (cancel,) = of(opened, ev.OrderCancelled)
    assert cancel.reason is CancelReason.FROZEN  # type: ignore[attr-defined]
    assert of(opened, ev.AssetsFrozen)
    (charge,) = of(opened, ev.SuspectCharged)
    assert verdict.tick == charge.trial_tick == charge.tick + investigations.TRIAL_DELAY_TICKS  # type: ignore[attr-defined]
    (fine,) = of(events, ev.FinePaid)
    assert fine.amount == verdict.fine > 0  # type: ignore[attr-defined]
    assert m.world.house[HOUSE_FINES] == fine.amount  # type: ignore[attr-defined]
    assert money(m) == before
    (jail,) = of(events, ev.AgentImprisoned)
    assert jail.release_tick == verdict.tick + prison.PRISON_TICKS  # type: ignore[attr-defined]
    assert m.world.accounts["crook"].status is AgentStatus.IMPRISONED
    assert "crook" not in m.world.frozen
    assert not m.world.cases
    # inside: every command refused agent_imprisoned, nothing else changes
    refused = m.run(m.order("BUY", "crook", 1, price=m.world.mark(m.symbol)))
    (rejected,) = of(refused, ev.OrderRejected)
    assert rejected.reason is RejectReason.AGENT_IMPRISONED  # type: ignore[attr-defined]
    while m.tick < jail.release_tick - 1:  # type: ignore[attr-defined]
        assert not of(m.run(), ev.AgentReleased)
    (released,) = of(m.run(), ev.AgentReleased)
    assert released.tick == jail.release_tick  # type: ignore[attr-defined]
    assert m.world.accounts["crook"].status is AgentStatus.ACTIVE
    assert not m.world.prison
    assert m.world.convictions == {"crook": 1}


def test_an_acquittal_unfreezes_and_costs_nothing() -> None:
    m, _, events = first_seed_with(Verdict.ACQUITTED)
    assert not of(events, ev.FinePaid)
    assert not of(events, ev.AgentImprisoned)
    assert of(events, ev.AssetsUnfrozen)
    assert "crook" not in m.world.frozen
    assert m.world.accounts["crook"].status is AgentStatus.ACTIVE
    assert not m.world.convictions


def test_a_settlement_pays_half_the_fine_and_no_prison() -> None:
    m, _, events = first_seed_with(Verdict.SETTLED)
    (verdict,) = of(events, ev.VerdictReached)
    full = courts.fine_for(1, 0, Verdict.CONVICTED)
    assert verdict.fine >= full // 2  # type: ignore[attr-defined]
    assert of(events, ev.FinePaid)
    assert not of(events, ev.AgentImprisoned)
    assert m.world.accounts["crook"].status is AgentStatus.ACTIVE


def test_the_court_follows_strength_reputation_and_the_die() -> None:
    assert courts.verdict_for(60, 50, 39) is Verdict.CONVICTED
    assert courts.verdict_for(60, 50, 40) is Verdict.SETTLED
    assert courts.verdict_for(60, 50, 60) is Verdict.ACQUITTED
    assert courts.verdict_for(60, 0, 45) is Verdict.CONVICTED  # bad name: +10
    assert courts.verdict_for(60, 100, 35) is Verdict.SETTLED  # good name: -10
    assert courts.fine_for(0, 0, Verdict.CONVICTED) == courts.MIN_FINE
    assert courts.fine_for(10**12, 2, Verdict.CONVICTED) == 3 * 10**11
    assert courts.fine_for(10**12, 0, Verdict.SETTLED) == 5 * 10**10
    assert prison.sentence_ticks(2) == 3 * prison.PRISON_TICKS


def test_a_repeat_offender_gets_more() -> None:
    m, _, _ = first_seed_with(Verdict.CONVICTED)
    m.world.accounts["crook"].cash  # noqa: B018 - the fine was paid from it
    assert m.world.convictions["crook"] == 1
    assert courts.fine_for(10**10, 1, Verdict.CONVICTED) == 2 * courts.fine_for(
        10**10, 0, Verdict.CONVICTED
    )


def test_a_weak_suspicion_opens_nothing_and_a_weak_case_lapses_dismissed() -> None:
    m = market()
    suspect(m, "crook", investigations.OPEN_CONFIDENCE_PCT - 1)
    assert not of(m.run(), ev.CaseOpened)
    suspect(m, "crook", investigations.OPEN_CONFIDENCE_PCT)
    opened = m.run()
    assert of(opened, ev.CaseOpened)
    assert not of(opened, ev.SuspectCharged)
    events: list[ev.EventBase] = []
    for _ in range(investigations.CASE_LAPSE_TICKS):
        events.extend(m.run())
    (verdict,) = of(events, ev.VerdictReached)
    assert verdict.verdict is Verdict.DISMISSED
    assert verdict.roll == courts.NO_ROLL
    assert not m.world.cases


def test_a_second_suspicion_strengthens_the_same_case() -> None:
    m = market()
    suspect(m, "crook", 50)
    m.run()
    suspect(m, "crook", 50)
    events = m.run()
    assert not of(events, ev.CaseOpened)
    assert of(events, ev.SuspectCharged)  # 30 + 30 = 60


# --- BRIBE -------------------------------------------------------------------------------


def test_a_bribe_to_an_ordinary_agent_moves_the_money() -> None:
    m = market()
    before = m.world.accounts["honest"].cash, m.world.accounts["crook"].cash
    events = m.run(
        cmd.Bribe(command_id=cid(), agent_id="crook", target_agent_id="honest", amount=500)
    )
    (paid,) = of(events, ev.BribePaid)
    assert not paid.escrow  # type: ignore[attr-defined]
    assert m.world.accounts["honest"].cash == before[0] + 500
    assert m.world.accounts["crook"].cash == before[1] - 500


def first_with(
    tries: Iterator[tuple[Market, list[ev.EventBase]]], kind: type[ev.EventBase]
) -> tuple[Market, list[ev.EventBase]]:
    """The first try whose events hold a ``kind`` (the dice differ from try to try)."""
    for copy, events in tries:
        if of(events, kind):
            return copy, events
    raise AssertionError(f"no try gives {kind.__name__}")


def _bribes(m: Market, amount: int) -> Iterator[tuple[Market, list[ev.EventBase]]]:
    """The same bribe to the built-in SEC under different command ids (different dice)."""
    image = json.loads(json.dumps(snapshot(m.world)))
    for n in range(200):
        copy = Market.__new__(Market)
        copy.__dict__.update(m.__dict__)
        copy.world = restore(image)
        c = cmd.Bribe(
            command_id=f"b{n}", agent_id="crook", target_agent_id=SEC_AGENT_ID, amount=amount
        )
        yield copy, copy.run(c)


def _under_weak_case() -> Market:
    m = market()
    suspect(m, "crook", 50)
    m.run()
    return m


def test_a_bribe_to_the_sec_stalls_the_case_when_not_caught() -> None:
    m = _under_weak_case()
    (case,) = m.world.cases.values()
    copy, events = first_with(_bribes(m, 100_000), ev.BribePaid)
    (paid,) = of(events, ev.BribePaid)
    assert paid.escrow
    assert paid.case_id == case.case_id
    (stall,) = of(events, ev.CaseStalled)
    assert stall.until_tick == copy.tick + bribery.STALL_TICKS  # type: ignore[attr-defined]
    assert copy.world.house[HOUSE_ESCROW] == 100_000
    # enough evidence to charge, but the case is stalled: the charge waits for the stall
    suspect(copy, "crook", 50)
    assert not of(copy.run(), ev.SuspectCharged)
    charged: list[ev.EventBase] = []
    while copy.tick < stall.until_tick:  # type: ignore[attr-defined]
        charged.extend(copy.run())
    (charge,) = of(charged, ev.SuspectCharged)
    assert charge.tick == stall.until_tick  # type: ignore[attr-defined]
    # at the verdict the built-in SEC's escrow goes to house:fines
    total = money(copy)
    events = until_verdict(copy)
    (release,) = of(events, ev.EscrowReleased)
    assert release.to == HOUSE_FINES
    assert release.amount == 100_000
    assert copy.world.house[HOUSE_ESCROW] == 0
    assert money(copy) == total


def test_a_caught_bribe_forfeits_the_money_and_opens_a_bribery_charge() -> None:
    m = _under_weak_case()
    copy, events = first_with(_bribes(m, 5_000_000), ev.BribeCaught)
    (caught,) = of(events, ev.BribeCaught)
    assert caught.catch_pct == bribery.catch_pct(5_000_000)  # type: ignore[attr-defined]
    assert copy.world.house[HOUSE_FINES] == 5_000_000
    (opened,) = of(events, ev.CaseOpened)
    assert opened.offence is Offence.BRIBERY  # type: ignore[attr-defined]
    (charge,) = of(events, ev.SuspectCharged)
    assert charge.offence is Offence.BRIBERY  # type: ignore[attr-defined]


def test_the_chance_of_being_caught_grows_with_the_amount() -> None:
    pcts = [bribery.catch_pct(a) for a in (1, 10_000, 100_000, 1_000_000, 10_000_000, 10**11)]
    assert pcts == sorted(pcts)
    assert pcts[0] == 5
    assert pcts[3] == 50
    assert pcts[-1] <= 95


def test_a_bribe_to_an_investigator_agent_is_paid_to_it_when_its_case_ends() -> None:
    m = market()
    m.run(
        cmd.OpenCase(
            command_id=cid(),
            agent_id="inv",
            target_agent_id="crook",
            offence=Offence.SPOOFING,
            reason="r",
        )
    )
    for n in range(200):
        image = json.loads(json.dumps(snapshot(m.world)))
        copy = market()
        copy.world, copy.tick = restore(image), m.tick
        events = copy.run(
            cmd.Bribe(command_id=f"i{n}", agent_id="crook", target_agent_id="inv", amount=1_000)
        )
        if of(events, ev.BribePaid):
            break
    assert copy.world.cases[1].escrow == 1_000
    inv_cash = copy.world.accounts["inv"].cash
    for _ in range(investigations.CASE_LAPSE_TICKS + bribery.STALL_TICKS):
        events = copy.run()
        if of(events, ev.VerdictReached):
            break
    (release,) = of(events, ev.EscrowReleased)
    assert release.to == "inv"
    assert copy.world.accounts["inv"].cash == inv_cash + 1_000


# --- WHISTLEBLOW -------------------------------------------------------------------------


def test_a_whistleblower_opens_a_case_and_is_paid_a_share_of_the_fine() -> None:
    for seed in range(1, 80):
        m = market(seed)
        m.run(m.order("BUY", "honest", 5, price=m.world.mark(m.symbol)))
        accuse = cmd.Whistleblow(
            command_id=cid(),
            agent_id="wb",
            target_agent_id="crook",
            evidence="it traded ahead of the news",
            offence=Offence.INSIDER_TRADING,
            order_ids=[1],
        )
        events = m.run(accuse)
        (evidence,) = of(events, ev.EvidenceAdded)
        assert evidence.refs.order_ids == [1]
        assert evidence.weight == 20
        suspect(m, "crook", 100, Offence.INSIDER_TRADING)
        m.run()
        cash = m.world.accounts["wb"].cash
        events = until_verdict(m)
        if of(events, ev.VerdictReached)[0].verdict is Verdict.CONVICTED:  # type: ignore[attr-defined]
            break
    (fine,) = of(events, ev.FinePaid)
    (reward,) = of(events, ev.RewardPaid)
    share = fine.amount * courts.WHISTLEBLOWER_SHARE_PCT // 100  # type: ignore[attr-defined]
    assert reward.agent_id == "wb"
    assert reward.amount == share
    assert m.world.accounts["wb"].cash == cash + share
    assert m.world.house[HOUSE_FINES] == fine.amount - share  # type: ignore[attr-defined]


# --- FLEE --------------------------------------------------------------------------------


def test_a_flight_with_no_case_gets_away_and_freezes_the_agent_for_good() -> None:
    m = market()
    m.run(m.order("BUY", "crook", 10, price=m.world.mark(m.symbol) - 100))
    events = m.run(cmd.Flee(command_id=cid(), agent_id="crook", destination="Nauru"))
    (fled,) = of(events, ev.AgentFled)
    assert fled.escape_pct == 100
    assert fled.case_id is None
    (cancel,) = of(events, ev.OrderCancelled)
    assert cancel.reason is CancelReason.AGENT_LEFT  # type: ignore[attr-defined]
    assert m.world.accounts["crook"].status is AgentStatus.FLED
    (refused,) = of(
        m.run(m.order("BUY", "crook", 1, price=m.world.mark(m.symbol))), ev.OrderRejected
    )
    assert refused.reason is RejectReason.AGENT_NOT_ACTIVE  # type: ignore[attr-defined]


def _flights(strength_suspicions: int) -> Iterator[tuple[Market, list[ev.EventBase]]]:
    m = market()
    for _ in range(strength_suspicions):
        suspect(m, "crook", 50)
        m.run()
    image = json.loads(json.dumps(snapshot(m.world)))
    for n in range(200):
        copy = market()
        copy.world, copy.tick = restore(image), m.tick
        yield copy, copy.run(cmd.Flee(command_id=f"f{n}", agent_id="crook", destination="Nauru"))


def test_a_flight_under_investigation_can_succeed() -> None:
    copy, events = first_with(_flights(1), ev.AgentFled)
    (fled,) = of(events, ev.AgentFled)
    assert fled.escape_pct == flight.escape_pct(30) == 60  # type: ignore[attr-defined]
    assert fled.roll < fled.escape_pct
    assert fled.case_id == 1
    assert copy.world.accounts["crook"].status is AgentStatus.FLED
    # tried in absentia when the case is charged: a fine, no prison
    suspect(copy, "crook", 50)
    copy.run()
    events = until_verdict(copy)
    assert not of(events, ev.AgentImprisoned)


def test_a_caught_fugitive_goes_straight_to_prison() -> None:
    copy, events = first_with(_flights(1), ev.FlightFailed)
    (failed,) = of(events, ev.FlightFailed)
    assert failed.roll >= failed.escape_pct  # type: ignore[attr-defined]
    assert of(events, ev.SuspectCharged)
    (jail,) = of(events, ev.AgentImprisoned)
    assert jail.release_tick == copy.tick + prison.FLIGHT_PRISON_TICKS  # type: ignore[attr-defined]
    assert copy.world.accounts["crook"].status is AgentStatus.IMPRISONED


def test_the_escape_chance_falls_with_the_case_strength() -> None:
    assert [flight.escape_pct(s) for s in (0, 30, 60, 100)] == [90, 60, 30, 10]


# --- the investigator and the CEO --------------------------------------------------------


def test_an_investigator_opens_subpoenas_and_freezes() -> None:
    m = market()
    m.run(m.order("BUY", "crook", 10, price=m.world.mark(m.symbol) - 100))
    open_case = cmd.OpenCase(
        command_id=cid(),
        agent_id="inv",
        target_agent_id="crook",
        offence=Offence.SPOOFING,
        reason="layering",
    )
    (opened,) = of(m.run(open_case), ev.CaseOpened)
    assert opened.investigator_id == "inv"  # type: ignore[attr-defined]
    too_early = m.run(cmd.FreezeAssets(command_id=cid(), agent_id="inv", case_id=1))
    assert of(too_early, ev.CommandRejected)[0].reason is RejectReason.EVIDENCE_TOO_WEAK  # type: ignore[attr-defined]
    (evidence,) = of(
        m.run(cmd.Subpoena(command_id=cid(), agent_id="inv", case_id=1)), ev.EvidenceAdded
    )
    assert evidence.refs.order_ids == [1]
    assert evidence.weight == 5
    suspect(m, "crook", 40, Offence.SPOOFING)
    m.run()
    assert m.world.cases[1].strength == 39
    events = m.run(cmd.FreezeAssets(command_id=cid(), agent_id="inv", case_id=1))
    assert of(events, ev.AssetsFrozen)
    assert of(events, ev.OrderCancelled)
    refused = m.run(m.order("BUY", "crook", 1, price=m.world.mark(m.symbol)))
    assert of(refused, ev.OrderRejected)[0].reason is RejectReason.ASSETS_FROZEN  # type: ignore[attr-defined]


def test_a_ceo_runs_a_company_and_sees_its_earnings_early() -> None:
    m = Market(CONFIG.model_copy(update={"earnings_every_days": 1}), 3, AGENTS)
    symbol = m.world.ceo_of["ceo"]
    assert symbol == next(iter(m.world.companies))
    previews: list[ev.EventBase] = []
    reports: list[ev.EventBase] = []
    for _ in range(80):
        events = m.run()
        previews.extend(of(events, ev.EarningsPreviewed))
        reports.extend(e for e in of(events, ev.EarningsReported) if e.symbol == symbol)  # type: ignore[attr-defined]
    assert previews
    assert reports
    by_tick = {r.tick: r for r in reports}
    for p in previews:
        assert p.agent_id == "ceo"
        # In the open market, CEO_PREVIEW_TICKS minutes before the close of the day before.
        assert isinstance(p, ev.EarningsPreviewed)
        config = m.world.config
        assert clock.is_market_open(p.tick, config)
        assert clock.is_closing_tick(p.tick + insiders.CEO_PREVIEW_TICKS, config)
        assert clock.is_opening_tick(p.report_tick, config)
        if p.report_tick in by_tick:  # type: ignore[attr-defined]
            assert by_tick[p.report_tick].surprise_bps == p.surprise_bps  # type: ignore[attr-defined]


# --- refusals: reason code, no raise, no state change ------------------------------------


def _bad(m: Market) -> list[tuple[cmd.CommandBase, RejectReason]]:
    mark = m.world.mark(m.symbol)
    return [
        (
            cmd.Bribe(command_id=cid(), agent_id="wb", target_agent_id="crook", amount=2_500_001),
            RejectReason.INSUFFICIENT_CASH,
        ),
        (
            cmd.Bribe(command_id=cid(), agent_id="wb", target_agent_id="wb", amount=1),
            RejectReason.SELF_TARGET,
        ),
        (
            cmd.Bribe(command_id=cid(), agent_id="wb", target_agent_id="nobody", amount=1),
            RejectReason.UNKNOWN_TARGET,
        ),
        (
            cmd.Bribe(command_id=cid(), agent_id="honest", target_agent_id=SEC_AGENT_ID, amount=1),
            RejectReason.NO_OPEN_CASE,
        ),
        (
            cmd.Bribe(command_id=cid(), agent_id="honest", target_agent_id="inv", amount=1),
            RejectReason.NO_OPEN_CASE,
        ),
        (
            cmd.Bribe(command_id=cid(), agent_id="crook", target_agent_id="honest", amount=1),
            RejectReason.ASSETS_FROZEN,
        ),
        (m.order("BUY", "crook", 1, price=mark), RejectReason.ASSETS_FROZEN),
        (
            cmd.Whistleblow(
                command_id=cid(),
                agent_id="wb",
                target_agent_id="honest",
                evidence="e",
                trade_ids=[999],
            ),
            RejectReason.BAD_REFERENCE,
        ),
        (
            cmd.Whistleblow(
                command_id=cid(),
                agent_id="wb",
                target_agent_id="honest",
                evidence="e",
                order_ids=[999],
            ),
            RejectReason.BAD_REFERENCE,
        ),
        (
            cmd.Whistleblow(command_id=cid(), agent_id="wb", target_agent_id="ghost", evidence="e"),
            RejectReason.UNKNOWN_TARGET,
        ),
        (
            cmd.OpenCase(
                command_id=cid(),
                agent_id="wb",
                target_agent_id="honest",
                offence=Offence.SPOOFING,
                reason="r",
            ),
            RejectReason.NOT_INVESTIGATOR,
        ),
        (
            cmd.OpenCase(
                command_id=cid(),
                agent_id="inv",
                target_agent_id="inv",
                offence=Offence.SPOOFING,
                reason="r",
            ),
            RejectReason.SELF_TARGET,
        ),
        (cmd.Subpoena(command_id=cid(), agent_id="inv", case_id=99), RejectReason.UNKNOWN_CASE),
        (
            cmd.Subpoena(command_id=cid(), agent_id="honest", case_id=1),
            RejectReason.NOT_INVESTIGATOR,
        ),
        (cmd.FreezeAssets(command_id=cid(), agent_id="inv", case_id=1), RejectReason.ASSETS_FROZEN),
        (cmd.FreezeAssets(command_id=cid(), agent_id="inv", case_id=99), RejectReason.UNKNOWN_CASE),
    ]


def test_every_bad_legal_command_gets_its_reason_and_changes_nothing() -> None:
    m, _ = charged_market(3)
    image = json.loads(json.dumps(snapshot(m.world)))
    quiet = restore(image)
    reference = Market.__new__(Market)
    reference.__dict__.update(m.__dict__)
    reference.world = quiet
    expected = _image(_step_quiet(reference))
    for bad, reason in _bad(m):
        trial = Market.__new__(Market)
        trial.__dict__.update(m.__dict__)
        trial.world = restore(image)
        events = trial.run(bad)
        answers = [e for e in events if getattr(e, "command_id", None) == bad.command_id]
        assert len(answers) == 1, bad
        assert answers[0].reason is reason, (bad, answers[0])  # type: ignore[attr-defined]
        assert _image(trial.world) == expected, bad


def _step_quiet(m: Market) -> World:
    m.run()
    return m.world


def _image(world: World) -> dict[str, object]:
    """The world's snapshot but for its event count (a refusal is one more event)."""
    image = snapshot(world)
    del image["version"]
    return image


def test_a_closed_case_is_named_closed_and_an_imprisoned_agent_is_refused_everything() -> None:
    m, _, _ = first_seed_with(Verdict.CONVICTED)
    events = m.run(cmd.Subpoena(command_id=cid(), agent_id="inv", case_id=1))
    assert of(events, ev.CommandRejected)[0].reason is RejectReason.CASE_CLOSED  # type: ignore[attr-defined]
    for c in (
        cmd.Flee(command_id=cid(), agent_id="crook", destination="x"),
        cmd.Bribe(command_id=cid(), agent_id="crook", target_agent_id="honest", amount=1),
        cmd.SendMessage(command_id=cid(), agent_id="crook", target_agent_id="honest", content="hi"),
    ):
        (rejected,) = of(m.run(c), ev.CommandRejected)
        assert rejected.reason is RejectReason.AGENT_IMPRISONED  # type: ignore[attr-defined]


# --- snapshots ---------------------------------------------------------------------------


@pytest.mark.parametrize("ticks", [0, 5, 40])
def test_a_restored_world_keeps_its_cases_and_decides_identically(ticks: int) -> None:
    m, _ = charged_market(7)
    m.run(cmd.Whistleblow(command_id=cid(), agent_id="wb", target_agent_id="honest", evidence="e"))
    for _ in range(ticks):
        m.run()
    image = json.loads(json.dumps(snapshot(m.world)))
    copy = Market.__new__(Market)
    copy.__dict__.update(m.__dict__)
    copy.world = restore(image)
    assert state_hash(copy.world) == state_hash(m.world)
    assert [c.case_id for c in copy.world.cases.values()] == [
        c.case_id for c in m.world.cases.values()
    ]
    assert copy.world.active_cases == m.world.active_cases
    for _ in range(60):
        a, b = m.run(), copy.run()
        assert [e.model_dump_json() for e in a] == [e.model_dump_json() for e in b]


def test_a_baseless_accusation_costs_the_whistleblower_reputation() -> None:
    m = market()
    m.run(cmd.Whistleblow(command_id=cid(), agent_id="wb", target_agent_id="honest", evidence="?"))
    events: list[ev.EventBase] = []
    for _ in range(investigations.CASE_LAPSE_TICKS):
        events.extend(m.run())
    (verdict,) = of(events, ev.VerdictReached)
    assert verdict.verdict is Verdict.DISMISSED  # type: ignore[attr-defined]
    (moved,) = of(events, ev.ReputationChanged)
    assert moved.agent_id == "wb"  # type: ignore[attr-defined]
    assert m.world.accounts["wb"].reputation == 50 - courts.BASELESS_REPUTATION


def test_a_conviction_costs_the_convict_reputation() -> None:
    _, _, events = first_seed_with(Verdict.CONVICTED)
    (moved,) = [e for e in of(events, ev.ReputationChanged) if e.agent_id == "crook"]  # type: ignore[attr-defined]
    assert moved.delta == -courts.VERDICT_REPUTATION[Verdict.CONVICTED]  # type: ignore[attr-defined]


def test_a_subpoena_names_the_suspects_messages() -> None:
    m = market()
    m.run(
        cmd.SendMessage(command_id=cid(), agent_id="crook", target_agent_id="ceo", content="sell")
    )
    m.run(
        cmd.OpenCase(
            command_id=cid(),
            agent_id="inv",
            target_agent_id="crook",
            offence=Offence.INSIDER_TRADING,
            reason="tipped",
        )
    )
    m.run(m.order("BUY", "honest", 3, price=m.world.mark(m.symbol) + 50))
    m.run(m.order("SHORT", "crook", 1, price=m.world.mark(m.symbol)))
    events = m.run(cmd.Subpoena(command_id=cid(), agent_id="inv", case_id=1))
    (evidence,) = of(events, ev.EvidenceAdded)
    assert evidence.refs.message_ids == [m.world.messages[0].message_id]  # type: ignore[attr-defined]
    assert evidence.refs.trade_ids  # type: ignore[attr-defined]


def test_an_accuser_repeating_itself_adds_no_strength() -> None:
    m = market()
    for _ in range(3):
        m.run(
            cmd.Whistleblow(command_id=cid(), agent_id="wb", target_agent_id="crook", evidence="!")
        )
        m.run(
            cmd.OpenCase(
                command_id=cid(),
                agent_id="inv",
                target_agent_id="crook",
                offence=Offence.INSIDER_TRADING,
                reason="again",
            )
        )
    (case,) = m.world.cases.values()
    assert case.strength == investigations.WHISTLEBLOW_WEIGHT  # the case was open already
    assert case.evidence == 6


def test_the_seeded_crooks_are_caught_tried_and_sentenced_and_the_honest_are_not() -> None:
    """End to end under rules v2: the SEC's detectors raise suspicions on the seeded crooks,
    cases open, charges and trials follow; every conviction is a crook's (ground truth:
    the genesis' strategies), and convicts serve their time and walk out."""
    config = SeasonConfig(
        symbols=5,
        open_ticks_per_day=60,
        after_hours_ticks=5,
        earnings_every_days=1,
        population=PopulationConfig(
            market_makers=2, noise_traders=8, momentum_traders=2, value_traders=2
        ),
    )
    events = simulate(11, 1_500, config)
    (genesis,) = of(events, ev.SeasonStarted)
    crooks = {a.agent_id for a in genesis.builtin_agents if a.strategy in registry.OFFENCE_OF}  # type: ignore[attr-defined]
    verdicts = of(events, ev.VerdictReached)
    convicted = {v.suspect_id for v in verdicts if v.verdict is Verdict.CONVICTED}  # type: ignore[attr-defined]
    assert convicted
    assert convicted <= crooks
    for v in (v for v in verdicts if v.verdict is not Verdict.DISMISSED):  # type: ignore[attr-defined]
        charge = next(e for e in of(events, ev.SuspectCharged) if e.case_id == v.case_id)  # type: ignore[attr-defined]
        assert charge.tick < v.tick
    jailed = {e.agent_id for e in of(events, ev.AgentImprisoned)}  # type: ignore[attr-defined]
    assert jailed <= crooks
    assert of(events, ev.AgentReleased)


def test_a_charged_suspect_may_still_run_and_stays_frozen() -> None:
    m, _ = charged_market(5)
    image = json.loads(json.dumps(snapshot(m.world)))
    outcomes = set()
    for n in range(60):
        copy = Market.__new__(Market)
        copy.__dict__.update(m.__dict__)
        copy.world = restore(image)
        events = copy.run(cmd.Flee(command_id=f"run{n}", agent_id="crook", destination="Nauru"))
        if of(events, ev.AgentFled):
            assert copy.world.accounts["crook"].status is AgentStatus.FLED
            assert "crook" in copy.world.frozen
            outcomes.add("fled")
        else:
            assert of(events, ev.FlightFailed)
            assert copy.world.accounts["crook"].status is AgentStatus.IMPRISONED
            outcomes.add("caught")
    assert outcomes == {"fled", "caught"}


def test_a_suspicion_names_its_accomplices_at_half_the_weight() -> None:
    m = market()
    evolve(
        m.world,
        ev.SuspicionRaised(
            tick=m.tick + 1,
            suspicion_id=next(_ids),
            offence=Offence.WASH_TRADING,
            suspect_id="crook",
            accomplice_ids=["honest", "ghost"],
            confidence_pct=100,
            trade_ids=[1],
            reason="traded back and forth",
        ),
    )
    events = m.run()
    cases = {c.suspect_id: c for c in m.world.cases.values()}
    assert sorted(cases) == ["crook", "honest"]  # an unknown accomplice is passed over
    assert cases["crook"].strength == 60
    assert cases["honest"].strength == 30
    (charge,) = of(events, ev.SuspectCharged)
    assert charge.suspect_id == "crook"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "body",
    [
        {"type": "SUBPOENA", "case_id": "5"},  # a string is not an integer
        {"type": "SUBPOENA", "case_id": 0},
        {"type": "FREEZE_ASSETS", "case_id": True},
        {"type": "OPEN_CASE", "target_agent_id": "x", "offence": "jaywalking", "reason": "r"},
        {"type": "OPEN_CASE", "target_agent_id": "x", "offence": "spoofing", "reason": ""},
        {"type": "WHISTLEBLOW", "target_agent_id": "x", "evidence": "e", "trade_ids": [0]},
        {"type": "WHISTLEBLOW", "target_agent_id": "x", "evidence": "e", "order_ids": [1] * 21},
        {"type": "WHISTLEBLOW", "target_agent_id": "x", "evidence": "e", "offence": 3},
    ],
)
def test_the_gateway_refuses_bad_legal_actions_strictly(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        validate_action(cmd.AGENT_ACTION_ADAPTER, {"command_id": "c", "agent_id": "a", **body})


def test_the_gateway_takes_good_legal_actions() -> None:
    for body in (
        {"type": "SUBPOENA", "case_id": 5},
        {"type": "FREEZE_ASSETS", "case_id": 1},
        {"type": "OPEN_CASE", "target_agent_id": "x", "offence": "spoofing", "reason": "r"},
        {"type": "WHISTLEBLOW", "target_agent_id": "x", "evidence": "e", "trade_ids": [1, 2]},
        {"type": "BRIBE", "target_agent_id": SEC_AGENT_ID, "amount": 100},
    ):
        parsed = validate_action(
            cmd.AGENT_ACTION_ADAPTER, {"command_id": "c", "agent_id": "a", **body}
        )
        assert parsed.type == body["type"]


def test_nobody_registers_as_the_built_in_sec() -> None:
    m = market()
    c = cmd.RegisterAgent(
        command_id=cid(), agent_id=SEC_AGENT_ID, name="x", role=Role.QUANT, api_key_hash="0" * 64
    )
    (rejected,) = of(m.run(c), ev.CommandRejected)
    assert rejected.reason is RejectReason.AGENT_EXISTS  # type: ignore[attr-defined]
    assert SEC_AGENT_ID not in m.world.accounts
