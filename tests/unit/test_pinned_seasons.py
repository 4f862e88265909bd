"""Pinned seasons: the rules' outcome for a few seeds, frozen as hashes.

A reshaping of the domain (moving rules between modules, renaming, registries) must not
change what any season decides. Each pin is the final state hash and a digest of every
event's bytes of a seeded season with the built-in population and a scripted stream of
external commands that reaches orders, stops, shorts, margin calls, liquidation, borrow
fees, earnings, regimes and the social actions. A pin changes only with a deliberate
change of the rules or of the event format, in a commit that says which.
"""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from domain import World
from domain.simulate import simulate
from domain.step import StepInput
from schemas import commands as cmd
from schemas import events as ev
from schemas.config import PopulationConfig, SeasonConfig
from schemas.enums import OrderType, Regime, Role

TICKS = 300
CONFIG = SeasonConfig(
    symbols=6,
    open_ticks_per_day=60,
    after_hours_ticks=5,
    earnings_every_days=1,
    maintenance_margin_bps=6_000,  # a fully leveraged retail trader is called at once
    margin_grace_ticks=3,
    population=PopulationConfig(
        market_makers=2, noise_traders=8, momentum_traders=3, value_traders=3
    ),
)
KEY = "0" * 64
AGENTS = {
    "lev": Role.RETAIL_TRADER,  # buys to its leverage: margin called, then liquidated
    "bear": Role.HEDGE_FUND_MANAGER,  # shorts and stops
    "talk": Role.INFLUENCER,  # social actions
    "ceo": Role.CEO,
}


def _order(
    kind: type[cmd.Buy | cmd.Sell | cmd.Short | cmd.Cover],
    cid: str,
    agent: str,
    symbol: str,
    quantity: int,
    *,
    order_type: OrderType = OrderType.MARKET,
    price: int | None = None,
) -> cmd.OrderCommand:
    return kind(
        command_id=cid,
        agent_id=agent,
        symbol=symbol,
        order_type=order_type,
        quantity=quantity,
        price=price,
    )


def _social(tick: int, symbol: str) -> list[StepInput]:
    match tick % 6:
        case 0:
            return [cmd.Rumor(command_id=f"ru{tick}", agent_id="talk", symbol=symbol, content="up")]
        case 1:
            return [
                cmd.Ally(
                    command_id=f"al{tick}", agent_id="talk", target_agent_id="ceo", proposal="p"
                )
            ]
        case 2:
            return [
                cmd.SendMessage(
                    command_id=f"me{tick}", agent_id="ceo", target_agent_id="talk", content="hi"
                ),
                cmd.SendMessage(  # refused: self target
                    command_id=f"ms{tick}", agent_id="ceo", target_agent_id="ceo", content="me"
                ),
            ]
        case 3:
            return [
                cmd.Bribe(
                    command_id=f"br{tick}", agent_id="ceo", target_agent_id="talk", amount=500
                ),
                cmd.Bribe(  # refused: more than its cash
                    command_id=f"bx{tick}", agent_id="talk", target_agent_id="ceo", amount=10**11
                ),
            ]
        case 4:
            return [
                cmd.Whistleblow(
                    command_id=f"wb{tick}", agent_id="talk", target_agent_id="ceo", evidence="e"
                )
            ]
        case _:
            return [cmd.Rumor(command_id=f"rx{tick}", agent_id="talk", symbol="ZZZZ", content="?")]


def feed(world: World, tick: int) -> list[StepInput]:
    """The external agents' commands for ``tick``, decided from what they see."""
    if tick == 1:
        return [
            cmd.RegisterAgent(
                command_id=f"reg-{name}", agent_id=name, name=name, role=role, api_key_hash=KEY
            )
            for name, role in AGENTS.items()
        ]
    if not world.market_open:
        if tick % 5 == 0:  # refused: the market is closed
            symbol = next(iter(world.companies))
            return [_order(cmd.Buy, f"closed{tick}", "bear", symbol, 1)]
        return []
    symbols = list(world.companies)
    symbol = symbols[tick % len(symbols)]
    last = world.companies[symbol].last_price
    out: list[StepInput] = []
    lev = world.accounts["lev"]
    if lev.margin_deadline is not None and lev.margin_deadline % 2 == 0:  # meets some calls
        out.extend(
            _order(cmd.Sell, f"out{tick}.{s}", "lev", s, q)
            for s, q in lev.positions.items()
            if q > lev.selling.get(s, 0)
        )
    if tick % 25 == 2 and not lev.positions:
        # All its buying power, in LIMIT buys a little through the ask.
        qty = 2 * world.equity(lev) // (last + last // 50) * 9 // 10
        out.append(
            _order(
                cmd.Buy,
                f"lev{tick}",
                "lev",
                symbol,
                qty,
                order_type=OrderType.LIMIT,
                price=last + last // 50,
            )
        )
    bear = world.accounts["bear"]
    position = bear.positions.get(symbol, 0)
    if tick % 4 == 0 and position <= 0:
        out.append(
            _order(
                cmd.Short,
                f"sh{tick}",
                "bear",
                symbol,
                400,
                order_type=OrderType.LIMIT,
                price=last - last // 400,
            )
        )
    if tick % 9 == 0 and position < 0:
        out.append(_order(cmd.Cover, f"cv{tick}", "bear", symbol, min(100, -position)))
    if tick % 7 == 0:
        out.append(
            _order(
                cmd.Buy,
                f"st{tick}",
                "bear",
                symbol,
                50,
                order_type=OrderType.STOP,
                price=last + last // 300,
            )
        )
    if tick % 11 == 0 and bear.open_orders:
        oid = next(iter(bear.open_orders))
        out.append(cmd.CancelOrder(command_id=f"ca{tick}", agent_id="bear", order_id=oid))
    if tick % 13 == 0:  # refused: out of the price band, then a SELL of shares it lacks
        out.append(
            _order(
                cmd.Buy, f"band{tick}", "ceo", symbol, 1, order_type=OrderType.LIMIT, price=last * 2
            )
        )
        out.append(_order(cmd.Sell, f"nosh{tick}", "ceo", symbol, 10))
    if tick % 3 == 0:
        out.extend(_social(tick, symbol))
    if tick == 150:
        out.append(cmd.SetRegime(command_id="crash", agent_id=cmd.OPERATOR_ID, regime=Regime.CRASH))
    if tick == 200:
        out.append(cmd.SetRegime(command_id="calm", agent_id=cmd.OPERATOR_ID, regime=Regime.NORMAL))
    if tick == TICKS:
        out.append(cmd.StopSeason(command_id="stop", agent_id=cmd.OPERATOR_ID))
    return out


def _digest(events: list[ev.EventBase]) -> str:
    digest = hashlib.sha256()
    for event in events:
        digest.update(event.model_dump_json().encode())
        digest.update(b"\n")
    return digest.hexdigest()


def run(seed: int) -> tuple[tuple[str, str, str], Counter[str]]:
    """(final state hash, digest of the genesis event, digest of every later event)."""
    events = simulate(seed, TICKS, CONFIG, commands=feed, rules_version=1)
    closed = events[-1]
    assert isinstance(closed, ev.TickClosed)
    pins = (closed.state_hash, _digest(events[:1]), _digest(events[1:]))
    return pins, Counter(e.type for e in events)


# seed: (final state hash, genesis event digest, digest of every later event)
PINS = {
    1: (
        "5b9b18c88ecdc96573dd6e240cf170832187853936654cc4f27669e92a5affbd",
        "dd83a582342baa08745853bbb5139facf75d70465f5a12656bfce7d78c27daad",
        "b9306fcbf8aabd3ffa8c9ae8d73c71abe60638bc57227150a32bf15642c5450c",
    ),
    42: (
        "3be120141cd45d5a7a64fc2ce3b8bdc47b49dde42e42aa8f799fdc81ddfa2393",
        "caf511c13ab802d346d834c66438b47d46256605fa9bfabca6b612b20745a2eb",
        "736bb375c374453f8face270d0b43d9099703251d35ef8f20f4a1ced5e0e1160",
    ),
    7: (
        "2aaf3d1142e0944b915f8227481070a34a0f4ad3f53b43319a69fd2719cc76dc",
        "6d311fd8a9a949ef72e05edf9f15c1f177fe0fd2749100ca9b2e335f77e4368f",
        "2f866e605d49239b8044e79adbec2f4cd7aac77d19f7737c977d5f4545c450dd",
    ),
}
# The genesis digests before SeasonStarted carried ``rules_version``: the same seasons'
# genesis, recorded by the build before the field existed.
OLD_FORMAT_GENESIS = {
    1: "33c801cb03c329cfac123ba390a330f8f9948a58b78e223e20a6336c880d6ae0",
    42: "8ef857b9d1d5e52cb8cdc4ed2fa5017980210f58cbc8a829a283c5338b6be1c5",
    7: "d6bc6bd6cd88ffdaee638cc559c20b295ea9fc3877aaea8b5a3e215f5c8c584c",
}
# What the script must reach for the pins to guard those rules.
REACHED = (
    "BorrowFeeCharged",
    "CommandRejected",
    "EarningsReported",
    "MarginCallMet",
    "MarginCalled",
    "OrderExpired",
    "OrderRejected",
    "OrderTriggered",
    "PositionLiquidated",
    "RegimeChanged",
    "SeasonEnded",
    "SocialActionRecorded",
    "TradeExecuted",
)


@pytest.mark.parametrize("seed", sorted(PINS))
def test_seeded_season_hashes_do_not_change(seed: int) -> None:
    pins, reached = run(seed)
    assert [t for t in REACHED if not reached[t]] == []
    assert pins == PINS[seed]


@pytest.mark.parametrize("seed", sorted(OLD_FORMAT_GENESIS))
def test_old_format_genesis_differs_only_by_rules_version(seed: int) -> None:
    """The re-pin of the genesis digests is the new field alone, and the old bytes still
    read as the same event (rules version 1)."""
    genesis = simulate(seed, 0, CONFIG, rules_version=1)[0]
    assert isinstance(genesis, ev.SeasonStarted)
    new = genesis.model_dump_json().encode()
    old = new.replace(b'"rules_version":1,', b"", 1)
    assert hashlib.sha256(old + b"\n").hexdigest() == OLD_FORMAT_GENESIS[seed]
    assert ev.parse_event(old) == genesis
