"""The world at a tick as plain JSON, derived from the world's fields.

Every field of ``World`` is written out, generically: dataclasses as objects, deques and
tuples as lists, enums as values, dicts keyed by tuples (alliances, proposals) as lists of
``{"key": [...], "value": ...}``. State added to the world later (cases, prisons) shows
up without a change here. Books are written by price level, best first.
"""

import dataclasses
from collections import deque
from collections.abc import Mapping
from enum import Enum
from typing import Any

from pydantic import BaseModel

from domain.orderbook import OrderBook, Side
from domain.state import Account, World
from replayer.pnl import pnl

NOT_STATE = frozenset({"order_rows"})  # caches kept beside the state (domain/hashing.py)


def plain(value: Any) -> Any:
    """``value`` as JSON-able data."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, OrderBook):
        return book_levels(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in NOT_STATE
        }
    if isinstance(value, dict):
        if all(isinstance(k, (str, int)) for k in value):
            return {str(k): plain(v) for k, v in value.items()}
        return [{"key": plain(k), "value": plain(v)} for k, v in value.items()]
    if isinstance(value, (list, tuple, deque)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=repr)
    return repr(value)


def _levels(side: Side) -> list[dict[str, int]]:
    out = []
    for price, level in side.iter_levels():
        if level.live:
            out.append({"price": price, "quantity": level.quantity, "orders": level.live})
    return out


def book_levels(book: OrderBook) -> dict[str, list[dict[str, int]]]:
    """Every live price level of a book, best first: price, shares, orders."""
    return {"bids": _levels(book.bids), "asks": _levels(book.asks)}


def _account(world: World, account: Account, opening: Mapping[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = plain(account)
    out["equity"], out["pnl"] = world.equity(account), pnl(world, account, opening)
    return out


def world_json(
    world: World,
    *,
    agent: str | None = None,
    symbol: str | None = None,
    opening: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The whole world (or one agent's / one symbol's part of its accounts, orders,
    companies and books) as JSON-able data; ``opening``: each agent's worth after the
    genesis (``replayer.pnl``), for its P&L."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(world):
        if f.name in NOT_STATE:
            continue
        value = getattr(world, f.name)
        if f.name == "accounts":
            out[f.name] = {
                a.agent_id: _account(world, a, opening or {})
                for a in value.values()
                if agent is None or a.agent_id == agent
            }
        elif f.name == "orders":
            out[f.name] = [
                plain(o)
                for o in value.values()
                if (agent is None or o.agent_id == agent) and (symbol is None or o.symbol == symbol)
            ]
        elif f.name in ("companies", "books", "stops") and symbol is not None:
            out[f.name] = {s: plain(v) for s, v in value.items() if s == symbol}
        else:
            out[f.name] = plain(value)
    return out
