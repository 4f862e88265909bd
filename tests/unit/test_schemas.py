"""Schemas: commands enforce their limits; every event survives a JSON round trip."""

from __future__ import annotations

import typing
from typing import Any

import pytest
from pydantic import ValidationError

from domain.simulate import simulate
from schemas import commands as cmd
from schemas import events as ev
from schemas import limits
from schemas.config import PopulationConfig, SeasonConfig
from schemas.enums import (
    AgentStatus,
    CancelReason,
    Intent,
    NewsCategory,
    Offence,
    OrderType,
    Regime,
    RejectReason,
    Role,
    Sector,
    Side,
    Verdict,
)

ORDER = {"command_id": "c1", "agent_id": "a1", "symbol": "APEX"}
KEY = "0" * 64


def union_members(annotated: Any) -> set[type]:
    (union, *_) = typing.get_args(annotated)
    return set(typing.get_args(union))


# --- commands ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [cmd.Buy, cmd.Sell, cmd.Short, cmd.Cover])
@pytest.mark.parametrize("quantity", [0, -1, limits.MAX_QUANTITY + 1])
def test_order_quantity_out_of_limits_is_rejected(
    kind: type[cmd.OrderCommand], quantity: int
) -> None:
    with pytest.raises(ValidationError):
        kind(**ORDER, quantity=quantity, price=100)


@pytest.mark.parametrize("quantity", [limits.MIN_QUANTITY, limits.MAX_QUANTITY])
def test_order_quantity_at_the_limits_is_accepted(quantity: int) -> None:
    assert cmd.Buy(**ORDER, quantity=quantity, price=100).quantity == quantity


def test_limit_order_without_price_is_rejected() -> None:
    with pytest.raises(ValidationError, match="needs a price"):
        cmd.Buy(**ORDER, quantity=1, order_type=OrderType.LIMIT)


def test_stop_order_without_price_is_rejected() -> None:
    with pytest.raises(ValidationError, match="needs a price"):
        cmd.Sell(**ORDER, quantity=1, order_type=OrderType.STOP)


def test_market_order_with_price_is_rejected() -> None:
    with pytest.raises(ValidationError, match="takes no price"):
        cmd.Buy(**ORDER, quantity=1, order_type=OrderType.MARKET, price=100)


def test_market_order_without_price_is_accepted() -> None:
    order = cmd.Short(**ORDER, quantity=1, order_type=OrderType.MARKET)
    assert order.price is None


def test_order_type_defaults_to_limit() -> None:
    assert cmd.Cover(**ORDER, quantity=1, price=5).order_type is OrderType.LIMIT


@pytest.mark.parametrize("price", [0, -5, limits.MAX_PRICE_CENTS + 1])
def test_price_out_of_limits_is_rejected(price: int) -> None:
    with pytest.raises(ValidationError):
        cmd.Buy(**ORDER, quantity=1, price=price)


@pytest.mark.parametrize("symbol", ["apex", "TOOLONG", "", "AP1"])
def test_bad_symbol_is_rejected(symbol: str) -> None:
    with pytest.raises(ValidationError):
        cmd.Buy(command_id="c1", agent_id="a1", symbol=symbol, quantity=1, price=1)


@pytest.mark.parametrize("command_id", ["", "has space", "x" * 65, "semi;colon"])
def test_bad_command_id_is_rejected(command_id: str) -> None:
    with pytest.raises(ValidationError):
        cmd.CancelOrder(command_id=command_id, agent_id="a1", order_id=1)


def test_cancel_order_id_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        cmd.CancelOrder(command_id="c1", agent_id="a1", order_id=0)


def test_rumor_longer_than_280_chars_is_rejected() -> None:
    ok = cmd.Rumor(command_id="c", agent_id="a", symbol="APEX", content="x" * 280)
    assert len(ok.content) == limits.MAX_RUMOR_CHARS
    with pytest.raises(ValidationError):
        cmd.Rumor(command_id="c", agent_id="a", symbol="APEX", content="x" * 281)


def test_empty_rumor_is_rejected() -> None:
    with pytest.raises(ValidationError):
        cmd.Rumor(command_id="c", agent_id="a", symbol="APEX", content="")


def test_message_longer_than_500_chars_is_rejected() -> None:
    ok = cmd.SendMessage(command_id="c", agent_id="a", target_agent_id="b", content="x" * 500)
    assert len(ok.content) == limits.MAX_MESSAGE_CHARS
    with pytest.raises(ValidationError):
        cmd.SendMessage(command_id="c", agent_id="a", target_agent_id="b", content="x" * 501)


@pytest.mark.parametrize("amount", [0, -1, limits.MAX_BRIBE_CENTS + 1])
def test_bribe_amount_out_of_limits_is_rejected(amount: int) -> None:
    with pytest.raises(ValidationError):
        cmd.Bribe(command_id="c", agent_id="a", target_agent_id="b", amount=amount)


def test_register_needs_a_sha256_hex_key_hash() -> None:
    with pytest.raises(ValidationError):
        cmd.RegisterAgent(
            command_id="c", agent_id="a", name="n", role=Role.QUANT, api_key_hash="secret"
        )


def test_extra_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        cmd.Buy(**ORDER, quantity=1, price=100, leverage=50)  # type: ignore[call-arg]


def test_extra_fields_are_rejected_when_parsing() -> None:
    raw = b'{"type":"FLEE","command_id":"c","agent_id":"a","destination":"Rio","x":1}'
    with pytest.raises(ValidationError):
        cmd.parse_command(raw)


def test_commands_are_frozen() -> None:
    order = cmd.Buy(**ORDER, quantity=1, price=100)
    with pytest.raises(ValidationError):
        order.quantity = 2  # type: ignore[misc]


def test_season_config_is_frozen_and_bounded() -> None:
    config = SeasonConfig()
    with pytest.raises(ValidationError):
        config.symbols = 3  # type: ignore[misc]
    with pytest.raises(ValidationError):
        SeasonConfig(symbols=0)
    with pytest.raises(ValidationError):
        SeasonConfig(population=PopulationConfig(market_makers=51))


def test_unknown_command_type_is_rejected() -> None:
    with pytest.raises(ValidationError):
        cmd.parse_command(b'{"type":"LAUNDER","command_id":"c","agent_id":"a"}')


SAMPLE_COMMANDS: list[cmd.CommandBase] = [
    cmd.Buy(**ORDER, quantity=10, price=12_345),
    cmd.Sell(**ORDER, quantity=10, order_type=OrderType.MARKET),
    cmd.Short(**ORDER, quantity=10, order_type=OrderType.STOP, price=99),
    cmd.Cover(**ORDER, quantity=1, price=1),
    cmd.CancelOrder(command_id="c2", agent_id="a1", order_id=7),
    cmd.Rumor(command_id="c3", agent_id="a1", symbol="APEX", content="merger"),
    cmd.Ally(command_id="c4", agent_id="a1", target_agent_id="b", proposal="deal"),
    cmd.SendMessage(command_id="c5", agent_id="a1", target_agent_id="b", content="hi"),
    cmd.DeclineAlliance(command_id="c13", agent_id="a1", target_agent_id="b"),
    cmd.DissolveAlliance(command_id="c14", agent_id="a1", target_agent_id="b"),
    cmd.Bribe(command_id="c6", agent_id="a1", target_agent_id="b", amount=500),
    cmd.Whistleblow(command_id="c7", agent_id="a1", target_agent_id="b", evidence="memo"),
    cmd.Flee(command_id="c8", agent_id="a1", destination="Rio"),
    cmd.Whistleblow(
        command_id="c13",
        agent_id="a1",
        target_agent_id="b",
        evidence="memo",
        offence=Offence.SPOOFING,
        trade_ids=[1],
        order_ids=[2, 3],
    ),
    cmd.OpenCase(
        command_id="c14",
        agent_id="a1",
        target_agent_id="b",
        offence=Offence.INSIDER_TRADING,
        reason="traded ahead",
    ),
    cmd.Subpoena(command_id="c15", agent_id="a1", case_id=1),
    cmd.FreezeAssets(command_id="c16", agent_id="a1", case_id=1),
    cmd.RegisterAgent(command_id="c9", agent_id="a1", name="Al", role=Role.QUANT, api_key_hash=KEY),
    cmd.StartSeason(command_id="c10", agent_id="operator", seed=3, config=SeasonConfig()),
    cmd.StopSeason(command_id="c11", agent_id="operator"),
    cmd.SetRegime(command_id="c12", agent_id="operator", regime=Regime.CRASH),
    cmd.ConfigureSeason(
        command_id="fork", agent_id="operator", config=SeasonConfig(fee_bps=10), rules_version=2
    ),
    cmd.PublishArticle(
        command_id="article:631.1",
        agent_id="newsroom",
        news_id="631.1",
        headline="Traso Health stumbles as quarterly profit sinks",
        summary="The drugmaker's loss widens; the Street marks it down.",
        sentiment=-45,
        model="local-model",
        prompt_tokens=210,
        completion_tokens=48,
    ),
]


def test_sample_commands_cover_every_command_type() -> None:
    assert {type(c) for c in SAMPLE_COMMANDS} == union_members(cmd.Command)


@pytest.mark.parametrize("command", SAMPLE_COMMANDS, ids=lambda c: c.type)
def test_every_command_round_trips_through_json(command: cmd.CommandBase) -> None:
    assert cmd.parse_command(command.model_dump_json().encode()) == command


# --- events -----------------------------------------------------------------------------

LISTING = ev.CompanyListing(
    symbol="APEX",
    name="Apex Systems",
    sector=Sector.TECHNOLOGY,
    shares_outstanding=10**9,
    revenue=10**12,
    profit=-(10**10),
    cash=5 * 10**11,
    debt=0,
    initial_price=12_345,
    volatility_bps=250,
    beta_pct=120,
)
BUILTIN = ev.BuiltinAgent(
    agent_id="mm-1",
    name="mm-1",
    role=Role.MARKET_MAKER,
    strategy="market_maker",
    cash=10**9,
    holdings={"APEX": 100},
)
SAMPLE_EVENTS: list[ev.EventBase] = [
    ev.SeasonStarted(
        tick=0,
        command_id="start",
        seed=2**62,
        config=SeasonConfig(symbols=1, regime=Regime.BUBBLE),
        start_time="2026-01-05T09:30:00+00:00",
        companies=(LISTING,),
        builtin_agents=(BUILTIN,),
    ),
    ev.SeasonEnded(tick=9, command_id="stop", reason="stopped by operator"),
    ev.AgentRegistered(
        tick=1,
        command_id="reg",
        agent_id="a1",
        name="Al",
        role=Role.INFLUENCER,
        cash=10**7,
        max_leverage=2,
        callback_url=None,
        api_key_hash=KEY,
    ),
    ev.CommandRejected(
        tick=1,
        command_id="c",
        agent_id="a1",
        command_type="BRIBE",
        reason=RejectReason.INSUFFICIENT_CASH,
        detail="poor",
    ),
    ev.OrderAccepted(
        tick=2,
        command_id="c",
        order_id=1,
        agent_id="a1",
        symbol="APEX",
        intent=Intent.SHORT,
        side=Side.SELL,
        order_type=OrderType.LIMIT,
        quantity=5,
        price=100,
        reserved=500,
    ),
    ev.OrderRejected(
        tick=2,
        command_id="c",
        agent_id="a1",
        command_type="CANCEL_ORDER",
        symbol=None,
        reason=RejectReason.UNKNOWN_ORDER,
        detail="no such order",
    ),
    ev.OrderTriggered(tick=3, order_id=2, symbol="APEX", last_price=101),
    ev.TradeExecuted(
        tick=3,
        trade_id=1,
        symbol="APEX",
        price=101,
        quantity=5,
        buy_order_id=2,
        sell_order_id=1,
        buyer_id="b",
        seller_id="a1",
        buyer_fee=1,
        seller_fee=1,
        aggressor=Side.BUY,
    ),
    ev.OrderCancelled(
        tick=3,
        order_id=3,
        agent_id="a1",
        symbol="APEX",
        remaining=4,
        reason=CancelReason.BY_AGENT,
        command_id="c9",
    ),
    ev.OrderExpired(tick=4, order_id=4, agent_id="a1", symbol="APEX", remaining=1),
    ev.PositionChanged(tick=3, agent_id="a1", symbol="APEX", quantity=-5, cash=-3),
    ev.MarginCalled(tick=5, agent_id="a1", equity=10, maintenance=20, deadline_tick=10),
    ev.MarginCallMet(tick=6, agent_id="a1", equity=30),
    ev.PositionLiquidated(tick=10, agent_id="a1", symbol="APEX", quantity=5, remaining=0),
    ev.AgentBankrupted(tick=10, agent_id="a1", net_worth=-1),
    ev.AgentStatusChanged(tick=11, agent_id="a1", status=AgentStatus.FLED, reason="flew"),
    ev.BarClosed(
        tick=3,
        symbol="APEX",
        open=100,
        high=102,
        low=99,
        close=101,
        volume=7,
        notional=707,
        trades=2,
    ),
    ev.FundamentalsDrifted(tick=3, fair_values={"APEX": 12_300, "ZEN": 1}),
    ev.EarningsReported(
        tick=391,
        symbol="APEX",
        quarter=1,
        revenue=10**12,
        profit=-5,
        eps=0,
        surprise_bps=-300,
        fair_value=12_000,
    ),
    ev.RegimeChanged(tick=390, regime=Regime.BEAR, command_id=None),
    ev.SeasonConfigured(
        tick=41, command_id="fork", config=SeasonConfig(fee_bps=10), rules_version=2
    ),
    ev.MarketOpened(tick=1, day=0),
    ev.MarketClosed(tick=390, day=0),
    ev.BorrowFeeCharged(tick=390, agent_id="a1", symbol="APEX", amount=3),
    ev.SocialActionRecorded(
        tick=5,
        command_id="c",
        agent_id="a1",
        action="BRIBE",
        target_agent_id="b",
        amount=100,
        note="recorded",
    ),
    ev.MessageDelivered(
        tick=5, command_id="m", agent_id="a1", target_agent_id="b", message_id=1, content="hi"
    ),
    ev.AllianceProposed(
        tick=5, command_id="p", agent_id="a1", target_agent_id="b", proposal="x", expires_tick=65
    ),
    ev.AllianceDeclined(tick=6, command_id="d", agent_id="b", target_agent_id="a1"),
    ev.AllianceFormed(tick=6, command_id="f", agent_id="b", target_agent_id="a1", proposal="y"),
    ev.AllianceDissolved(tick=7, command_id="e", agent_id="a1", target_agent_id="b"),
    ev.RumorPublished(
        tick=5,
        command_id="r",
        agent_id="a1",
        rumor_id=1,
        symbol="APEX",
        content="APEX will soar",
        sentiment=60,
        weight_pct=200,
        impulse_bps=360,
    ),
    ev.ReputationChanged(tick=5, agent_id="a1", delta=-2, reputation=48, cause="RUMOR"),
    ev.NewsPublished(
        tick=631,
        news_id="631.1",
        category=NewsCategory.EARNINGS,
        headline="TRAS misses badly: Q1 EPS -$1.71",
        summary="Traso Health posts a -3.0% surprise. Analysts slash targets.",
        symbols=["TRAS"],
        sentiment=-39,
        impulse_bps=-78,
        source="EarningsReported",
    ),
    ev.ArticlePublished(
        tick=640,
        command_id="article:631.1",
        agent_id="newsroom",
        news_id="631.1",
        headline="Traso Health stumbles as quarterly profit sinks",
        summary="The drugmaker's loss widens; the Street marks it down.",
        sentiment=-45,
        model="local-model",
        prompt_tokens=210,
        completion_tokens=48,
        cost_microdollars=0,
    ),
    ev.SuspicionRaised(
        tick=5,
        suspicion_id=1,
        offence=Offence.WASH_TRADING,
        suspect_id="a1",
        accomplice_ids=["b"],
        symbol="APEX",
        confidence_pct=80,
        trade_ids=[3, 4],
        ticks=[5],
        reason="a1 and b traded 100 APEX back and forth",
    ),
    ev.CaseOpened(
        tick=5,
        case_id=1,
        suspect_id="a1",
        offence=Offence.WASH_TRADING,
        opened_by="sec",
        investigator_id="sec",
        reason="traded with itself",
    ),
    ev.EvidenceAdded(
        tick=5,
        case_id=1,
        source="suspicion",
        submitted_by="sec",
        weight=48,
        strength=48,
        refs=ev.EvidenceRefs(trade_ids=[3], order_ids=[4], ticks=[5], suspicion_id=1),
        reason="SEC surveillance",
    ),
    ev.SuspectCharged(
        tick=6,
        case_id=1,
        suspect_id="a1",
        offence=Offence.WASH_TRADING,
        strength=60,
        trial_tick=36,
        reason="strong",
    ),
    ev.AssetsFrozen(tick=6, case_id=1, agent_id="a1", reason="charged"),
    ev.AssetsUnfrozen(tick=36, case_id=1, agent_id="a1", reason="acquitted"),
    ev.CaseStalled(tick=7, case_id=1, until_tick=67, reason="bribe"),
    ev.BribePaid(
        tick=7,
        agent_id="a1",
        target_agent_id="sec",
        amount=100,
        escrow=True,
        case_id=1,
        catch_pct=5,
    ),
    ev.BribeCaught(
        tick=7,
        agent_id="a1",
        target_agent_id="sec",
        amount=100,
        case_id=1,
        catch_pct=5,
        reason="seen",
    ),
    ev.EscrowReleased(tick=36, case_id=1, to="house:fines", amount=100),
    ev.VerdictReached(
        tick=36,
        case_id=1,
        suspect_id="a1",
        offence=Offence.WASH_TRADING,
        verdict=Verdict.CONVICTED,
        strength=60,
        roll=12,
        fine=100_000,
        prison_ticks=120,
        prior_convictions=0,
        reason="convicted",
    ),
    ev.FinePaid(tick=36, case_id=1, agent_id="a1", amount=100_000),
    ev.RewardPaid(tick=36, case_id=1, agent_id="b", amount=20_000),
    ev.AgentImprisoned(tick=36, case_id=1, agent_id="a1", release_tick=156, reason="convicted"),
    ev.AgentReleased(tick=156, agent_id="a1", case_id=1, reason="served"),
    ev.AgentFled(
        tick=8,
        agent_id="a1",
        destination="Nauru",
        case_id=None,
        escape_pct=100,
        roll=-1,
        reason="away",
    ),
    ev.FlightFailed(
        tick=8,
        agent_id="a1",
        destination="Nauru",
        case_id=1,
        escape_pct=30,
        roll=70,
        reason="caught",
    ),
    ev.CeoAppointed(tick=1, agent_id="a1", symbol="APEX"),
    ev.EarningsPreviewed(
        tick=361, agent_id="a1", symbol="APEX", quarter=1, report_tick=391, surprise_bps=-300
    ),
    ev.TickClosed(
        tick=5,
        sim_time="2026-01-05T09:34:00+00:00",
        first_command_seq=10,
        last_command_seq=12,
        commands=3,
        events=9,
        state_hash="ab" * 32,
    ),
]


def test_sample_events_cover_every_event_type() -> None:
    assert {type(e) for e in SAMPLE_EVENTS} == union_members(ev.Event)


@pytest.mark.parametrize("event", SAMPLE_EVENTS, ids=lambda e: e.type)
def test_every_event_round_trips_through_json(event: ev.EventBase) -> None:
    parsed = ev.parse_event(event.model_dump_json().encode())
    assert type(parsed) is type(event)
    assert parsed == event
    assert parsed.model_dump_json() == event.model_dump_json()


def test_events_are_frozen() -> None:
    event = ev.MarketOpened(tick=1, day=0)
    with pytest.raises(ValidationError):
        event.day = 2  # type: ignore[misc]


def test_unknown_event_type_is_rejected() -> None:
    with pytest.raises(ValidationError):
        ev.parse_event(b'{"type":"MoneyPrinted","tick":1}')


def test_events_from_a_real_season_round_trip() -> None:
    config = SeasonConfig(
        symbols=3,
        open_ticks_per_day=30,
        after_hours_ticks=2,
        population=PopulationConfig(
            market_makers=1, noise_traders=2, momentum_traders=1, value_traders=1
        ),
    )
    events = simulate(7, 70, config)
    assert len({e.type for e in events}) >= 8
    for event in events:
        raw = event.model_dump_json().encode()
        parsed = ev.parse_event(raw)
        assert parsed == event
        assert parsed.model_dump_json().encode() == raw
