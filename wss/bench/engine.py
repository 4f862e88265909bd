"""``wss bench engine``: external agents' orders through JetStream and the engine.

Each tick, every scripted agent publishes one order to the command stream (pipelined),
then the engine runs the tick; a tick's latency is from its first command publish to
the acknowledgement of its ``TickClosed``. Peak memory is measured in a child process
running the engine with 10,000 agents on 50 symbols.
"""

import asyncio
import resource
import subprocess
import sys
import time
from typing import Any

from nats.js import api

from schemas import commands as cmd
from schemas.config import SeasonConfig
from schemas.enums import OrderType, Role
from wss.bench.harness import percentile, scratch_nats, stream_disk_bytes
from wss.engine import Engine
from wss.lease import Lease
from wss.season import create_season
from wss.seasonlog import LOG_COMPRESSION, SeasonLog
from wss.streams import MSG_ID


async def _publish(log: SeasonLog, commands: list[cmd.CommandBase]) -> int:
    """Publish pipelined; returns the last stream sequence."""
    s = log.streams
    futures = [
        await log.js.publish_async(
            s.command_subject(c.type),
            c.model_dump_json().encode(),
            headers={MSG_ID: s.command_msg_id(c.agent_id, c.command_id)},
        )
        for c in commands
    ]
    acks = await asyncio.gather(*futures)
    return int(max(ack.seq for ack in acks))


def _orders(engine: Engine, agents: int, tick: int) -> list[cmd.CommandBase]:
    symbols = list(engine.world.companies)
    out: list[cmd.CommandBase] = []
    for n in range(agents):
        agent = f"bench-{n}"
        symbol = symbols[n % len(symbols)]
        held = (
            engine.world.accounts[agent].positions.get(symbol, 0)
            if agent in engine.world.accounts
            else 0
        )
        kind = cmd.Sell if held > 0 else cmd.Buy
        qty = min(held, 5) if held > 0 else 5
        last = engine.world.companies[symbol].last_price
        if (n + tick) % 2:
            out.append(
                kind(
                    command_id=f"t{tick}",
                    agent_id=agent,
                    symbol=symbol,
                    order_type=OrderType.MARKET,
                    quantity=qty,
                )
            )
        else:
            price = last + (last // 200 if kind is cmd.Buy else -last // 200)
            out.append(
                kind(
                    command_id=f"t{tick}",
                    agent_id=agent,
                    symbol=symbol,
                    order_type=OrderType.LIMIT,
                    quantity=qty,
                    price=max(price, 1),
                )
            )
    return out


async def _run(
    agents: int,
    ticks: int,
    symbols: int,
    compression: api.StoreCompression = LOG_COMPRESSION,
) -> dict[str, Any]:
    async with scratch_nats() as (conn, settings):
        config = SeasonConfig(symbols=symbols)
        log = await create_season(conn.nc, seed=1, config=config, compression=compression)
        lease = Lease(log.js, log.season, ttl=30)
        await lease.acquire()
        engine = Engine(log, lease, snapshots=None, snapshot_every=1)
        await engine.recover()
        await engine.tick(at_least=1)  # genesis: StartSeason is command 1
        registered = await _publish(
            log,
            [
                cmd.RegisterAgent(
                    command_id="register",
                    agent_id=f"bench-{n}",
                    name=f"bench-{n}",
                    role=Role.HEDGE_FUND_MANAGER,
                    api_key_hash="0" * 64,
                )
                for n in range(agents)
            ],
        )
        await engine.tick(at_least=registered)
        latencies: list[float] = []
        total_commands = accepted = 0
        began = time.perf_counter()
        for tick in range(ticks):
            t0 = time.perf_counter()
            last = await _publish(log, _orders(engine, agents, tick))
            report = await engine.tick(at_least=last)
            assert report is not None
            latencies.append((time.perf_counter() - t0) * 1000)
            total_commands += report.commands
            accepted += report.accepted
        elapsed = time.perf_counter() - began
        await engine.close()
        await lease.release()
        streams = (log.streams.command_stream, log.streams.event_stream)
        log_bytes = sum(stream_disk_bytes(settings.nats_dir, name) for name in streams)
        read_began, events = time.perf_counter(), 0
        async for page in log.read(log.streams.event_stream, 1, engine.event_seq):
            events += len(page)  # what a replay or a projection rebuild reads first
        read_seconds = time.perf_counter() - read_began
        return {
            "agents": agents,
            "symbols": symbols,
            "ticks": ticks,
            "commands": total_commands,
            "commands_per_s": round(total_commands / elapsed),
            "orders_accepted": accepted,
            "tick_p50_ms": round(percentile(latencies, 0.5), 1),
            "tick_p99_ms": round(percentile(latencies, 0.99), 1),
            "log_compression": compression.value,
            "log_bytes_per_tick": round(log_bytes / (ticks + 2)),  # + genesis, registration
            "log_read_events_per_s": round(events / read_seconds),
            "peak_rss_self_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }


def _memory_probe(agents: int = 10_000, symbols: int = 50, ticks: int = 5) -> int:
    """Peak RSS (MiB) of a fresh process running the engine at the memory floor's size."""
    code = (
        "import asyncio, json, resource\n"
        "from wss.bench.engine import _run\n"
        f"r = asyncio.run(_run({agents}, {ticks}, {symbols}))\n"
        "print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
    )
    argv = [sys.executable, "-c", code]  # our own interpreter running our own code
    out = subprocess.run(argv, capture_output=True, text=True, check=True)  # noqa: S603
    return round(int(out.stdout.strip().splitlines()[-1]) / 1024)


def bench_engine(agents: int = 1_000, ticks: int = 30) -> dict[str, Any]:
    result = asyncio.run(_run(agents, ticks, symbols=20))
    result["peak_rss_mb"] = _memory_probe()
    result["peak_rss_agents"], result["peak_rss_symbols"] = 10_000, 50
    return {"bench": "engine", **result}


def bench_disk(agents: int = 1_000, ticks: int = 60) -> dict[str, Any]:
    """The log's bytes on disk per tick and the tick latency, without and with S2."""
    runs = {c.value: asyncio.run(_run(agents, ticks, 20, c)) for c in api.StoreCompression}
    keep = (
        "log_bytes_per_tick",
        "log_read_events_per_s",
        "tick_p50_ms",
        "tick_p99_ms",
        "commands_per_s",
    )
    plain, s2 = runs["none"]["log_bytes_per_tick"], runs["s2"]["log_bytes_per_tick"]
    return {
        "bench": "disk",
        "agents": agents,
        "ticks": ticks,
        **{f"{name}_{key}": run[key] for name, run in runs.items() for key in keep},
        "s2_ratio": round(s2 / plain, 3) if plain else None,
    }
