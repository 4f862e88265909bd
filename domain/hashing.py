"""Canonical serialization of the world: the state hash, and snapshots to restart from.

The serialization follows the world's dict order, which is the order events created the
entries in (order ids ascend, accounts in registration order), so it is the same for a
world built by ``step``, by folding the log, or by restoring a snapshot. Book queues are
not written out: a price level's queue is in arrival order, i.e. order-id order, so the
open orders alone determine every book.
"""

import hashlib
import json
import operator
from collections import deque
from typing import Any

from domain.orderbook import Order, OrderBook
from domain.rules.surveillance import windows
from domain.state import (
    MESSAGE_WINDOW,
    NEWS_WINDOW,
    PRICE_MEMORY,
    RUMOR_WINDOW,
    Account,
    Case,
    Company,
    NewsImpulse,
    PublishedRumor,
    SentMessage,
    World,
)
from schemas.config import SeasonConfig
from schemas.enums import (
    AgentStatus,
    CaseStatus,
    Intent,
    Offence,
    OrderType,
    Regime,
    Role,
    Sector,
    Side,
    Strategy,
)

SNAPSHOT_VERSION = 1
_SEPARATORS = (",", ":")

_ORDER_FIELDS = (
    "order_id",
    "agent_id",
    "symbol",
    "side",
    "intent",
    "order_type",
    "price",
    "quantity",
    "remaining",
    "reserved",
    "tick",
)
_COMPANY_FIELDS = (
    "symbol",
    "name",
    "sector",
    "shares_outstanding",
    "revenue",
    "profit",
    "cash",
    "debt",
    "volatility_bps",
    "beta_pct",
    "initial_price",
    "fair_value",
    "last_price",
    "prev_close",
    "day_open",
    "day_volume",
    "quarter",
)
_ACCOUNT_FIELDS = (
    "agent_id",
    "name",
    "role",
    "max_leverage",
    "cash",
    "strategy",
    "status",
    "reserved",
    "margin_deadline",
    "callback_url",
    "api_key_hash",
    "starting_cash",
)


_CASE_FIELDS = (
    "case_id",
    "suspect_id",
    "offence",
    "opened_by",
    "investigator_id",
    "opened_tick",
    "status",
    "strength",
    "evidence",
    "last_evidence_tick",
    "trial_tick",
    "stalled_until",
    "escrow",
    "subpoena_weight",
)

_order = operator.attrgetter(*_ORDER_FIELDS)
_message = operator.attrgetter("message_id", "tick", "sender", "target", "content")
_rumor = operator.attrgetter("rumor_id", "tick", "agent_id", "symbol", "sentiment", "impulse_bps")
_news = operator.attrgetter("news_id", "tick", "symbol", "category", "impulse_bps")
_case = operator.attrgetter(*_CASE_FIELDS)
_company = operator.attrgetter(*_COMPANY_FIELDS)
_account = operator.attrgetter(*_ACCOUNT_FIELDS)


def _v2_account(world: World, account: Account) -> tuple[int, ...]:
    """What rules version 2 added to an account, written only for v2 worlds: a v1
    world never changes it, and leaving it out keeps every v1 hash what it was."""
    return (account.reputation,) if world.rules_version >= 2 else ()


def _social(world: World) -> dict[str, Any]:
    """The social state of rules version 2 (a v1 world has none, and no such key)."""
    return {
        "messages": [list(_message(m)) for m in world.messages],
        "rumors": [list(_rumor(r)) for r in world.rumors],
        "news": [list(_news(n)) for n in world.news],
        "stories": [[news_id, rewritten] for news_id, rewritten in world.stories.items()],
        "next": [world.next_message_id, world.next_rumor_id],
        "proposals": [[*key, last] for key, last in world.proposals.items()],
        "alliances": [[*key, tick] for key, tick in world.alliances.items()],
    }


def _restore_social(world: World, image: dict[str, Any]) -> None:
    world.messages = deque((SentMessage(*row) for row in image["messages"]), maxlen=MESSAGE_WINDOW)
    world.rumors = deque((PublishedRumor(*row) for row in image["rumors"]), maxlen=RUMOR_WINDOW)
    world.news = deque((NewsImpulse(*row) for row in image.get("news", ())), maxlen=NEWS_WINDOW)
    world.stories = dict(image.get("stories", ()))
    world.next_message_id, world.next_rumor_id = image["next"]
    world.proposals = {(a, b): last for a, b, last in image["proposals"]}
    world.alliances = {(a, b): tick for a, b, tick in image["alliances"]}


def _head(world: World) -> dict[str, Any]:
    """Everything but the open orders."""
    head = _v1_head(world)
    if world.rules_version >= 2:
        head["social"] = _social(world)
        head["legal"] = _legal(world)
    return head


def _v1_head(world: World) -> dict[str, Any]:
    return {
        "v": SNAPSHOT_VERSION,
        "seed": world.seed,
        "config": world.config.model_dump(mode="json"),
        "flags": [world.started, world.ended, world.market_open, world.regime_pinned],
        "tick": world.tick,
        "version": world.version,
        "last_command_seq": world.last_command_seq,
        "regime": world.regime.value,
        "next": [world.next_order_id, world.next_trade_id],
        "house": dict(world.house),  # copies: an image must not change as the world does
        "companies": [[*_company(c), list(c.closes)] for c in world.companies.values()],
        "accounts": [
            [
                *_account(a),
                dict(a.positions),
                list(a.open_orders),
                dict(a.selling),
                dict(a.covering),
                *_v2_account(world, a),
            ]
            for a in world.accounts.values()
        ],
        "stops": {s: list(ids) for s, ids in world.stops.items()},
    }


def _legal(world: World) -> dict[str, Any]:
    """The legal system's state of rules version 2 (a v1 world has none, and no such key)."""
    return {
        "cases": [[*_case(c), list(c.whistleblowers)] for c in world.cases.values()],
        "next_case": world.next_case_id,
        "frozen": {a: list(ids) for a, ids in world.frozen.items()},
        "prison": {a: list(term) for a, term in world.prison.items()},
        "convictions": dict(world.convictions),
        "ceo_of": dict(world.ceo_of),
    }


def _restore_legal(world: World, legal: dict[str, Any]) -> None:
    for row in legal["cases"]:
        case = Case(**dict(zip(_CASE_FIELDS, row[:-1], strict=True)))
        case.offence, case.status = Offence(case.offence), CaseStatus(case.status)
        case.whistleblowers = list(row[-1])
        world.cases[case.case_id] = case
        world.active_cases[case.key] = case.case_id
    world.next_case_id = legal["next_case"]
    world.frozen = {a: dict.fromkeys(ids) for a, ids in legal["frozen"].items()}
    world.prison = {a: (term[0], term[1]) for a, term in legal["prison"].items()}
    world.convictions = dict(legal["convictions"])
    world.ceo_of = dict(legal["ceo_of"])


def snapshot(world: World) -> dict[str, Any]:
    """A JSON-able image of the world, enough to restore it exactly."""
    image = _head(world)
    # Kept out of the state hash (the genesis event records it) so that the hashes of
    # seasons recorded before the field existed stay what they were.
    image["rules_version"] = world.rules_version
    image["orders"] = list(map(_order, world.orders.values()))
    if world.sec is not None:  # out of the hash too: v1 worlds have none
        image["sec"] = windows.dump(world.sec)
    return image


def _order_rows(world: World) -> list[str]:
    """Each open order's canonical JSON, cached until ``evolve`` changes the order: most
    resting orders are untouched in a tick, and re-encoding them was most of the hash."""
    cache = world.order_rows
    rows = []
    for order_id, order in world.orders.items():
        row = cache.get(order_id)
        if row is None:
            row = cache[order_id] = json.dumps(_order(order), separators=_SEPARATORS)
        rows.append(row)
    return rows


def canonical_bytes(world: World) -> bytes:
    head = json.dumps(_head(world), separators=_SEPARATORS, ensure_ascii=True)
    return f'{head[:-1]},"orders":[{",".join(_order_rows(world))}]}}'.encode()


def state_hash(world: World) -> str:
    return hashlib.sha256(canonical_bytes(world)).hexdigest()


def restore(image: dict[str, Any]) -> World:
    """The world a ``snapshot`` was taken of."""
    if image["v"] != SNAPSHOT_VERSION:
        raise ValueError(f"snapshot version {image['v']} is not {SNAPSHOT_VERSION}")
    world = World(seed=image["seed"], config=SeasonConfig.model_validate(image["config"]))
    world.rules_version = image.get("rules_version", 1)  # images older than the field: 1
    v2 = world.rules_version >= 2
    world.started, world.ended, world.market_open, world.regime_pinned = image["flags"]
    world.tick, world.version = image["tick"], image["version"]
    world.last_command_seq = image["last_command_seq"]
    world.regime = Regime(image["regime"])
    world.next_order_id, world.next_trade_id = image["next"]
    world.house = dict(image["house"])
    for row in image["companies"]:
        company = Company(**dict(zip(_COMPANY_FIELDS, row[:-1], strict=True)))
        company.sector = Sector(company.sector)
        company.closes = deque(row[-1], maxlen=PRICE_MEMORY)
        world.companies[company.symbol] = company
    for row in image["accounts"]:
        n = len(_ACCOUNT_FIELDS)
        account = Account(**dict(zip(_ACCOUNT_FIELDS, row[:n], strict=True)))
        account.role, account.status = Role(account.role), AgentStatus(account.status)
        account.strategy = Strategy(account.strategy)
        account.positions = dict(row[n])
        account.selling, account.covering = dict(row[n + 2]), dict(row[n + 3])
        account.open_orders = dict.fromkeys(row[n + 1])
        if v2:
            (account.reputation,) = row[n + 4 :]
        world.accounts[account.agent_id] = account
        world.names[account.name] = account.agent_id
    for row in image["orders"]:
        order = Order(**dict(zip(_ORDER_FIELDS, row, strict=True)))
        order.side, order.intent = Side(order.side), Intent(order.intent)
        order.order_type = OrderType(order.order_type)
        world.orders[order.order_id] = order
    # A level's queue is in arrival order, which is order-id order: the open orders,
    # rested by id, rebuild every book exactly.
    for symbol in world.companies:
        world.books[symbol] = OrderBook(symbol)
    for order in world.orders.values():
        if order.order_type == OrderType.LIMIT:
            world.books[order.symbol].rest(order)
    world.stops = {s: dict.fromkeys(ids) for s, ids in image["stops"].items()}
    if v2:
        _restore_social(world, image["social"])
        _restore_legal(world, image["legal"])
    if "sec" in image:
        world.sec = windows.load(image["sec"])
    return world
