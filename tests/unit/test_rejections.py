"""Every refusal the domain can produce: exactly one outcome event, the right reason, no raise.

Each test sends one bad command in an otherwise ordinary tick and checks that the events
carrying that command id are exactly one ``OrderRejected`` (orders and cancels) or
``CommandRejected`` (everything else) with the expected machine-readable reason.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from domain import World, clock, context_for, evolve, step
from domain.context import TickContext
from domain.rng import generator
from domain.rules.leverage import buying_power
from schemas import commands as cmd
from schemas import events as ev
from schemas.config import NO_CROOKS, PopulationConfig, SeasonConfig
from schemas.enums import AgentStatus, OrderType, Regime, RejectReason, Role

NOBODY = PopulationConfig(
    market_makers=0, noise_traders=0, momentum_traders=0, value_traders=0, crooks=NO_CROOKS
)
CONFIG = SeasonConfig(symbols=2, population=NOBODY, open_ticks_per_day=10, after_hours_ticks=2)
AGENTS = {"r": Role.RETAIL_TRADER, "h1": Role.HEDGE_FUND_MANAGER, "h2": Role.HEDGE_FUND_MANAGER}
KEY = "0" * 64
_ids = itertools.count(1)


def cid() -> str:
    return f"x{next(_ids)}"


class Market:
    """A quiet season stepped by hand, with three registered agents."""

    def __init__(self) -> None:
        self.world = World()
        start = cmd.StartSeason(command_id="start", agent_id="operator", seed=5, config=CONFIG)
        step(self.world, [start], TickContext(0, clock.SEASON_START, generator(5, 0, "tick")))
        self.tick = 0
        self.symbol = next(iter(self.world.companies))
        self.run(
            *(
                cmd.RegisterAgent(
                    command_id=f"reg-{n}", agent_id=n, name=n, role=role, api_key_hash=KEY
                )
                for n, role in AGENTS.items()
            )
        )

    def run(self, *commands: cmd.CommandBase | cmd.Malformed) -> list[ev.EventBase]:
        self.tick += 1
        return step(self.world, list(commands), context_for(self.world, self.tick))

    @property
    def last(self) -> int:
        return self.world.companies[self.symbol].last_price

    def order(
        self,
        kind: type[cmd.Buy | cmd.Sell | cmd.Short | cmd.Cover],
        agent: str,
        quantity: int,
        price: int | None = None,
        order_type: OrderType | None = None,
    ) -> cmd.OrderCommand:
        if order_type is None:
            order_type = OrderType.MARKET if price is None else OrderType.LIMIT
        return kind(
            command_id=cid(),
            agent_id=agent,
            symbol=self.symbol,
            order_type=order_type,
            quantity=quantity,
            price=price,
        )

    def trade(self, buyer: str, seller: str, quantity: int) -> None:
        """``seller`` shorts (or sells) to ``buyer`` at the last price."""
        p = self.last
        sold = self.world.accounts[seller].positions.get(self.symbol, 0)
        bought = self.world.accounts[buyer].positions.get(self.symbol, 0)
        sell_kind = cmd.Sell if sold > 0 else cmd.Short
        buy_kind = cmd.Cover if bought < 0 else cmd.Buy
        events = self.run(
            self.order(sell_kind, seller, quantity, p), self.order(buy_kind, buyer, quantity, p)
        )
        assert sum(t.quantity for t in events if isinstance(t, ev.TradeExecuted)) == quantity


def outcomes(events: list[ev.EventBase], command_id: str) -> list[ev.EventBase]:
    return [e for e in events if getattr(e, "command_id", None) == command_id]


def assert_refused(
    events: list[ev.EventBase],
    command: cmd.CommandBase | cmd.Malformed,
    reason: RejectReason,
    kind: type[ev.OrderRejected | ev.CommandRejected] | None = None,
) -> None:
    if kind is None:
        order_like = (cmd.Buy, cmd.Sell, cmd.Short, cmd.Cover, cmd.CancelOrder)
        kind = ev.OrderRejected if isinstance(command, order_like) else ev.CommandRejected
    found = outcomes(events, command.command_id)
    assert len(found) == 1, found
    (outcome,) = found
    assert isinstance(outcome, kind), outcome
    assert outcome.reason is reason, outcome
    assert outcome.agent_id == command.agent_id
    assert outcome.command_type == command.type


def construct(kind: type[cmd.OrderCommand], **fields: Any) -> cmd.OrderCommand:
    """An order command that bypasses pydantic's bounds, as a buggy gateway might send."""
    base: dict[str, Any] = {"command_id": cid(), "agent_id": "h1", "order_type": OrderType.LIMIT}
    return kind.model_construct(**(base | fields))


@pytest.fixture
def m() -> Market:
    return Market()


# --- orders -----------------------------------------------------------------------------


def test_unknown_symbol(m: Market) -> None:
    c = cmd.Buy(command_id=cid(), agent_id="h1", symbol="NOPE", quantity=1, price=100)
    assert_refused(m.run(c), c, RejectReason.UNKNOWN_SYMBOL)


@pytest.mark.parametrize("quantity", [0, -5, 1_000_001])
def test_bad_quantity(m: Market, quantity: int) -> None:
    c = construct(cmd.Buy, symbol=m.symbol, quantity=quantity, price=m.last)
    assert_refused(m.run(c), c, RejectReason.BAD_QUANTITY)


def test_bad_price_limit_without_price(m: Market) -> None:
    c = construct(cmd.Buy, symbol=m.symbol, quantity=1, price=None)
    assert_refused(m.run(c), c, RejectReason.BAD_PRICE)


@pytest.mark.parametrize("price", [0, -1, 100_000_001])
def test_bad_price_out_of_limits(m: Market, price: int) -> None:
    c = construct(cmd.Short, symbol=m.symbol, quantity=1, price=price)
    assert_refused(m.run(c), c, RejectReason.BAD_PRICE)


def test_bad_price_market_order_with_a_price(m: Market) -> None:
    c = construct(cmd.Buy, symbol=m.symbol, quantity=1, price=m.last, order_type=OrderType.MARKET)
    assert_refused(m.run(c), c, RejectReason.BAD_PRICE)


def test_bad_price_stop_without_price(m: Market) -> None:
    c = construct(cmd.Buy, symbol=m.symbol, quantity=1, price=None, order_type=OrderType.STOP)
    assert_refused(m.run(c), c, RejectReason.BAD_PRICE)


def test_price_out_of_band(m: Market) -> None:
    c = m.order(cmd.Buy, "h1", 1, m.last * 2)
    assert_refused(m.run(c), c, RejectReason.PRICE_OUT_OF_BAND)


def test_market_closed(m: Market) -> None:
    while m.tick < CONFIG.open_ticks_per_day:
        m.run()
    assert not m.world.market_open
    c = m.order(cmd.Buy, "h1", 1, m.last)
    assert_refused(m.run(c), c, RejectReason.MARKET_CLOSED)


def test_insufficient_buying_power(m: Market) -> None:
    quantity = buying_power(m.world, m.world.accounts["r"]) // m.last + 1
    c = m.order(cmd.Buy, "r", quantity, m.last)
    assert_refused(m.run(c), c, RejectReason.INSUFFICIENT_BUYING_POWER)


def test_insufficient_buying_power_for_a_market_order(m: Market) -> None:
    r = m.world.accounts["r"]
    m.trade("r", "h2", buying_power(m.world, r) * 99 // 100 // m.last)  # nearly all in
    lower = m.last * 95 // 100  # then the price falls 5%: no buying power left
    m.run(m.order(cmd.Buy, "h1", 1, lower), m.order(cmd.Short, "h2", 1, lower))
    assert buying_power(m.world, r) <= 0
    m.run(m.order(cmd.Short, "h2", 10, m.last))  # liquidity on the ask
    c = m.order(cmd.Buy, "r", 1)
    assert_refused(m.run(c), c, RejectReason.INSUFFICIENT_BUYING_POWER)


def test_market_order_with_buying_power_for_less_than_one_share_is_refused(m: Market) -> None:
    """Refused up front, not accepted and then cancelled with nothing filled."""
    r, p = m.world.accounts["r"], m.last
    power = buying_power(m.world, r)
    m.run(m.order(cmd.Buy, "r", power * 10_000 // ((p - 1) * 10_002), p - 1))  # holds nearly all
    m.run(m.order(cmd.Short, "h2", 10, p))
    assert 0 < buying_power(m.world, r) < p  # some buying power, not one share's worth
    c = m.order(cmd.Buy, "r", 1)
    events = m.run(c)
    assert_refused(events, c, RejectReason.INSUFFICIENT_BUYING_POWER)
    assert not [e for e in events if isinstance(e, ev.OrderAccepted | ev.TradeExecuted)]


def test_insufficient_shares(m: Market) -> None:
    c = m.order(cmd.Sell, "r", 1, m.last)
    assert_refused(m.run(c), c, RejectReason.INSUFFICIENT_SHARES)


def test_insufficient_short_position(m: Market) -> None:
    c = m.order(cmd.Cover, "r", 1, m.last)
    assert_refused(m.run(c), c, RejectReason.INSUFFICIENT_SHORT)


def test_position_is_short(m: Market) -> None:
    m.trade("h1", "r", 2)
    c = m.order(cmd.Buy, "r", 1, m.last)
    assert_refused(m.run(c), c, RejectReason.POSITION_IS_SHORT)


def test_position_is_long(m: Market) -> None:
    m.trade("r", "h1", 2)
    c = m.order(cmd.Short, "r", 1, m.last)
    assert_refused(m.run(c), c, RejectReason.POSITION_IS_LONG)


def test_no_liquidity(m: Market) -> None:
    buy, short = m.order(cmd.Buy, "h1", 1), m.order(cmd.Short, "h1", 1)
    events = m.run(buy, short)
    assert_refused(events, buy, RejectReason.NO_LIQUIDITY)
    assert_refused(events, short, RejectReason.NO_LIQUIDITY)


def test_unknown_order(m: Market) -> None:
    c = cmd.CancelOrder(command_id=cid(), agent_id="h1", order_id=999_999)
    assert_refused(m.run(c), c, RejectReason.UNKNOWN_ORDER)


def test_not_your_order(m: Market) -> None:
    bid = m.order(cmd.Buy, "h1", 1, m.last - 1)
    (accepted,) = [e for e in m.run(bid) if isinstance(e, ev.OrderAccepted)]
    c = cmd.CancelOrder(command_id=cid(), agent_id="h2", order_id=accepted.order_id)
    assert_refused(m.run(c), c, RejectReason.NOT_YOUR_ORDER)
    assert accepted.order_id in m.world.orders


# --- agents -----------------------------------------------------------------------------


def test_unknown_agent(m: Market) -> None:
    c = m.order(cmd.Buy, "ghost", 1, m.last)
    assert_refused(m.run(c), c, RejectReason.UNKNOWN_AGENT)


@pytest.mark.parametrize("kind", ["order", "cancel", "social"])
def test_agent_not_active(m: Market, kind: str) -> None:
    evolve(
        m.world,
        ev.AgentStatusChanged(tick=m.tick, agent_id="r", status=AgentStatus.FLED, reason="test"),
    )
    c: cmd.CommandBase
    if kind == "order":
        c = m.order(cmd.Buy, "r", 1, m.last)
    elif kind == "cancel":
        c = cmd.CancelOrder(command_id=cid(), agent_id="r", order_id=1)
    else:
        c = cmd.SendMessage(command_id=cid(), agent_id="r", target_agent_id="h1", content="hi")
    assert_refused(m.run(c), c, RejectReason.AGENT_NOT_ACTIVE)


def test_agent_exists(m: Market) -> None:
    c = cmd.RegisterAgent(
        command_id=cid(), agent_id="r", name="someone-new", role=Role.QUANT, api_key_hash=KEY
    )
    assert_refused(m.run(c), c, RejectReason.AGENT_EXISTS)


def test_name_taken(m: Market) -> None:
    c = cmd.RegisterAgent(
        command_id=cid(), agent_id="new", name="r", role=Role.QUANT, api_key_hash=KEY
    )
    assert_refused(m.run(c), c, RejectReason.NAME_TAKEN)
    assert "new" not in m.world.accounts


def test_name_taken_by_a_builtin_agent() -> None:
    world = World()
    config = SeasonConfig(
        symbols=1,
        population=PopulationConfig(
            market_makers=1, noise_traders=0, momentum_traders=0, value_traders=0
        ),
    )
    start = cmd.StartSeason(command_id="start", agent_id="operator", seed=1, config=config)
    step(world, [start], TickContext(0, clock.SEASON_START, generator(1, 0, "tick")))
    c = cmd.RegisterAgent(
        command_id=cid(), agent_id="x", name="mm-1", role=Role.QUANT, api_key_hash=KEY
    )
    assert_refused(step(world, [c], context_for(world, 1)), c, RejectReason.NAME_TAKEN)


def test_register_as_a_house_only_role_is_malformed(m: Market) -> None:
    c = cmd.RegisterAgent(
        command_id=cid(), agent_id="mm", name="mm", role=Role.MARKET_MAKER, api_key_hash=KEY
    )
    assert_refused(m.run(c), c, RejectReason.MALFORMED)


# --- social actions ---------------------------------------------------------------------


def test_unknown_target(m: Market) -> None:
    c = cmd.Ally(command_id=cid(), agent_id="r", target_agent_id="ghost", proposal="team up")
    assert_refused(m.run(c), c, RejectReason.UNKNOWN_TARGET)


def test_self_target(m: Market) -> None:
    c = cmd.SendMessage(command_id=cid(), agent_id="r", target_agent_id="r", content="hi me")
    assert_refused(m.run(c), c, RejectReason.SELF_TARGET)


def test_rumor_about_an_unknown_symbol(m: Market) -> None:
    c = cmd.Rumor(command_id=cid(), agent_id="r", symbol="NOPE", content="it's going up")
    assert_refused(m.run(c), c, RejectReason.UNKNOWN_SYMBOL)


def test_insufficient_cash_for_a_bribe(m: Market) -> None:
    cash = m.world.accounts["r"].cash
    c = cmd.Bribe(command_id=cid(), agent_id="r", target_agent_id="h1", amount=cash + 1)
    assert_refused(m.run(c), c, RejectReason.INSUFFICIENT_CASH)


@pytest.mark.parametrize("amount", [0, -100])
def test_bribe_of_a_non_positive_amount_is_refused(m: Market, amount: int) -> None:
    """The domain re-checks quantities and prices the schema bounds; a bribe's amount is
    bounded the same way (1..MAX_BRIBE_CENTS) and ``bad_amount`` exists for it."""
    c = cmd.Bribe.model_construct(
        command_id=cid(), agent_id="r", target_agent_id="h1", amount=amount
    )
    assert_refused(m.run(c), c, RejectReason.BAD_AMOUNT)


def _valid_social(m: Market) -> list[cmd.CommandBase]:
    return [
        cmd.Rumor(command_id=cid(), agent_id="r", symbol=m.symbol, content="merger soon"),
        cmd.Ally(command_id=cid(), agent_id="r", target_agent_id="h1", proposal="pump it"),
        cmd.SendMessage(command_id=cid(), agent_id="r", target_agent_id="h1", content="hello"),
        cmd.Bribe(command_id=cid(), agent_id="r", target_agent_id="h1", amount=100),
        cmd.Whistleblow(command_id=cid(), agent_id="r", target_agent_id="h2", evidence="ledger"),
        cmd.Flee(command_id=cid(), agent_id="r", destination="Monaco"),
    ]


def test_valid_social_actions_are_recorded_once_each(m: Market) -> None:
    commands = _valid_social(m)
    cash = m.world.accounts["r"].cash
    events = m.run(*commands)
    for c in commands:
        (outcome,) = outcomes(events, c.command_id)
        assert isinstance(outcome, ev.SocialActionRecorded)
        assert outcome.action == c.type
        assert outcome.agent_id == "r"
    assert m.world.accounts["r"].cash == cash  # recorded only, for now


# --- operator and season ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["regime", "stop"])
def test_not_operator(m: Market, kind: str) -> None:
    c: cmd.CommandBase
    if kind == "regime":
        c = cmd.SetRegime(command_id=cid(), agent_id="r", regime=Regime.CRASH)
    else:
        c = cmd.StopSeason(command_id=cid(), agent_id="r")
    assert_refused(m.run(c), c, RejectReason.NOT_OPERATOR)
    assert not m.world.ended


def test_start_season_from_a_non_operator_is_refused() -> None:
    """StopSeason and SetRegime are operator-only; so is StartSeason (it fixes the genesis)."""
    world = World()
    c = cmd.StartSeason(command_id="start", agent_id="mallory", seed=1, config=CONFIG)
    events = step(world, [c], TickContext(0, clock.SEASON_START, generator(1, 0, "tick")))
    assert_refused(events, c, RejectReason.NOT_OPERATOR)
    assert not world.started


def test_operator_commands_get_their_outcome(m: Market) -> None:
    regime = cmd.SetRegime(command_id=cid(), agent_id="operator", regime=Regime.BULL)
    stop = cmd.StopSeason(command_id=cid(), agent_id="operator")
    events = m.run(regime, stop)
    assert [type(e) for e in outcomes(events, regime.command_id)] == [ev.RegimeChanged]
    assert [type(e) for e in outcomes(events, stop.command_id)] == [ev.SeasonEnded]


def test_second_stop_season_in_one_tick_gets_an_outcome(m: Market) -> None:
    first = cmd.StopSeason(command_id=cid(), agent_id="operator")
    second = cmd.StopSeason(command_id=cid(), agent_id="operator")
    events = m.run(first, second)
    assert len(outcomes(events, first.command_id)) == 1
    assert len(outcomes(events, second.command_id)) == 1


def test_season_not_running_before_the_start() -> None:
    world = World()
    c = cmd.Buy(command_id=cid(), agent_id="h1", symbol="ABC", quantity=1, price=100)
    register = cmd.RegisterAgent(
        command_id=cid(), agent_id="a", name="a", role=Role.QUANT, api_key_hash=KEY
    )
    events = step(world, [c, register], TickContext(1, clock.SEASON_START, generator(0, 1, "t")))
    assert_refused(events, c, RejectReason.SEASON_NOT_RUNNING)
    assert_refused(events, register, RejectReason.SEASON_NOT_RUNNING)


def test_season_not_running_after_the_stop(m: Market) -> None:
    m.run(cmd.StopSeason(command_id=cid(), agent_id="operator"))
    commands: list[cmd.CommandBase] = [
        m.order(cmd.Buy, "h1", 1, m.last),
        cmd.SetRegime(command_id=cid(), agent_id="operator", regime=Regime.BULL),
        cmd.StopSeason(command_id=cid(), agent_id="operator"),
        cmd.Flee(command_id=cid(), agent_id="r", destination="Monaco"),
    ]
    events = m.run(*commands)
    for c in commands:
        assert_refused(events, c, RejectReason.SEASON_NOT_RUNNING)


def test_start_season_twice_is_malformed(m: Market) -> None:
    c = cmd.StartSeason(command_id=cid(), agent_id="operator", seed=9, config=CONFIG)
    assert_refused(m.run(c), c, RejectReason.MALFORMED)
    assert m.world.seed == 5


def test_start_season_under_an_unknown_rules_version() -> None:
    world = World()
    c = cmd.StartSeason(command_id=cid(), agent_id="operator", seed=9, rules_version=99)
    assert_refused(step(world, [c], context_for(world, 0)), c, RejectReason.UNKNOWN_RULES_VERSION)
    assert not world.started


def test_malformed_input(m: Market) -> None:
    c = cmd.Malformed(command_id="garbage-1", agent_id="r", error="not json")
    events = m.run(c)
    assert_refused(events, c, RejectReason.MALFORMED)
    (outcome,) = outcomes(events, c.command_id)
    assert isinstance(outcome, ev.CommandRejected)
    assert outcome.detail == "not json"


def test_every_reason_the_domain_produces_is_covered() -> None:
    """A new RejectReason must come with a test here (bad_amount: see the bribe test)."""
    covered = {
        RejectReason.UNKNOWN_RULES_VERSION,
        RejectReason.MALFORMED,
        RejectReason.UNKNOWN_AGENT,
        RejectReason.AGENT_NOT_ACTIVE,
        RejectReason.AGENT_EXISTS,
        RejectReason.NAME_TAKEN,
        RejectReason.UNKNOWN_SYMBOL,
        RejectReason.BAD_QUANTITY,
        RejectReason.BAD_PRICE,
        RejectReason.PRICE_OUT_OF_BAND,
        RejectReason.MARKET_CLOSED,
        RejectReason.SEASON_NOT_RUNNING,
        RejectReason.INSUFFICIENT_BUYING_POWER,
        RejectReason.INSUFFICIENT_SHARES,
        RejectReason.INSUFFICIENT_SHORT,
        RejectReason.INSUFFICIENT_CASH,
        RejectReason.POSITION_IS_SHORT,
        RejectReason.POSITION_IS_LONG,
        RejectReason.NO_LIQUIDITY,
        RejectReason.UNKNOWN_ORDER,
        RejectReason.NOT_YOUR_ORDER,
        RejectReason.UNKNOWN_TARGET,
        RejectReason.SELF_TARGET,
        RejectReason.NOT_OPERATOR,
        RejectReason.BAD_AMOUNT,
    }
    # Rules version 2's social refusals: tests/unit/test_social.py
    covered |= {
        RejectReason.TARGET_NOT_ACTIVE,
        RejectReason.ALREADY_ALLIED,
        RejectReason.ALREADY_PROPOSED,
        RejectReason.TOO_MANY_ALLIES,
        RejectReason.NOT_ALLIED,
        RejectReason.NO_PROPOSAL,
    }
    # The legal system's reasons: tests/unit/test_legal.py (the bad legal commands).
    legal = {
        RejectReason.AGENT_IMPRISONED,
        RejectReason.ASSETS_FROZEN,
        RejectReason.NOT_INVESTIGATOR,
        RejectReason.UNKNOWN_CASE,
        RejectReason.CASE_CLOSED,
        RejectReason.NO_OPEN_CASE,
        RejectReason.EVIDENCE_TOO_WEAK,
        RejectReason.BAD_REFERENCE,
    }
    # PUBLISH_ARTICLE's: tests/unit/test_articles.py
    covered |= {
        RejectReason.NOT_NEWSROOM,
        RejectReason.UNKNOWN_STORY,
        RejectReason.ALREADY_REWRITTEN,
        RejectReason.ARTICLE_INVALID,
    }
    # CONFIGURE_SEASON's: tests/unit/test_configuration.py
    covered.add(RejectReason.FIXED_AT_GENESIS)
    assert covered | legal == set(RejectReason)
