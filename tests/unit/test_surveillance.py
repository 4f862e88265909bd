"""The SEC's surveillance (rules v2): each offence, committed by a scripted agent, raises a
``SuspicionRaised`` naming its exact trades or orders, while an honest agent trading a
similar volume in the same season raises none, and the case goes on to its charge, trial
and sentence while the honest face none; the windows stay bounded; a restored
snapshot decides exactly as the world it was taken of."""

from __future__ import annotations

import itertools
import json

from domain import World, context_for, restore, snapshot, step
from domain.rules.investigations import CHARGE_STRENGTH, TRIAL_DELAY_TICKS
from domain.rules.surveillance import windows
from domain.rules.surveillance.windows import Surveillance
from domain.simulate import simulate, start_command
from domain.step import StepInput
from domain.traders.insider import known_surprise
from domain.traders.registry import OFFENCE_OF, TRADERS
from domain.units import BPS, DOLLAR
from projections.visibility import public_strategy
from schemas import commands as cmd
from schemas import events as ev
from schemas.config import NO_CROOKS, CrookConfig, PopulationConfig, SeasonConfig
from schemas.enums import AgentStatus, Offence, OrderType, Role, Strategy, Verdict

CONFIG = SeasonConfig(
    symbols=4,
    open_ticks_per_day=60,
    after_hours_ticks=5,
    earnings_every_days=1,
    population=PopulationConfig(
        market_makers=2, noise_traders=0, momentum_traders=0, value_traders=0, crooks=NO_CROOKS
    ),
)
HFM = Role.HEDGE_FUND_MANAGER


class Season:
    """A rules-v2 season with market makers only, stepped by hand."""

    def __init__(
        self, agents: dict[str, Role], seed: int = 7, config: SeasonConfig = CONFIG
    ) -> None:
        self.world = World()
        self.events = step(self.world, [start_command(seed, config)], context_for(self.world, 0))
        assert self.world.sec is not None
        self.tick = 0
        self._ids = itertools.count(1)
        self.run(
            *(
                cmd.RegisterAgent(
                    command_id=f"reg-{n}", agent_id=n, name=n, role=r, api_key_hash="0" * 64
                )
                for n, r in agents.items()
            )
        )

    @property
    def symbols(self) -> list[str]:
        return list(self.world.companies)

    def run(self, *commands: StepInput) -> list[ev.EventBase]:
        self.tick += 1
        out = step(self.world, list(commands), context_for(self.world, self.tick))
        self.events.extend(out)
        return out

    def until(self, tick: int) -> None:
        while self.tick < tick - 1:
            self.run()

    def order(
        self,
        kind: type[cmd.Buy | cmd.Sell],
        agent: str,
        symbol: str,
        value: int,
        price: int | None = None,
    ) -> cmd.OrderCommand:
        ref = price or self.world.companies[symbol].last_price
        return kind(
            command_id=f"c{next(self._ids)}",
            agent_id=agent,
            symbol=symbol,
            order_type=OrderType.MARKET if price is None else OrderType.LIMIT,
            quantity=max(1, value // ref),
            price=price,
        )

    def order_id(self, command: cmd.CommandBase) -> int:
        (accepted,) = (
            e
            for e in self.events
            if isinstance(e, ev.OrderAccepted) and e.command_id == command.command_id
        )
        return accepted.order_id

    def trades_of(self, agent: str, symbol: str | None = None) -> list[int]:
        return [
            e.trade_id
            for e in self.events
            if isinstance(e, ev.TradeExecuted)
            and agent in (e.buyer_id, e.seller_id)
            and symbol in (None, e.symbol)
        ]

    def suspicions(self, suspect: str | None = None) -> list[ev.SuspicionRaised]:
        return [
            e
            for e in self.events
            if isinstance(e, ev.SuspicionRaised) and suspect in (None, e.suspect_id)
        ]


def _through_the_courts(s: Season, suspect: str, offence: Offence, *honest: str) -> None:
    """The suspicion's case to its sentence: the SEC opened it, an investigator subpoenas
    the suspect's records and a witness blows the whistle on the trades the suspicion
    named (evidence near full strength, so the die all but cannot acquit), the
    charge and the trial follow; the honest traders face no case."""
    (opened,) = (
        e
        for e in s.events
        if isinstance(e, ev.CaseOpened) and e.suspect_id == suspect and e.offence is offence
    )
    assert opened.opened_by == "sec"
    (suspicion, *_) = s.suspicions(suspect)
    s.run(
        *(
            cmd.RegisterAgent(
                command_id=f"reg-{name}", agent_id=name, name=name, role=role,
                api_key_hash="0" * 64,
            )
            for name, role in (("inv", Role.SEC_INVESTIGATOR), ("witness", Role.WHISTLEBLOWER))
        )
    )  # fmt: skip
    s.run(
        cmd.Subpoena(command_id="sub", agent_id="inv", case_id=opened.case_id),
        cmd.Whistleblow(
            command_id="wb", agent_id="witness", target_agent_id=suspect, evidence="I saw it",
            offence=offence, trade_ids=suspicion.trade_ids[:4], order_ids=suspicion.order_ids[:4],
        ),
    )  # fmt: skip
    verdicts: list[ev.VerdictReached] = []
    for _ in range(TRIAL_DELAY_TICKS + 70):
        verdicts = [
            e for e in s.run() if isinstance(e, ev.VerdictReached) and e.case_id == opened.case_id
        ]
        if verdicts:
            break
    (charge,) = (
        e for e in s.events if isinstance(e, ev.SuspectCharged) and e.case_id == opened.case_id
    )
    (verdict,) = verdicts
    assert charge.tick < verdict.tick == charge.trial_tick
    assert verdict.strength >= CHARGE_STRENGTH
    assert verdict.verdict in (Verdict.CONVICTED, Verdict.SETTLED)
    fined = [e for e in s.events if isinstance(e, ev.FinePaid) and e.case_id == opened.case_id]
    assert [(f.agent_id, f.amount) for f in fined] == [(suspect, verdict.fine)]
    assert verdict.fine > 0
    if verdict.verdict is Verdict.CONVICTED:
        assert s.world.accounts[suspect].status is AgentStatus.IMPRISONED
    cased = {e.suspect_id for e in s.events if isinstance(e, ev.CaseOpened)}
    assert not cased & set(honest)


def test_spoofing_names_the_cancelled_bids_and_the_sales_they_covered() -> None:
    s = Season({"spoof": HFM, "honest": HFM})
    sym = s.symbols[0]
    for _ in range(6):  # both build a position to sell from
        s.run(s.order(cmd.Buy, "spoof", sym, 15_000 * DOLLAR))
        s.run(s.order(cmd.Buy, "honest", sym, 15_000 * DOLLAR))
    s.run()
    bid = s.world.books[sym].best_bid()
    assert bid is not None
    behind = bid - bid * 30 // BPS
    spoof = s.order(cmd.Buy, "spoof", sym, 700_000 * DOLLAR, price=behind)
    sale = s.order(cmd.Sell, "spoof", sym, 10_000 * DOLLAR)
    big = s.order(cmd.Buy, "honest", sym, 700_000 * DOLLAR, price=behind)
    s.run(spoof, sale, big)
    sold = [
        e.trade_id
        for e in s.events
        if isinstance(e, ev.TradeExecuted) and e.sell_order_id == s.order_id(sale)
    ]
    s.run(
        cmd.CancelOrder(command_id="x1", agent_id="spoof", order_id=s.order_id(spoof)),
        cmd.CancelOrder(command_id="x2", agent_id="honest", order_id=s.order_id(big)),
    )
    s.run(s.order(cmd.Sell, "honest", sym, 10_000 * DOLLAR))  # sells only once it's gone
    s.until(40)
    (found,) = s.suspicions("spoof")
    assert found.offence is Offence.SPOOFING
    assert found.order_ids == [s.order_id(spoof)]
    assert sold
    assert found.trade_ids == sold
    assert found.symbol == sym
    assert 0 < found.confidence_pct < 100
    assert "cancelled them unfilled" in found.reason
    assert s.suspicions("honest") == []
    _through_the_courts(s, "spoof", Offence.SPOOFING, "honest")


def _inside(s: Season, sym: str) -> int:
    book = s.world.books[sym]
    bid, ask = book.best_bid(), book.best_ask()
    assert bid is not None
    assert ask is not None
    return (bid + ask) // 2


def test_wash_trading_names_the_pairs_round_trips() -> None:
    s = Season({"w1": HFM, "w2": HFM, "honest": HFM})
    sym, other = s.symbols[1], s.symbols[2]
    for _ in range(6):
        s.run(s.order(cmd.Buy, "w1", sym, 35_000 * DOLLAR))
    held = s.world.accounts["w1"].positions[sym]
    s.run(cmd.Ally(command_id="a1", agent_id="w1", target_agent_id="w2", proposal="us"))
    s.run(cmd.Ally(command_id="a2", agent_id="w2", target_agent_id="w1", proposal="us"))
    assert any(isinstance(e, ev.AllianceFormed) for e in s.events)
    for _ in range(3):  # three round trips: w1 sells to w2, w2 sells straight back
        price = _inside(s, sym)
        s.run(
            s.order(cmd.Sell, "w1", sym, held * price, price=price),
            s.order(cmd.Buy, "w2", sym, held * price, price=price),
            s.order(cmd.Sell, "w2", sym, held * price, price=price),
            s.order(cmd.Buy, "w1", sym, held * price, price=price),
        )
    for _ in range(8):  # the honest agent buys as much from the makers, then sells it
        s.run(s.order(cmd.Buy, "honest", other, 35_000 * DOLLAR))
    for _ in range(8):
        s.run(s.order(cmd.Sell, "honest", other, 35_000 * DOLLAR))
    s.until(50)
    mutual = [
        e.trade_id
        for e in s.events
        if isinstance(e, ev.TradeExecuted) and {e.buyer_id, e.seller_id} == {"w1", "w2"}
    ]
    assert len(mutual) == 6
    (found,) = s.suspicions("w1")
    assert found.offence is Offence.WASH_TRADING
    assert found.accomplice_ids == ["w2"]
    assert found.trade_ids == mutual
    assert "ended +0 shares apart" in found.reason
    assert "(allies)" in found.reason
    assert s.suspicions("honest") == []
    assert s.suspicions("w2") == []
    _through_the_courts(s, "w1", Offence.WASH_TRADING, "honest")


def test_pump_and_dump_names_the_buys_before_the_rumor_and_the_sales_after() -> None:
    s = Season({"pump": HFM, "honest": HFM})
    sym, other = s.symbols[0], s.symbols[3]
    for _ in range(5):
        s.run(
            s.order(cmd.Buy, "pump", sym, 30_000 * DOLLAR),
            s.order(cmd.Buy, "honest", other, 30_000 * DOLLAR),
        )
    s.run(cmd.Rumor(command_id="r1", agent_id="pump", symbol=sym, content="to the moon!"))
    s.run()
    for _ in range(5):
        s.run(
            s.order(cmd.Sell, "pump", sym, 30_000 * DOLLAR),
            s.order(cmd.Sell, "honest", other, 30_000 * DOLLAR),
        )
    s.until(40)
    (found,) = s.suspicions("pump")
    assert found.offence is Offence.PUMP_AND_DUMP
    trades = s.trades_of("pump", sym)
    assert set(found.trade_ids) <= set(trades)
    assert found.trade_ids[0] == trades[0]  # from the first buy
    assert max(found.trade_ids) > max(e.trade_id for e in _before_rumor(s))
    assert s.suspicions("honest") == []
    _through_the_courts(s, "pump", Offence.PUMP_AND_DUMP, "honest")


def _before_rumor(s: Season) -> list[ev.TradeExecuted]:
    rumor = next(e for e in s.events if isinstance(e, ev.RumorPublished))
    return [e for e in s.events if isinstance(e, ev.TradeExecuted) and e.tick <= rumor.tick]


def test_insider_trading_by_a_ceo_and_by_the_agent_it_messaged() -> None:
    for seed in range(1, 40):  # a season whose CEO's company reports a good surprise on day 1
        s = Season({"ceo": Role.CEO, "friend": HFM, "honest": HFM}, seed=seed)
        sym = s.world.ceo_of["ceo"]
        if (known_surprise(s.world, sym, 66) or 0) >= 200:
            break
    s.until(20)
    for _ in range(10):  # the honest agent buys the same company first, knowing nothing
        s.run(s.order(cmd.Buy, "honest", sym, 30_000 * DOLLAR))
    s.run(cmd.SendMessage(command_id="m1", agent_id="ceo", target_agent_id="friend", content="buy"))
    for _ in range(10):
        s.run(s.order(cmd.Buy, "ceo", sym, 30_000 * DOLLAR))
    for _ in range(10):
        s.run(s.order(cmd.Buy, "friend", sym, 30_000 * DOLLAR))
    s.until(70)  # day 1 opens at tick 66 with the report
    report = next(e for e in s.events if isinstance(e, ev.EarningsReported) and e.symbol == sym)
    assert report.surprise_bps >= 100
    (ceo,) = s.suspicions("ceo")
    assert ceo.offence is Offence.INSIDER_TRADING
    assert ceo.tick == report.tick
    assert ceo.trade_ids == s.trades_of("ceo", sym)
    (friend,) = s.suspicions("friend")
    assert friend.accomplice_ids == ["ceo"]
    assert friend.trade_ids == s.trades_of("friend", sym)
    assert "messaged by CEO ceo" in friend.reason
    assert s.suspicions("honest") == []
    _through_the_courts(s, "ceo", Offence.INSIDER_TRADING, "honest")


DEEP = CONFIG.model_copy(
    update={"population": PopulationConfig(market_makers=2, noise_traders=24, crooks=NO_CROOKS)}
)


def test_marking_the_close_names_the_last_minutes_aggressive_buys() -> None:
    s = Season({"marker": HFM, "honest": HFM}, config=DEEP)  # noise traders: a deeper book
    sym = s.symbols[2]
    s.until(21)
    for _ in range(10):  # the honest agent buys as much, mid-morning
        s.run(s.order(cmd.Buy, "honest", sym, 30_000 * DOLLAR))
    s.until(51)  # minute 50: the last ten minutes of a 60-minute day
    for _ in range(10):
        s.run(s.order(cmd.Buy, "marker", sym, 30_000 * DOLLAR))
    assert s.tick == 60  # the closing tick
    (found,) = s.suspicions("marker")
    assert found.offence is Offence.MARKING_THE_CLOSE
    assert found.tick == 60
    assert found.trade_ids == s.trades_of("marker", sym)
    assert s.suspicions("honest") == []
    _through_the_courts(s, "marker", Offence.MARKING_THE_CLOSE, "honest")


LONG = SeasonConfig(
    symbols=4,
    open_ticks_per_day=60,
    after_hours_ticks=5,
    population=PopulationConfig(
        market_makers=2, noise_traders=6, momentum_traders=2, value_traders=2, crooks=CrookConfig()
    ),
)


def test_no_suspicion_under_rules_version_1() -> None:
    events = simulate(3, 200, LONG, rules_version=1)
    assert not any(isinstance(e, ev.SuspicionRaised) for e in events)


def _size(sec: Surveillance) -> int:
    return len(json.dumps(windows.dump(sec)))


def test_windows_stay_bounded_over_a_long_season() -> None:
    world = World()
    step(world, [start_command(5, LONG)], context_for(world, 0))
    sizes: list[int] = []
    raised = 0
    for tick in range(1, 65 * 40 + 1):
        events = step(world, [], context_for(world, tick))
        raised += sum(isinstance(e, ev.SuspicionRaised) for e in events)
        sec = world.sec
        assert sec is not None
        assert not (sec.tick_pairs)
        assert not (sec.tick_sellers)
        assert not (sec.tick_reports)
        assert not (sec.tick_cancels)
        assert all(len(w) <= windows.TRADE_MEMORY for w in sec.trades.values())
        assert len(sec.trades) <= len(world.accounts)
        assert len(sec.closing) <= windows.CLOSE_MEMORY
        assert len(sec.watched) <= windows.WATCH_MEMORY
        assert len(sec.rumors) <= windows.RUMOR_MEMORY
        if tick % 65 == 30:  # mid-session, every day
            sizes.append(_size(sec))
    assert raised > 10  # the crooks kept offending, and kept being seen
    early, late = max(sizes[2:10]), max(sizes[30:])
    assert late <= early * 5 // 4, (early, late)


def test_a_restored_snapshot_surveils_exactly_as_the_original() -> None:
    world = World()
    step(world, [start_command(9, LONG)], context_for(world, 0))
    for tick in range(1, 101):  # mid-session of day 1, windows full
        step(world, [], context_for(world, tick))
    image = json.loads(json.dumps(snapshot(world)))
    assert image["sec"]["trades"]
    assert image["sec"]["raised"]
    twin = restore(image)
    assert twin.sec is not None
    assert windows.dump(twin.sec) == image["sec"]
    ours: list[str] = []
    theirs: list[str] = []
    for tick in range(101, 400):
        ours += [e.model_dump_json() for e in step(world, [], context_for(world, tick))]
        theirs += [e.model_dump_json() for e in step(twin, [], context_for(twin, tick))]
    assert ours == theirs
    assert any('"SuspicionRaised"' in e for e in ours)


def test_seeded_crooks_are_ground_truth_in_the_genesis_only() -> None:
    """Rules v2 hides one crook of each kind (two for the pair and the ring) among the
    built-ins; the genesis records who they are, their public profile shows a cover."""
    genesis = simulate(1, 0)[0]
    assert isinstance(genesis, ev.SeasonStarted)
    assert genesis.rules_version == 2
    crooks = {a.agent_id: a.strategy for a in genesis.builtin_agents if a.strategy in OFFENCE_OF}
    assert sorted(OFFENCE_OF[s] for s in crooks.values()) == sorted(
        [*OFFENCE_OF.values(), Offence.WASH_TRADING, Offence.PUMP_AND_DUMP]
    )
    honest = {a.strategy for a in genesis.builtin_agents if a.strategy not in OFFENCE_OF}
    for agent_id, strategy in crooks.items():
        shown = public_strategy(strategy)
        assert shown != strategy
        assert Strategy(shown) in honest
        assert agent_id.split("-")[0] == TRADERS[Strategy(shown)].id_prefix or shown == "value"
    v1 = simulate(1, 0, rules_version=1)[0]
    assert isinstance(v1, ev.SeasonStarted)
    assert not any(a.strategy in OFFENCE_OF for a in v1.builtin_agents)
