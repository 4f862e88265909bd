"""Matching benchmarks: the bare order book, and commands through ``domain.step``."""

import random
import time
from collections.abc import Iterator
from typing import Any

from domain import World, context_for, step
from domain.orderbook import BUY, SELL, Order, OrderBook
from domain.simulate import start_command
from schemas import commands as cmd
from schemas.config import PopulationConfig, SeasonConfig
from schemas.enums import OrderType, Role

PEAK_RESTING = 120_000
MIXED_OPS = 200_000


def _limit(book: OrderBook, order: Order) -> None:
    """Match a limit order against the book, then rest what is left: what step does."""
    fills = []
    wanted = order.remaining
    for maker in book.plan(order.side, order.price if order.order_type == "LIMIT" else None):
        take = min(wanted, maker.remaining)
        fills.append((maker.order_id, take))
        wanted -= take
        if wanted == 0:
            break
    for maker_id, take in fills:
        book.fill(maker_id, take)
    order.remaining = wanted
    if wanted and order.order_type == "LIMIT":
        book.rest(order)


def bench_book(seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    book = OrderBook("BENCH")
    mid = 10_000
    next_id = 1
    resting: list[int] = []

    def new(side: str, kind: str, price: int) -> Order:
        nonlocal next_id
        next_id += 1
        qty = rng.randrange(1, 500)
        return Order(next_id, f"a{rng.randrange(1000)}", "BENCH", side, side, kind, price, qty, qty)

    # Build up the peak: non-crossing limits on both sides.
    for _ in range(PEAK_RESTING):
        side = BUY if rng.randrange(2) else SELL
        offset = rng.randrange(1, 500)
        order = new(side, "LIMIT", mid - offset if side == BUY else mid + offset)
        book.rest(order)
        resting.append(order.order_id)
    peak = len(book.orders)
    ops: list[tuple[str, Any]] = []
    for _ in range(MIXED_OPS):
        roll = rng.randrange(100)
        side = BUY if rng.randrange(2) else SELL
        if roll < 50:
            offset = rng.randrange(-20, 480)  # some cross the spread
            ops.append(("limit", new(side, "LIMIT", mid - offset if side == BUY else mid + offset)))
        elif roll < 65:
            ops.append(("market", new(side, "MARKET", 0)))
        else:
            ops.append(("cancel", resting[rng.randrange(len(resting))]))
    latencies = []
    clock = time.perf_counter_ns
    started = clock()
    for kind, payload in ops:
        t0 = clock()
        if kind == "cancel":
            if payload in book.orders:
                book.remove(payload)
        else:
            _limit(book, payload)
            if kind == "limit" and payload.remaining:
                resting.append(payload.order_id)
        latencies.append(clock() - t0)
    elapsed = (clock() - started) / 1e9
    latencies.sort()
    return {
        "ops": len(ops),
        "peak_resting": peak,
        "ops_per_s": round(len(ops) / elapsed),
        "p50_us": round(latencies[len(latencies) // 2] / 1000, 2),
        "p99_us": round(latencies[int(len(latencies) * 0.99)] / 1000, 2),
        "crossed": book.is_crossed(),
    }


def _step_season(
    world: World, seed: int, agents: int, ticks: int, per_tick: int, *, sec: bool
) -> Iterator[tuple[int, float]]:
    """Yields (commands, seconds in ``step``) tick by tick; ``sec=False`` runs the same
    season with the SEC's surveillance switched off (no windows, no detectors)."""
    config = SeasonConfig(symbols=20, population=PopulationConfig())
    step(world, [start_command(seed, config)], context_for(world, 0))
    if not sec:
        world.sec = None  # evolve then feeds no window and the SEC's phase does nothing
    registrations = [
        cmd.RegisterAgent(
            command_id=f"r{n}",
            agent_id=f"b{n}",
            name=f"bench-{n}",
            role=Role.HEDGE_FUND_MANAGER,
            api_key_hash="0" * 64,
        )
        for n in range(agents)
    ]
    step(world, registrations, context_for(world, 1))
    rng = random.Random(seed)
    symbols = list(world.companies)
    for tick in range(2, ticks + 2):
        batch: list[cmd.CommandBase] = []
        for n in range(per_tick):
            agent = f"b{rng.randrange(agents)}"
            account = world.accounts[agent]
            roll = rng.randrange(100)
            if roll < 25 and account.open_orders:
                order_id = next(iter(account.open_orders))
                batch.append(
                    cmd.CancelOrder(command_id=f"c{tick}.{n}", agent_id=agent, order_id=order_id)
                )
                continue
            symbol = symbols[rng.randrange(len(symbols))]
            last = world.companies[symbol].last_price
            kind = cmd.Buy if rng.randrange(2) else cmd.Sell
            if kind is cmd.Sell and account.positions.get(symbol, 0) <= 0:
                kind = cmd.Buy
            qty = rng.randrange(1, 20)
            if kind is cmd.Sell:
                qty = min(qty, account.positions.get(symbol, 0))
                if qty <= 0:
                    kind, qty = cmd.Buy, 1
            if roll < 40:
                batch.append(
                    kind(
                        command_id=f"c{tick}.{n}",
                        agent_id=agent,
                        symbol=symbol,
                        order_type=OrderType.MARKET,
                        quantity=qty,
                    )
                )
            else:
                price = last + rng.randrange(-last // 100, last // 100 + 1)
                batch.append(
                    kind(
                        command_id=f"c{tick}.{n}",
                        agent_id=agent,
                        symbol=symbol,
                        order_type=OrderType.LIMIT,
                        quantity=qty,
                        price=max(1, price),
                    )
                )
        t0 = time.perf_counter()
        events = step(world, batch, context_for(world, tick))
        yield len(batch), time.perf_counter() - t0
        assert len(events) >= len(batch)


def bench_step(
    seed: int = 11, agents: int = 1_000, ticks: int = 10, per_tick: int = 10_000
) -> dict[str, Any]:
    """The same season with the SEC on and off, their ticks interleaved (which goes first
    alternates) so that a busy machine slows both alike."""
    worlds = {True: World(), False: World()}
    runs = {on: _step_season(w, seed, agents, ticks, per_tick, sec=on) for on, w in worlds.items()}
    total = dict.fromkeys(runs, 0)
    elapsed = dict.fromkeys(runs, 0.0)
    ratios: list[float] = []  # per tick: SEC-on seconds per command over SEC-off's
    for tick in range(ticks):
        per_command: dict[bool, float] = {}
        for on in (True, False) if tick % 2 else (False, True):
            commands, seconds = next(runs[on])
            total[on] += commands
            elapsed[on] += seconds
            per_command[on] = seconds / commands
        ratios.append(per_command[True] / per_command[False])
    ratios.sort()
    return {
        "step_commands": total[True],
        "step_commands_per_s": round(total[True] / elapsed[True]),
        "step_commands_per_s_sec_off": round(total[False] / elapsed[False]),
        # the median tick's cost: a load spike on the shared machine hits one tick, not it
        "sec_step_cost_pct": round(100 * (ratios[len(ratios) // 2] - 1), 1),
        "open_orders_at_end": len(worlds[True].orders),
    }


def bench_match() -> dict[str, Any]:
    book = bench_book()
    steps = bench_step()
    return {"bench": "match", **book, **steps}
