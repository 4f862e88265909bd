"""Properties of the legal system (rules v2) under random command streams.

Agents of every legal role send random orders, bribes (to agents, to investigators, to the
built-in SEC), accusations, flights and investigator commands, with random SEC suspicions
raised among them, over a season with built-in traders. After every tick:

* money is conserved: every account's cash plus every house account (fees, lending,
  fines, escrow) is what it was after registration;
* no order is accepted for, and no trade involves, an agent that is imprisoned, fled or
  frozen at that point of the tick (checked by folding the events one at a time);
* every command has exactly one outcome event carrying its id, and none raises;
* every case still in the world is open (gathering evidence, within the lapse) or charged
  (its trial still ahead): the others ended in a verdict;
* a snapshot round-trip gives the same hash, and stepping the copy gives the same events.
"""

from __future__ import annotations

import json
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import World, context_for, evolve, restore, snapshot, state_hash, step
from domain.rules import investigations
from domain.simulate import start_command
from domain.state import SEC_AGENT_ID
from schemas import commands as cmd
from schemas import events as ev
from schemas.config import PopulationConfig, SeasonConfig
from schemas.enums import AgentStatus, CaseStatus, Offence, OrderType, Role

CONFIG = SeasonConfig(
    symbols=2,
    open_ticks_per_day=20,
    after_hours_ticks=2,
    earnings_every_days=1,
    population=PopulationConfig(
        market_makers=1, noise_traders=2, momentum_traders=0, value_traders=0
    ),
)
AGENTS = {
    "crook": Role.HEDGE_FUND_MANAGER,
    "shady": Role.RETAIL_TRADER,
    "ceo": Role.CEO,
    "inv": Role.SEC_INVESTIGATOR,
    "wb": Role.WHISTLEBLOWER,
}
NAMES = [*AGENTS, "noise-1", SEC_AGENT_ID, "ghost"]
OFFENCES = list(Offence)
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KEY = "0" * 64


def genesis(seed: int) -> World:
    world = World()
    step(world, [start_command(seed, CONFIG)], context_for(world, 0))
    step(
        world,
        [
            cmd.RegisterAgent(command_id=f"reg-{a}", agent_id=a, name=a, role=r, api_key_hash=KEY)
            for a, r in AGENTS.items()
        ],
        context_for(world, 1),
    )
    return world


def money(world: World) -> int:
    return sum(a.cash for a in world.accounts.values()) + sum(world.house.values())


class Ids:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"q{self.n}"


def draw_command(data: st.DataObject, world: World, ids: Ids) -> cmd.CommandBase:
    agent = data.draw(st.sampled_from([*AGENTS]))
    target = data.draw(st.sampled_from(NAMES))
    case_id = data.draw(st.integers(1, world.next_case_id + 1))
    offence = data.draw(st.sampled_from(OFFENCES))
    kind = data.draw(st.integers(0, 9))
    cid = ids()
    symbol = data.draw(st.sampled_from(list(world.companies)))
    last = world.companies[symbol].last_price
    match kind:
        case 0 | 1:
            kinds = (cmd.Buy, cmd.Sell, cmd.Short)
            order = data.draw(st.sampled_from(kinds))
            limit = data.draw(st.booleans())
            return order(
                command_id=cid,
                agent_id=agent,
                symbol=symbol,
                order_type=OrderType.LIMIT if limit else OrderType.MARKET,
                quantity=data.draw(st.integers(1, 50)),
                price=last if limit else None,
            )
        case 2 | 3:
            amount = data.draw(st.one_of(st.integers(1, 2_000_000), st.integers(1, 10**11)))
            return cmd.Bribe(command_id=cid, agent_id=agent, target_agent_id=target, amount=amount)
        case 4 | 5:
            refs = data.draw(st.lists(st.integers(1, world.next_order_id + 3), max_size=3))
            return cmd.Whistleblow(
                command_id=cid,
                agent_id=agent,
                target_agent_id=target,
                evidence="saw it",
                offence=offence,
                order_ids=refs,
            )
        case 6:
            return cmd.Flee(command_id=cid, agent_id=agent, destination="away")
        case 7:
            return cmd.OpenCase(
                command_id=cid, agent_id=agent, target_agent_id=target, offence=offence, reason="r"
            )
        case 8:
            return cmd.Subpoena(command_id=cid, agent_id=agent, case_id=case_id)
        case _:
            return cmd.FreezeAssets(command_id=cid, agent_id=agent, case_id=case_id)


def raise_suspicions(data: st.DataObject, world: World, tick: int) -> None:
    for _ in range(data.draw(st.integers(0, 2))):
        evolve(
            world,
            ev.SuspicionRaised(
                tick=tick,
                suspicion_id=world.version,
                offence=data.draw(st.sampled_from(OFFENCES)),
                suspect_id=data.draw(st.sampled_from([*AGENTS, "ghost"])),
                confidence_pct=data.draw(st.integers(0, 100)),
                reason="random",
            ),
        )


def check_nobody_barred_trades(before: World, events: list[ev.EventBase]) -> None:
    """Imprisoned and fled agents trade not at all; a frozen one only in the house's own
    forced liquidation of a missed margin call (``liq.`` orders), never by its commands."""
    barred = {a for a, x in before.accounts.items() if not x.active}
    frozen = set(before.frozen)
    forced: set[int] = set()
    for e in events:
        match e:
            case ev.AgentImprisoned() | ev.AgentFled():
                barred.add(e.agent_id)
            case ev.AgentReleased():
                barred.discard(e.agent_id)
            case ev.AssetsFrozen():
                frozen.add(e.agent_id)
            case ev.AssetsUnfrozen():
                frozen.discard(e.agent_id)
            case ev.OrderAccepted():
                assert e.agent_id not in barred, e
                if e.agent_id in frozen:
                    assert e.command_id.startswith("liq."), e
                    forced.add(e.order_id)
            case ev.TradeExecuted():
                for agent, order in ((e.buyer_id, e.buy_order_id), (e.seller_id, e.sell_order_id)):
                    assert agent not in barred, e
                    assert agent not in frozen or order in forced, e
            case _:
                pass


def check_cases(world: World, tick: int) -> None:
    for case in world.cases.values():
        assert case.status in (CaseStatus.OPEN, CaseStatus.CHARGED)
        if case.status is CaseStatus.OPEN:
            assert tick - case.last_evidence_tick < investigations.CASE_LAPSE_TICKS
            assert case.strength < investigations.CHARGE_STRENGTH or tick < case.stalled_until
        else:
            assert case.trial_tick is not None
            assert case.trial_tick > tick
        assert case.escrow >= 0
    assert world.house.get("house:escrow", 0) == sum(c.escrow for c in world.cases.values())
    for agent_id in world.prison:
        assert world.accounts[agent_id].status is AgentStatus.IMPRISONED


@SETTINGS
@given(seed=st.integers(0, 2**32), ticks=st.integers(5, 70), data=st.data())
def test_random_legal_streams_keep_the_invariants(
    seed: int, ticks: int, data: st.DataObject
) -> None:
    world = genesis(seed)
    total = money(world)
    ids = Ids()
    for tick in range(2, ticks + 2):
        commands = [draw_command(data, world, ids) for _ in range(data.draw(st.integers(0, 6)))]
        raise_suspicions(data, world, tick)
        before = restore(json.loads(json.dumps(snapshot(world))))
        before.suspicions = list(world.suspicions)
        events = step(world, commands, context_for(world, tick))
        assert money(world) == total
        check_nobody_barred_trades(before, events)
        carried = Counter(getattr(e, "command_id", None) for e in events)
        for c in commands:
            assert carried[c.command_id] == 1, (c, events)
        check_cases(world, tick)
        again = step(before, commands, context_for(before, tick))
        assert [e.model_dump_json() for e in again] == [e.model_dump_json() for e in events]
    copy = restore(json.loads(json.dumps(snapshot(world))))
    assert state_hash(copy) == state_hash(world)
