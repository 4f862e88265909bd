"""Stop orders: when a STOP fires, and how far one command's cascade of stops may run.

A pending stop is checked against every trade print of its symbol, as exchanges elect
stops on each trade, so a price touched in the middle of a walk and left again still
fires it. A fired stop does not interrupt the walk that printed the trade (that walk was
planned against the book as it stood): it is queued, and the queue runs once the walk is
done, in the order the stops fired (stops fired by the same print: oldest first). A stop
whose trigger the last price has already reached when it is accepted fires at once.
"""

from collections import deque

from domain.context import Recorder
from domain.orderbook import BUY, Order
from schemas import events as ev

STOP_CASCADE_LIMIT = 1_000  # stop orders triggered by one command, at most


def reached(stop: Order, price: int) -> bool:
    """A buy stop fires at or above its trigger, a sell stop at or below."""
    return price >= stop.price if stop.side == BUY else price <= stop.price


class Fired:
    """The stops fired while one command is decided, waiting for their turn to execute."""

    __slots__ = ("count", "queue")

    def __init__(self) -> None:
        self.queue: deque[Order] = deque()
        self.count = 0  # stops fired by this command so far, capped by STOP_CASCADE_LIMIT

    def on_print(self, rec: Recorder, symbol: str, price: int) -> None:
        """A trade printed at ``price``: fire every pending stop it reaches, oldest first."""
        world = rec.world
        pending = world.stops[symbol]
        hit = [o for o in map(world.orders.__getitem__, pending) if reached(o, price)]
        for stop in hit:
            self.fire(rec, stop, price)

    def on_acceptance(self, rec: Recorder, stop: Order) -> None:
        """A stop already through the market (by the last trade price) fires at once."""
        last = rec.world.companies[stop.symbol].last_price
        if reached(stop, last):
            self.fire(rec, stop, last)

    def fire(self, rec: Recorder, stop: Order, price: int) -> None:
        # The cap ends a runaway cascade; a stop left pending fires on a later print.
        if self.count == STOP_CASCADE_LIMIT:
            return
        self.count += 1
        rec.emit(
            ev.OrderTriggered(
                tick=rec.tick, order_id=stop.order_id, symbol=stop.symbol, last_price=price
            )
        )
        self.queue.append(stop)
