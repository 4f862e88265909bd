"""Properties of ``step`` under random command streams, checked after every tick.

Several external agents send random BUY/SELL/SHORT/COVER (MARKET, LIMIT, STOP), cancels,
social actions, operator commands and malformed input, on top of the built-in population.
After each step:

* no book is crossed;
* every trade hits the best-priced, earliest live order on the other side (strong
  price-time priority, checked by folding the events one at a time), at the maker's price,
  within the taker's limit, never against the taker's own order;
* cash (accounts + house) and shares (per symbol) are conserved;
* open orders, book levels, reservations and held shares/shorts are consistent (every open
  LIMIT or pending STOP BUY/SHORT holds remaining x price), and no remaining quantity is
  negative;
* every input command has exactly one outcome event carrying its command id;
* folding ``evolve`` over the events from a restored snapshot reproduces both the
  ``TickClosed.state_hash`` (all events but ``TickClosed``) and the stepped world's hash;
* a snapshot round-trip preserves the hash, and stepping a restored copy gives the
  same events as stepping the original.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import clock, context_for, evolve, restore, snapshot, state_hash, step
from domain.context import TickContext
from domain.orderbook import BUY
from domain.rng import generator
from domain.rules.leverage import OPENING, buying_power
from domain.state import MESSAGE_WINDOW, RUMOR_WINDOW, Account, World, alliance_key
from schemas import commands as cmd
from schemas import events as ev
from schemas.config import PopulationConfig, SeasonConfig
from schemas.enums import CancelReason, OrderType, Regime, Role, Side

POPULATION = PopulationConfig(market_makers=1, noise_traders=2, momentum_traders=0, value_traders=0)
EXTERNAL = {"e1": Role.RETAIL_TRADER, "e2": Role.HEDGE_FUND_MANAGER, "e3": Role.QUANT}
SENDERS = [*EXTERNAL, "noise-1", "ghost"]
KEY = "0" * 64
OUTCOMES = (
    ev.OrderAccepted,
    ev.OrderRejected,
    ev.CommandRejected,
    ev.AgentRegistered,
    ev.SocialActionRecorded,
    ev.MessageDelivered,
    ev.AllianceProposed,
    ev.AllianceFormed,
    ev.AllianceDeclined,
    ev.AllianceDissolved,
    ev.RumorPublished,
    ev.OrderCancelled,
    ev.RegimeChanged,
    ev.SeasonStarted,
    ev.SeasonEnded,
)
ORDER_KINDS: dict[str, type[cmd.Buy | cmd.Sell | cmd.Short | cmd.Cover]] = {
    "BUY": cmd.Buy,
    "SELL": cmd.Sell,
    "SHORT": cmd.Short,
    "COVER": cmd.Cover,
}
SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def copy_of(world: World) -> World:
    """An independent copy, through the snapshot's JSON form (as a stored snapshot is)."""
    return restore(json.loads(json.dumps(snapshot(world))))


def genesis(seed: int, config: SeasonConfig, rules_version: int = 1) -> World:
    world = World()
    start = cmd.StartSeason(
        command_id="start",
        agent_id="operator",
        seed=seed,
        config=config,
        rules_version=rules_version,
    )
    step(world, [start], TickContext(0, clock.SEASON_START, generator(seed, 0, "tick")))
    registrations = [
        cmd.RegisterAgent(command_id=f"reg-{a}", agent_id=a, name=a, role=r, api_key_hash=KEY)
        for a, r in EXTERNAL.items()
    ]
    step(world, registrations, context_for(world, 1))
    return world


def totals(world: World) -> tuple[int, dict[str, int]]:
    cash = sum(a.cash for a in world.accounts.values()) + sum(world.house.values())
    shares = dict.fromkeys(world.companies, 0)
    for account in world.accounts.values():
        for symbol, quantity in account.positions.items():
            shares[symbol] += quantity
    return cash, shares


# --- drawing commands -------------------------------------------------------------------


class Ids:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"p{self.n}"


def draw_order(data: st.DataObject, world: World, ids: Ids, agent: str) -> cmd.CommandBase:
    symbol = data.draw(st.sampled_from([*world.companies, "NOPE"]))
    last = world.companies[symbol].last_price if symbol in world.companies else 10_000
    kind = data.draw(st.sampled_from(sorted(ORDER_KINDS)))
    order_type = data.draw(st.sampled_from(list(OrderType)))
    quantity = data.draw(st.one_of(st.integers(1, 300), st.integers(1, 1_000_000)))
    price = None
    if order_type is not OrderType.MARKET:
        bps = data.draw(st.integers(-1_050, 1_050))
        price = max(1, last + last * bps // 10_000)
    return ORDER_KINDS[kind](
        command_id=ids(),
        agent_id=agent,
        symbol=symbol,
        order_type=order_type,
        quantity=quantity,
        price=price,
    )


def draw_cancel(data: st.DataObject, world: World, ids: Ids, agent: str) -> cmd.CommandBase:
    account = world.accounts.get(agent)
    own = list(account.open_orders) if account else []
    anyone = list(world.orders)
    choices = st.one_of(
        st.sampled_from(own) if own else st.nothing(),
        st.sampled_from(anyone) if anyone else st.nothing(),
        st.integers(1, world.next_order_id + 5),
    )
    return cmd.CancelOrder(command_id=ids(), agent_id=agent, order_id=data.draw(choices))


def draw_other(data: st.DataObject, world: World, ids: Ids, agent: str) -> cmd.CommandBase:
    target = data.draw(st.sampled_from(SENDERS))
    symbol = data.draw(st.sampled_from([*world.companies, "NOPE"]))
    cid = ids()
    choice = data.draw(st.integers(0, 9))
    text = data.draw(st.sampled_from(["soon", "APEX will soar", "fraud, sell", "not a crash"]))
    made: list[cmd.CommandBase] = [
        cmd.Rumor(command_id=cid, agent_id=agent, symbol=symbol, content=text),
        cmd.Ally(command_id=cid, agent_id=agent, target_agent_id=target, proposal="deal"),
        cmd.SendMessage(command_id=cid, agent_id=agent, target_agent_id=target, content="hi"),
        cmd.Bribe(
            command_id=cid,
            agent_id=agent,
            target_agent_id=target,
            amount=data.draw(st.integers(1, 10**11)),
        ),
        cmd.Whistleblow(command_id=cid, agent_id=agent, target_agent_id=target, evidence="x"),
        cmd.Flee(command_id=cid, agent_id=agent, destination="Nowhere"),
        cmd.SetRegime(
            command_id=cid,
            agent_id=data.draw(st.sampled_from(["operator", agent])),
            regime=data.draw(st.sampled_from(list(Regime))),
        ),
        cmd.RegisterAgent(
            command_id=cid, agent_id=agent, name=f"n-{cid}", role=Role.QUANT, api_key_hash=KEY
        ),
        cmd.DeclineAlliance(command_id=cid, agent_id=agent, target_agent_id=target),
        cmd.DissolveAlliance(command_id=cid, agent_id=agent, target_agent_id=target),
    ]
    return made[choice]


def draw_push(data: st.DataObject, world: World, ids: Ids) -> list[cmd.CommandBase]:
    """e2 offers and e3 lifts (or the reverse) at up to 9% from the last price: a trade
    there moves the price, so margin calls, liquidations and stops get their turn."""
    symbol = data.draw(st.sampled_from(list(world.companies)))
    last = world.companies[symbol].last_price
    price = max(1, last + last * data.draw(st.integers(-900, 900)) // 10_000)
    quantity = data.draw(st.integers(1, 50))
    seller, buyer = data.draw(st.sampled_from([("e2", "e3"), ("e3", "e2")]))
    return [
        cmd.Short(command_id=ids(), agent_id=seller, symbol=symbol, quantity=quantity, price=price),
        cmd.Buy(command_id=ids(), agent_id=buyer, symbol=symbol, quantity=quantity, price=price),
    ]


def draw_all_in(data: st.DataObject, world: World, ids: Ids) -> cmd.CommandBase:
    """e1 (retail, 2x leverage) shorts or buys with nearly all its buying power."""
    symbol = data.draw(st.sampled_from(list(world.companies)))
    last = world.companies[symbol].last_price
    account = world.accounts["e1"]
    power = max(0, buying_power(world, account))
    quantity = min(1_000_000, max(1, power * data.draw(st.integers(50, 99)) // 100 // last))
    kind = data.draw(st.sampled_from([cmd.Short, cmd.Buy]))
    return kind(command_id=ids(), agent_id="e1", symbol=symbol, quantity=quantity, price=last)


def draw_commands(data: st.DataObject, world: World, ids: Ids) -> list[cmd.CommandBase]:
    out: list[cmd.CommandBase] = []
    for _ in range(data.draw(st.integers(0, 6))):
        agent = data.draw(st.sampled_from(SENDERS))
        what = data.draw(
            st.sampled_from(
                ["order"] * 6 + ["cancel"] * 2 + ["other"] * 2 + ["push", "push", "all_in"]
            )
        )
        if what == "push":
            out += draw_push(data, world, ids)
        elif what == "all_in":
            out.append(draw_all_in(data, world, ids))
        elif what == "order":
            out.append(draw_order(data, world, ids, agent))
        elif what == "cancel":
            out.append(draw_cancel(data, world, ids, agent))
        else:
            out.append(draw_other(data, world, ids, agent))
    return out


# --- the checks -------------------------------------------------------------------------


def check_trade_priority(world: World, trade: ev.TradeExecuted) -> None:
    """Before ``trade`` is applied to ``world``: it hits the head of the other side."""
    assert trade.buyer_id != trade.seller_id
    assert trade.quantity > 0
    book = world.books[trade.symbol]
    if trade.aggressor is Side.BUY:
        taker, maker = world.orders[trade.buy_order_id], world.orders[trade.sell_order_id]
    else:
        taker, maker = world.orders[trade.sell_order_id], world.orders[trade.buy_order_id]
    assert maker.order_type == OrderType.LIMIT
    assert maker.order_id in book.orders
    head = next(book.plan(taker.side, None), None)
    assert head is maker, (head, maker)  # best price, then earliest, among live orders
    assert trade.price == maker.price
    assert trade.quantity <= min(maker.remaining, taker.remaining)
    if taker.order_type == OrderType.LIMIT:
        assert trade.price <= taker.price if taker.side == BUY else trade.price >= taker.price


def fold(before: World, events: list[ev.EventBase]) -> World:
    """Apply the events one by one to a copy, checking each trade against the book."""
    world = copy_of(before)
    for event in events:
        if isinstance(event, ev.TradeExecuted):
            check_trade_priority(world, event)
        evolve(world, event)
    return world


def check_books_and_accounts(world: World) -> None:
    for symbol, book in world.books.items():
        assert not book.is_crossed(), symbol
        for side in (book.bids, book.asks):
            for price, level in side.iter_levels():
                live = [o for o in level.orders if o.live]
                assert level.live == len(live) > 0
                assert level.quantity == sum(o.remaining for o in live)
                assert all(o.price == price and o.symbol == symbol for o in live)
    for order in world.orders.values():
        assert 0 < order.remaining <= order.quantity
        # an open LIMIT or pending STOP BUY/SHORT holds its remaining quantity x price
        opening = order.intent in OPENING
        assert order.reserved == (order.remaining * order.price if opening else 0)
        assert order.order_id in world.accounts[order.agent_id].open_orders
        if order.order_type == OrderType.LIMIT:
            assert order.order_id in world.books[order.symbol].orders
        else:
            assert order.order_type == OrderType.STOP  # MARKET orders never outlive a step
            assert order.order_id in world.stops[order.symbol]
    for account in world.accounts.values():
        check_account(world, account)


def check_account(world: World, account: Account) -> None:
    mine = [world.orders[i] for i in account.open_orders]
    assert all(o.agent_id == account.agent_id for o in mine)
    assert account.reserved == sum(o.reserved for o in mine) >= 0
    selling: Counter[str] = Counter()
    covering: Counter[str] = Counter()
    for o in mine:
        if o.intent == "SELL":
            selling[o.symbol] += o.remaining
        elif o.intent == "COVER":
            covering[o.symbol] += o.remaining
    assert account.selling == dict(selling)
    assert account.covering == dict(covering)
    assert 0 not in account.positions.values()


def check_social(world: World) -> None:
    """Rules version 2's social state: bounded windows, sane alliances, reputation 0..100."""
    assert len(world.messages) <= MESSAGE_WINDOW
    assert len(world.rumors) <= RUMOR_WINDOW
    for a, b in world.alliances:
        assert a < b
        assert a in world.accounts
        assert b in world.accounts
    for proposer, target in world.proposals:
        assert proposer != target
        assert alliance_key(proposer, target) not in world.alliances
    assert all(0 <= a.reputation <= 100 for a in world.accounts.values())


def check_outcomes(commands: list[cmd.CommandBase], events: list[ev.EventBase]) -> None:
    carried = Counter(getattr(e, "command_id", None) for e in events)
    for c in commands:
        assert carried[c.command_id] == 1, (c, events)
        (outcome,) = [e for e in events if getattr(e, "command_id", None) == c.command_id]
        assert isinstance(outcome, OUTCOMES), outcome
        if isinstance(outcome, ev.OrderCancelled):
            assert isinstance(c, cmd.CancelOrder)
            assert outcome.reason is CancelReason.BY_AGENT


def check_builtin_outcomes(events: list[ev.EventBase], tick: int) -> None:
    """Built-in commands are numbered bi.<tick>.1, 2, ... in decision order: each number
    must carry exactly one outcome, none skipped."""
    prefix = f"bi.{tick}."
    numbers = sorted(
        int(command_id[len(prefix) :])
        for command_id in (getattr(e, "command_id", None) for e in events)
        if isinstance(command_id, str) and command_id.startswith(prefix)
    )
    assert numbers == list(range(1, len(numbers) + 1))


def check_events(events: list[ev.EventBase], tick: int) -> None:
    assert all(e.tick == tick for e in events)
    closed = events[-1]
    assert isinstance(closed, ev.TickClosed)
    assert closed.events == len(events)
    assert not any(isinstance(e, ev.TickClosed) for e in events[:-1])
    for e in events:
        if isinstance(e, ev.OrderCancelled | ev.OrderExpired | ev.PositionLiquidated):
            assert e.remaining >= 0
        if isinstance(e, ev.OrderAccepted):
            assert e.quantity > 0
            assert e.reserved >= 0


class Ledger:
    """What must be conserved: total cash (accounts + house) and shares per symbol."""

    def __init__(self, world: World) -> None:
        self.cash, self.shares = totals(world)

    def check(self, world: World, events: list[ev.EventBase]) -> None:
        self.cash += sum(e.cash for e in events if isinstance(e, ev.AgentRegistered))
        assert totals(world) == (self.cash, self.shares)


def checked_step(
    world: World, commands: list[cmd.CommandBase], tick: int, ledger: Ledger
) -> list[ev.EventBase]:
    """``step`` the world, then check every property of the tick."""
    before = copy_of(world)
    twin = copy_of(world)
    events = step(world, commands, context_for(world, tick))

    check_events(events, tick)
    check_outcomes(commands, events)
    check_builtin_outcomes(events, tick)
    check_books_and_accounts(world)
    check_social(world)
    ledger.check(world, events)

    # the state is the fold of the log, and TickClosed hashes the state before itself
    folded = fold(before, events[:-1])
    closed = events[-1]
    assert isinstance(closed, ev.TickClosed)
    assert state_hash(folded) == closed.state_hash
    evolve(folded, closed)
    assert state_hash(folded) == state_hash(world)

    # a restored snapshot is the same world: same hash, and the same tick from it
    assert state_hash(copy_of(world)) == state_hash(world)
    twin_events = step(twin, commands, context_for(twin, tick))
    assert [e.model_dump_json() for e in twin_events] == [e.model_dump_json() for e in events]
    return events


@SETTINGS
@given(
    seed=st.integers(0, 2**32),
    open_ticks=st.sampled_from([4, 390]),
    ticks=st.integers(1, 10),
    stop_at_end=st.booleans(),
    rules_version=st.sampled_from([1, 2]),
    data=st.data(),
)
def test_random_command_streams_keep_the_invariants(
    *,
    seed: int,
    open_ticks: int,
    ticks: int,
    stop_at_end: bool,
    rules_version: int,
    data: st.DataObject,
) -> None:
    """Under both rules versions: v2 mixes messages, alliances and rumors (which move the
    built-in traders' valuation) into the stream; money and shares stay conserved."""
    config = SeasonConfig(
        symbols=3, population=POPULATION, open_ticks_per_day=open_ticks, after_hours_ticks=1
    )
    world = genesis(seed, config, rules_version)
    ledger = Ledger(world)
    ids = Ids()
    for tick in range(2, ticks + 2):
        commands = draw_commands(data, world, ids)
        if stop_at_end and tick == ticks + 1:
            commands.append(cmd.StopSeason(command_id=ids(), agent_id="operator"))
        checked_step(world, commands, tick, ledger)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    grace=st.integers(0, 3),
    share=st.integers(80, 99),
    maintenance=st.sampled_from([2_500, 5_000, 8_000]),
    moves=st.lists(
        st.tuples(st.integers(-450, 450), st.integers(100, 450)), min_size=6, max_size=14
    ),
    liquidity=st.lists(st.sampled_from([0, 0, 0, 20, 400]), min_size=14, max_size=14),
    stop_offsets=st.lists(st.integers(1, 400), max_size=3),
)
def test_margin_calls_liquidations_and_bankruptcies_keep_the_invariants(
    *,
    seed: int,
    grace: int,
    share: int,
    maintenance: int,
    moves: list[tuple[int, int]],
    liquidity: list[int],
    stop_offsets: list[int],
) -> None:
    """e1 goes nearly all in short, then the price is walked mostly up: margin calls,
    liquidations (into e2's offers, when there are any) and bankruptcies, all checked."""
    thin = PopulationConfig(market_makers=0, noise_traders=2, momentum_traders=0, value_traders=0)
    config = SeasonConfig(
        symbols=3, population=thin, margin_grace_ticks=grace, maintenance_margin_bps=maintenance
    )
    world = genesis(seed, config)
    ledger = Ledger(world)
    ids = Ids()
    symbol = next(iter(world.companies))
    last = world.companies[symbol].last_price
    quantity = buying_power(world, world.accounts["e1"]) * share // 100 // last
    opening: list[cmd.CommandBase] = [
        cmd.Buy(command_id=ids(), agent_id="e3", symbol=symbol, quantity=quantity, price=last),
        cmd.Short(command_id=ids(), agent_id="e1", symbol=symbol, quantity=quantity, price=last),
    ]
    opening += [  # buy stops above the market, for forced covers to run into
        cmd.Buy(
            command_id=ids(),
            agent_id="e3",
            symbol=symbol,
            order_type=OrderType.STOP,
            quantity=5,
            price=last + last * offset // 10_000,
        )
        for offset in stop_offsets
    ]
    checked_step(world, opening, 2, ledger)
    for tick, (steps, offered) in enumerate(zip(moves, liquidity, strict=False), start=3):
        commands: list[cmd.CommandBase] = []
        price = world.companies[symbol].last_price
        for bps in steps:
            price = max(1, price + price * bps // 10_000)
            commands += [
                cmd.Short(command_id=ids(), agent_id="e2", symbol=symbol, quantity=1, price=price),
                cmd.Buy(command_id=ids(), agent_id="e3", symbol=symbol, quantity=1, price=price),
            ]
        if offered:
            commands.append(
                cmd.Short(
                    command_id=ids(), agent_id="e2", symbol=symbol, quantity=offered, price=price
                )
            )
        checked_step(world, commands, tick, ledger)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32), ticks=st.integers(1, 40))
def test_population_alone_conserves_and_folds(seed: int, ticks: int) -> None:
    """The built-in traders alone, for longer runs across the close."""
    config = SeasonConfig(
        symbols=3, population=POPULATION, open_ticks_per_day=15, after_hours_ticks=2
    )
    world = genesis(seed, config)
    cash, shares = totals(world)
    start = copy_of(world)
    log: list[ev.EventBase] = []
    for tick in range(2, ticks + 2):
        events = step(world, [], context_for(world, tick))
        check_events(events, tick)
        check_builtin_outcomes(events, tick)
        check_books_and_accounts(world)
        assert totals(world) == (cash, shares)
        log += events
    assert state_hash(fold(start, log)) == state_hash(world)


# --- snapshots --------------------------------------------------------------------------


def test_snapshot_round_trip_preserves_the_hash() -> None:
    world = genesis(11, SeasonConfig(symbols=3, population=POPULATION))
    for tick in range(2, 30):
        step(world, [], context_for(world, tick))
    image: dict[str, Any] = snapshot(world)
    assert state_hash(restore(image)) == state_hash(world)
    assert state_hash(copy_of(world)) == state_hash(world)
    assert state_hash(restore(json.loads(json.dumps(image)))) == state_hash(world)


def test_snapshot_is_not_changed_by_later_steps() -> None:
    """A snapshot is an image of the world at the time it was taken: stepping the world
    afterwards must not change it (the replayer and engine keep snapshots in memory)."""
    world = genesis(11, SeasonConfig(symbols=3, population=POPULATION))
    for tick in range(2, 10):
        step(world, [], context_for(world, tick))
    frozen = json.dumps(snapshot(world))
    image = snapshot(world)
    for tick in range(10, 40):
        step(world, [], context_for(world, tick))
    assert json.dumps(image) == frozen


def test_restored_world_shares_no_state_with_the_original() -> None:
    world = genesis(11, SeasonConfig(symbols=3, population=POPULATION))
    for tick in range(2, 10):
        step(world, [], context_for(world, tick))
    copy = restore(snapshot(world))
    expected = state_hash(copy)
    for tick in range(10, 40):
        step(world, [], context_for(world, tick))
    assert state_hash(copy) == expected
