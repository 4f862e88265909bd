"""Canonical serialization of the world: the state hash, and snapshots to restart from.

The serialization follows the world's dict order, which is the order events created the
entries in (order ids ascend, accounts in registration order), so it is the same for a
world built by ``step``, by folding the log, or by restoring a snapshot.
"""

import hashlib
import json
from collections import deque
from typing import Any

from domain.orderbook import Order, OrderBook
from domain.state import PRICE_MEMORY, Account, Company, World
from schemas.config import SeasonConfig
from schemas.enums import AgentStatus, Regime, Role, Sector

SNAPSHOT_VERSION = 1

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


def snapshot(world: World) -> dict[str, Any]:
    """A JSON-able image of the world, enough to restore it exactly."""
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
        "house": world.house,
        "companies": [
            [*(getattr(c, f) for f in _COMPANY_FIELDS), list(c.closes)]
            for c in world.companies.values()
        ],
        "accounts": [
            [
                *(getattr(a, f) for f in _ACCOUNT_FIELDS),
                a.positions,
                list(a.open_orders),
                a.selling,
                a.covering,
            ]
            for a in world.accounts.values()
        ],
        # Book queues hold orders in time priority: that order is part of the state.
        "books": {
            s: [[o.order_id for o in lvl.orders if o.live] for _, lvl in b.bids.iter_levels()]
            + [[o.order_id for o in lvl.orders if o.live] for _, lvl in b.asks.iter_levels()]
            for s, b in world.books.items()
        },
        "orders": [[getattr(o, f) for f in _ORDER_FIELDS] for o in world.orders.values()],
        "stops": {s: list(ids) for s, ids in world.stops.items()},
    }


def canonical_bytes(world: World) -> bytes:
    return json.dumps(snapshot(world), separators=(",", ":"), ensure_ascii=True).encode()


def state_hash(world: World) -> str:
    return hashlib.sha256(canonical_bytes(world)).hexdigest()


def restore(image: dict[str, Any]) -> World:
    """The world a ``snapshot`` was taken of."""
    if image["v"] != SNAPSHOT_VERSION:
        raise ValueError(f"snapshot version {image['v']} is not {SNAPSHOT_VERSION}")
    world = World(seed=image["seed"], config=SeasonConfig.model_validate(image["config"]))
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
        account.positions, account.selling, account.covering = row[n], row[n + 2], row[n + 3]
        account.open_orders = dict.fromkeys(row[n + 1])
        world.accounts[account.agent_id] = account
        world.names[account.name] = account.agent_id
    for row in image["orders"]:
        order = Order(**dict(zip(_ORDER_FIELDS, row, strict=True)))
        world.orders[order.order_id] = order
    for symbol, queues in image["books"].items():
        book = world.books[symbol] = OrderBook(symbol)
        for queue in queues:
            for order_id in queue:
                book.rest(world.orders[order_id])
    world.stops = {s: dict.fromkeys(ids) for s, ids in image["stops"].items()}
    return world
