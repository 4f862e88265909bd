"""What the SEC remembers: bounded windows fed by ``evolve``, so memory stays flat.

Every window has a documented bound (docs/rules.md, "The SEC's surveillance"):

- each agent's last ``TRADE_MEMORY`` trades (all symbols);
- each (pair of agents, symbol)'s last ``PAIR_MEMORY`` trades with each other, for the day
  (cleared at the close);
- the trades of the day's last ``CLOSE_MINUTES`` open minutes (at most ``CLOSE_MEMORY``),
  cleared at the open, with each symbol's price before its first one;
- the large resting orders away from the touch (at most ``WATCH_MEMORY``), each with the
  owner's trades on the other side while it was open (at most ``AGAINST_MEMORY``);
- the latest positive rumor of each (author, symbol), at most ``RUMOR_MEMORY`` (the
  messages a CEO sent are read from the social window, ``World.messages``);
- per (suspect, offence, symbol) the highest trade or order id already named in a
  suspicion, so a suspicion is raised again only on new evidence.

The ``tick_*`` fields are the tick's scratch: what the detectors look at this tick,
filled by ``evolve`` and emptied by ``evolve`` of ``TickClosed``; a snapshot, taken
between ticks, never holds any. Nothing here is in the state hash (rules-version-1
hashes must not move); ``dump``/``load`` carry it through snapshots.
"""

from collections import deque
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from domain.units import BPS

TRADE_MEMORY = 64
PAIR_MEMORY = 16
CLOSE_MINUTES = 10
CLOSE_MEMORY = 4_096
WATCH_MEMORY = 4_096
AGAINST_MEMORY = 16
RUMOR_MEMORY = 256
WATCH_MIN_NOTIONAL = 50_000_000  # cents ($500k): a resting order this large is watched
WATCH_AWAY_BPS = 5  # ... when it rests at least this far behind its side's best price


class Trade(NamedTuple):
    trade_id: int
    tick: int
    symbol: str
    price: int
    quantity: int
    buyer_id: str
    seller_id: str
    buyer_aggressed: bool
    before: int  # the symbol's last price before this trade


@dataclass(slots=True, eq=False)
class Watch:
    """A large order resting behind the touch: a spoof if cancelled unfilled while its
    owner trades the other side."""

    order_id: int
    agent_id: str
    symbol: str
    side: str
    price: int
    quantity: int
    tick: int
    away_bps: int
    filled: bool = False
    against: list[int] = field(default_factory=list)  # the owner's other-side trade ids


@dataclass(slots=True, eq=False)
class Surveillance:
    trades: dict[str, deque[Trade]] = field(default_factory=dict)
    pairs: dict[tuple[str, str, str], deque[Trade]] = field(default_factory=dict)
    closing: deque[Trade] = field(default_factory=lambda: deque(maxlen=CLOSE_MEMORY))
    close_ref: dict[str, int] = field(default_factory=dict)  # price before the window
    watched: dict[int, Watch] = field(default_factory=dict)
    watched_by: dict[tuple[str, str], dict[int, None]] = field(default_factory=dict)
    rumors: dict[tuple[str, str], int] = field(default_factory=dict)  # (author, sym) -> tick
    # "suspect|offence|symbol" -> [newest evidence id named, tick raised]
    raised: dict[str, list[int]] = field(default_factory=dict)
    next_suspicion_id: int = 1
    # The tick's scratch (emptied at TickClosed).
    tick_pairs: dict[tuple[str, str, str], None] = field(default_factory=dict)
    tick_sellers: dict[tuple[str, str], None] = field(default_factory=dict)
    tick_reports: list[tuple[str, int]] = field(default_factory=list)  # (symbol, surprise)
    tick_cancels: list[Watch] = field(default_factory=list)


def pair_key(a: str, b: str, symbol: str) -> tuple[str, str, str]:
    return (a, b, symbol) if a < b else (b, a, symbol)


def on_trade(
    sec: Surveillance,
    e: Any,
    prev_price: int,
    closing_window: bool,
) -> None:
    """A ``TradeExecuted``: into both parties' windows, their pair's, the close's, and
    against any large order either party rests on the other side."""
    row = Trade(
        e.trade_id,
        e.tick,
        e.symbol,
        e.price,
        e.quantity,
        e.buyer_id,
        e.seller_id,
        e.aggressor == "BUY",
        prev_price,
    )
    trades = sec.trades
    for agent in (e.buyer_id, e.seller_id):
        window = trades.get(agent)
        if window is None:
            window = trades[agent] = deque(maxlen=TRADE_MEMORY)
        window.append(row)
    key = pair_key(e.buyer_id, e.seller_id, e.symbol)
    pair = sec.pairs.get(key)
    if pair is None:
        pair = sec.pairs[key] = deque(maxlen=PAIR_MEMORY)
    pair.append(row)
    sec.tick_pairs[key] = None
    sec.tick_sellers[(e.seller_id, e.symbol)] = None
    if closing_window:
        if e.symbol not in sec.close_ref:
            sec.close_ref[e.symbol] = prev_price
        sec.closing.append(row)
    if sec.watched_by:
        _against(sec, e.buyer_id, e.symbol, "SELL", e.trade_id)
        _against(sec, e.seller_id, e.symbol, "BUY", e.trade_id)
    watched = sec.watched
    if watched:
        for order_id in (e.buy_order_id, e.sell_order_id):
            watch = watched.get(order_id)
            if watch is not None:
                watch.filled = True


def _against(sec: Surveillance, agent: str, symbol: str, side: str, trade_id: int) -> None:
    ids = sec.watched_by.get((agent, symbol))
    if ids:
        for order_id in ids:
            watch = sec.watched[order_id]
            if watch.side == side and len(watch.against) < AGAINST_MEMORY:
                watch.against.append(trade_id)


def on_order(sec: Surveillance, e: Any, best_bid: int | None, best_ask: int | None) -> None:
    """An accepted LIMIT order, with the touch it met: watched if large and behind it."""
    price = e.price or 0
    if price * e.quantity < WATCH_MIN_NOTIONAL or len(sec.watched) >= WATCH_MEMORY:
        return
    if e.side == "BUY":
        if best_bid is None or price >= best_bid:
            return
        away = (best_bid - price) * BPS // best_bid
    else:
        if best_ask is None or price <= best_ask:
            return
        away = (price - best_ask) * BPS // best_ask
    if away < WATCH_AWAY_BPS:
        return
    sec.watched[e.order_id] = Watch(
        e.order_id, e.agent_id, e.symbol, e.side, price, e.quantity, e.tick, away
    )
    sec.watched_by.setdefault((e.agent_id, e.symbol), {})[e.order_id] = None


def on_order_closed(sec: Surveillance, order_id: int, by_agent: bool) -> None:
    """A watched order left the book; one its owner cancelled unfilled is this tick's."""
    watch = sec.watched.pop(order_id, None)
    if watch is None:
        return
    key = (watch.agent_id, watch.symbol)
    ids = sec.watched_by[key]
    del ids[order_id]
    if not ids:
        del sec.watched_by[key]
    if by_agent and not watch.filled:
        sec.tick_cancels.append(watch)


def on_rumor(sec: Surveillance, tick: int, author: str, symbol: str) -> None:
    """The latest rumor per (author, symbol); the oldest goes past ``RUMOR_MEMORY``."""
    sec.rumors.pop((author, symbol), None)
    sec.rumors[(author, symbol)] = tick
    if len(sec.rumors) > RUMOR_MEMORY:
        del sec.rumors[next(iter(sec.rumors))]


def on_open(sec: Surveillance) -> None:
    sec.closing.clear()
    sec.close_ref.clear()


def on_close(sec: Surveillance) -> None:
    """Pair windows are for the day: wash trades are matched within a session."""
    sec.pairs.clear()


def on_tick_closed(sec: Surveillance) -> None:
    sec.tick_pairs.clear()
    sec.tick_sellers.clear()
    sec.tick_reports.clear()
    sec.tick_cancels.clear()


def raised_key(suspect: str, offence: str, symbol: str | None) -> str:
    return f"{suspect}|{offence}|{symbol or ''}"


def seen_id(sec: Surveillance, suspect: str, offence: str, symbol: str | None) -> int:
    """The newest trade/order id already named for (suspect, offence, symbol), or 0."""
    found = sec.raised.get(raised_key(suspect, offence, symbol))
    return found[0] if found else 0


def dump(sec: Surveillance) -> dict[str, Any]:
    """A JSON-able image (between ticks: the scratch is empty)."""
    return {
        "trades": {a: [list(t) for t in w] for a, w in sec.trades.items()},
        "pairs": [[list(k), [list(t) for t in w]] for k, w in sec.pairs.items()],
        "closing": [list(t) for t in sec.closing],
        "close_ref": dict(sec.close_ref),
        "watched": [
            [
                w.order_id,
                w.agent_id,
                w.symbol,
                w.side,
                w.price,
                w.quantity,
                w.tick,
                w.away_bps,
                w.filled,
                list(w.against),
            ]
            for w in sec.watched.values()
        ],
        "rumors": [[a, s, t] for (a, s), t in sec.rumors.items()],
        "raised": {k: list(v) for k, v in sec.raised.items()},
        "next_suspicion_id": sec.next_suspicion_id,
    }


def load(image: dict[str, Any]) -> Surveillance:
    sec = Surveillance()
    for agent, rows in image["trades"].items():
        sec.trades[agent] = deque((Trade(*r) for r in rows), maxlen=TRADE_MEMORY)
    for key, rows in image["pairs"]:
        sec.pairs[(key[0], key[1], key[2])] = deque((Trade(*r) for r in rows), maxlen=PAIR_MEMORY)
    sec.closing.extend(Trade(*r) for r in image["closing"])
    sec.close_ref = dict(image["close_ref"])
    for row in image["watched"]:
        watch = Watch(*row[:8])
        watch.filled, watch.against = row[8], list(row[9])
        sec.watched[watch.order_id] = watch
        sec.watched_by.setdefault((watch.agent_id, watch.symbol), {})[watch.order_id] = None
    sec.rumors = {(a, s): t for a, s, t in image["rumors"]}
    sec.raised = {k: list(v) for k, v in image["raised"].items()}
    sec.next_suspicion_id = image["next_suspicion_id"]
    return sec
