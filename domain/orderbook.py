"""A price-time priority limit order book for one symbol, in integer cents.

The book never decides anything about accounts and never emits anything: ``plan`` reads
the opposite side and says which resting orders a taker would hit; ``fill``, ``rest``
and ``remove`` apply what the events say. That split lets ``evolve`` be the only way
state changes, and lets the matching be replayed from events alone.

Levels are kept in a sorted list of prices (``bisect``) plus a dict of FIFO queues; a
removed order is marked dead and skipped lazily, so cancel is O(1) and the queue is
compacted when its head dies.
"""

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

BUY = "BUY"
SELL = "SELL"


@dataclass(slots=True, eq=False)
class Order:
    """An open order. LIMIT orders rest in the book; MARKET and STOP ones never do."""

    order_id: int
    agent_id: str
    symbol: str
    side: str
    intent: str
    order_type: str
    price: int  # limit or stop price; 0 for MARKET
    quantity: int
    remaining: int
    reserved: int = 0  # buying power still held for this order, in cents
    tick: int = 0
    live: bool = True


@dataclass(slots=True, eq=False)
class Level:
    orders: deque[Order] = field(default_factory=deque)
    live: int = 0  # live orders in the queue
    quantity: int = 0  # live shares at this price

    def compact(self) -> None:
        orders = self.orders
        while orders and not orders[0].live:
            orders.popleft()


class Side:
    """One side of the book: levels sorted so that ``best`` is at the end of ``prices``."""

    __slots__ = ("_sign", "levels", "prices")

    def __init__(self, is_bid: bool) -> None:
        # Keys are sign*price, ascending, so the best level is prices[-1] on both sides.
        self._sign = 1 if is_bid else -1
        self.prices: list[int] = []  # keys sign*price ascending; best at the end
        self.levels: dict[int, Level] = {}

    def best_price(self) -> int | None:
        return self._sign * self.prices[-1] if self.prices else None

    def iter_levels(self) -> Iterator[tuple[int, Level]]:
        """Levels from best to worst."""
        sign, levels = self._sign, self.levels
        for key in reversed(self.prices):
            price = sign * key
            yield price, levels[price]

    def add(self, order: Order) -> None:
        level = self.levels.get(order.price)
        if level is None:
            level = Level()
            self.levels[order.price] = level
            insort(self.prices, self._sign * order.price)
        level.orders.append(order)
        level.live += 1
        level.quantity += order.remaining

    def retire(self, order: Order) -> None:
        """Take a (now dead) order's level bookkeeping out; drop the level when empty."""
        level = self.levels[order.price]
        level.live -= 1
        if level.live == 0:
            del self.levels[order.price]
            key = self._sign * order.price
            del self.prices[bisect_left(self.prices, key)]
        else:
            level.compact()

    def depth(self, levels: int) -> list[tuple[int, int, int]]:
        """(price, quantity, orders) for the best ``levels`` levels."""
        out: list[tuple[int, int, int]] = []
        for price, level in self.iter_levels():
            if len(out) == levels:
                break
            out.append((price, level.quantity, level.live))
        return out


class OrderBook:
    __slots__ = ("asks", "bids", "orders", "symbol")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.bids = Side(is_bid=True)
        self.asks = Side(is_bid=False)
        self.orders: dict[int, Order] = {}

    def side(self, side: str) -> Side:
        return self.bids if side == BUY else self.asks

    def best_bid(self) -> int | None:
        return self.bids.best_price()

    def best_ask(self) -> int | None:
        return self.asks.best_price()

    def is_crossed(self) -> bool:
        bid, ask = self.bids.best_price(), self.asks.best_price()
        return bid is not None and ask is not None and bid >= ask

    def plan(self, side: str, limit: int | None) -> Iterator[Order]:
        """Resting orders a taker on ``side`` may trade with, in priority order.

        A generator, so the caller stops when it has enough (or hits buying power); it
        never mutates the book, and the caller must not mutate it while iterating.
        ``limit`` None = market.
        """
        opposite = self.asks if side == BUY else self.bids
        for price, level in opposite.iter_levels():
            if limit is not None and (price > limit if side == BUY else price < limit):
                return
            for order in level.orders:
                if order.live:
                    yield order

    def rest(self, order: Order) -> None:
        self.orders[order.order_id] = order
        self.side(order.side).add(order)

    def fill(self, order_id: int, quantity: int) -> Order:
        """Take ``quantity`` off a resting order; it leaves the book when done."""
        order = self.orders[order_id]
        order.remaining -= quantity
        self.side(order.side).levels[order.price].quantity -= quantity
        if order.remaining == 0:
            self._drop(order)
        return order

    def remove(self, order_id: int) -> Order:
        order = self.orders[order_id]
        self.side(order.side).levels[order.price].quantity -= order.remaining
        self._drop(order)
        return order

    def _drop(self, order: Order) -> None:
        order.live = False
        del self.orders[order.order_id]
        self.side(order.side).retire(order)
