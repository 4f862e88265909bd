"""Seasons run by the real engine on a real nats-server, with external agents trading."""

from __future__ import annotations

import random
from dataclasses import dataclass

from nats.aio.client import Client

from schemas import commands as cmd
from schemas.config import PopulationConfig, SeasonConfig
from schemas.enums import OrderType, Role
from wss.engine import Engine
from wss.lease import Lease
from wss.season import create_season
from wss.seasonlog import SeasonLog

CONFIG = SeasonConfig(
    symbols=3,
    open_ticks_per_day=30,
    after_hours_ticks=5,
    fee_bps=2,
    population=PopulationConfig(
        market_makers=2, noise_traders=6, momentum_traders=1, value_traders=1
    ),
)
AGENTS = ("alice", "bob")


@dataclass
class Ran:
    log: SeasonLog
    hashes: list[str]  # state hash after each tick, genesis first


async def run_season(nc: Client, ticks: int, seed: int = 7, config: SeasonConfig = CONFIG) -> Ran:
    """Genesis, the agents' registration at tick 1, then seeded orders and cancels."""
    log = await create_season(nc, seed=seed, config=config)
    lease = Lease(log.js, log.season, ttl=30)
    await lease.acquire()
    engine = Engine(log, lease, None, 1)
    rng = random.Random(seed)
    hashes: list[str] = []
    try:
        await engine.recover()
        report = await engine.tick(at_least=1)
        assert report is not None
        hashes.append(report.state_hash)
        symbols = list(engine.world.companies)
        for tick in range(1, ticks + 1):
            last = None
            for command in _commands(tick, rng, symbols, engine):
                last, _ = await log.submit(command)
            report = await engine.tick(at_least=last)
            assert report is not None
            hashes.append(report.state_hash)
    finally:
        await engine.close()
        await lease.release()
    return Ran(log, hashes)


def _commands(
    tick: int, rng: random.Random, symbols: list[str], engine: Engine
) -> list[cmd.CommandBase]:
    if tick == 1:
        return [
            cmd.RegisterAgent(
                command_id=f"reg-{a}",
                agent_id=a,
                name=a,
                role=Role.RETAIL_TRADER,
                api_key_hash="0" * 64,
            )
            for a in AGENTS
        ]
    out: list[cmd.CommandBase] = []
    for agent in AGENTS:
        symbol = rng.choice(symbols)
        price = engine.world.companies[symbol].last_price
        kind = rng.choice((cmd.Buy, cmd.Sell, cmd.Buy))
        if rng.random() < 0.5:
            out.append(
                kind(
                    command_id=f"{tick}-{agent}",
                    agent_id=agent,
                    symbol=symbol,
                    quantity=rng.randint(1, 50),
                    order_type=OrderType.MARKET,
                )
            )
        else:
            limit = price + rng.randint(-3, 3) * max(price // 200, 1)
            out.append(
                kind(
                    command_id=f"{tick}-{agent}",
                    agent_id=agent,
                    symbol=symbol,
                    quantity=rng.randint(1, 50),
                    price=max(limit, 1),
                )
            )
        mine = [o for o in engine.world.orders.values() if o.agent_id == agent]
        if mine and rng.random() < 0.3:  # cancels name order ids: a fork may not have them
            out.append(
                cmd.CancelOrder(
                    command_id=f"{tick}-{agent}-c", agent_id=agent, order_id=mine[0].order_id
                )
            )
    return out
