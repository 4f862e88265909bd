"""Gateway benchmark: accepted actions/s and p99 latency with 1,000 agents, and the webhook
fan-out time to 1,000 agents. Self-contained: embedded NATS on a temp dir, a season, the
read model on a temp SQLite file, the app on a free port, local webhook receivers.

The load generator runs in a child process (``python -m gateway.bench load``) over raw
keep-alive sockets, so the measuring client does not steal the server's event loop. It is
open-loop: each agent sends at a fixed pace, so latency is the server's, not a queue the
client built itself.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from gateway.auth import hash_key, mint_key
from gateway.deps import GatewaySettings
from gateway.runtime import running_gateway
from gateway.webhooks import TickMail, WebhookDispatcher
from schemas.commands import RegisterAgent
from schemas.config import PopulationConfig, SeasonConfig
from schemas.enums import Role
from schemas.events import TickClosed
from wss.natsserver import EmbeddedNats, connect, free_port
from wss.season import create_season, run_engine
from wss.settings import Settings

__all__ = ["bench_gateway"]

LOOPBACK = "127.0.0.1"
ACTION = b'{"type":"BUY","symbol":"AAAA","quantity":1,"price":100}'


# --- the load generator (child process) ---------------------------------------------------


async def _agent(  # noqa: PLR0917 - one coroutine per simulated agent
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    host: str,
    key: str,
    start: float,
    every: float,
    count: int,
    out: list[float],
    errors: list[int],
) -> None:
    reader, writer = conn
    request = (
        f"POST /api/v1/actions HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(ACTION)}\r\n\r\n"
    ).encode() + ACTION
    loop = asyncio.get_running_loop()
    try:
        for i in range(count):
            delay = start + max(i, 0) * every - loop.time()
            if i >= 0 and delay > 0:
                await asyncio.sleep(delay)
            began = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if i < 0:
                continue
            out.append(time.perf_counter() - began)
            if status != 202:
                errors.append(status)
    finally:
        writer.close()


async def _load(spec: dict[str, Any]) -> dict[str, Any]:
    keys: list[str] = spec["keys"]
    rate, per_agent = float(spec["rate"]), int(spec["per_agent"])
    every = len(keys) / rate  # each agent's interval so that all together send ``rate``/s
    loop = asyncio.get_running_loop()
    # Connect first: the timed part measures requests, not TCP handshakes.
    conns = [await asyncio.open_connection(spec["host"], spec["port"]) for _ in keys]
    t0 = loop.time() + 1.0
    latencies: list[float] = []
    errors: list[int] = []
    began = time.perf_counter()
    await asyncio.gather(
        *(
            _agent(
                conn,
                spec["host"],
                key,
                t0 + i * every / len(keys),
                every,
                per_agent,
                latencies,
                errors,
            )
            for i, (conn, key) in enumerate(zip(conns, keys, strict=True))
        )
    )
    elapsed = time.perf_counter() - began - 1.0
    latencies.sort()
    ok = len(latencies) - len(errors)
    return {
        "requests": len(latencies),
        "accepted": ok,
        "errors": sorted(set(errors)),
        "seconds": elapsed,
        "actions_per_s": ok / elapsed if elapsed > 0 else 0.0,
        "p50_ms": latencies[len(latencies) // 2] * 1000 if latencies else 0.0,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0,
    }


# --- webhook receivers ----------------------------------------------------------------------


async def _receiver(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            writer.write(reply)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


# --- the bench ------------------------------------------------------------------------------


async def _bench(agents: int, rate: float, per_agent: int, receivers: int) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="wss-gw-bench-") as tmp,
        EmbeddedNats(Path(tmp) / "nats") as server,
    ):
        nc = await connect(server.url)
        try:
            log = await create_season(
                nc,
                1,
                SeasonConfig(
                    symbols=4,
                    population=PopulationConfig(
                        market_makers=1, noise_traders=0, momentum_traders=0, value_traders=0
                    ),
                ),
            )
            servers = [
                await asyncio.start_server(_receiver, LOOPBACK, free_port())
                for _ in range(receivers)
            ]
            ports = [s.sockets[0].getsockname()[1] for s in servers]
            keys = [mint_key() for _ in range(agents)]
            for i, key in enumerate(keys):  # registrations, with callbacks, on the log
                await log.submit(
                    RegisterAgent(
                        command_id=f"r{i}",
                        agent_id=f"bench-{i}",
                        name=f"bench-{i}",
                        role=Role.RETAIL_TRADER,
                        api_key_hash=hash_key(key),
                        callback_url=f"http://{LOOPBACK}:{ports[i % receivers]}/hook/{i}",
                    )
                )
            settings = GatewaySettings(
                allow_private_callbacks=True,
                register_wait_seconds=0.0,
                webhooks_enabled=False,
                actions_per_tick=per_agent + 1,
                orders_per_minute=max(100, per_agent),
                webhook_concurrency=256,
            )
            port = free_port()
            async with running_gateway(
                log,
                port=port,
                settings=settings,
                database=f"sqlite+aiosqlite:///{tmp}/read.db",
                sse=False,
            ) as gw:
                await run_engine(
                    nc,
                    server.url,
                    log,
                    Settings(home=Path(tmp), snapshot_every=0),
                    ticks=1,
                    tick_ms=0,
                    stop=asyncio.Event(),
                    on_tick=lambda _r: None,
                )
                async with asyncio.timeout(60):  # the read model shows every agent
                    while True:
                        from gateway.readmodel import callback_agents  # noqa: PLC0415

                        if len(await callback_agents(gw.deps.db, log.season)) >= agents:
                            break
                        await asyncio.sleep(0.05)
                app_gw = gw.server.config.app.state.gateway  # type: ignore[union-attr]
                for i, key in enumerate(keys):  # as if registered through this gateway
                    app_gw.auth.remember(hash_key(key), f"bench-{i}")
                load = await _run_load_process(
                    {
                        "host": LOOPBACK,
                        "port": port,
                        "keys": keys,
                        "rate": rate,
                        "per_agent": per_agent,
                    }
                )
                dispatcher = WebhookDispatcher(gw.deps, app_gw.actions, app_gw.clock)
                closed = TickClosed(
                    tick=1,
                    sim_time="",
                    first_command_seq=0,
                    last_command_seq=0,
                    commands=0,
                    events=0,
                    state_hash="",
                )
                fanouts = []
                for _ in range(3):
                    report = await dispatcher.dispatch(0, closed, TickMail())
                    fanouts.append(report)
                await dispatcher.stop()
            for s in servers:
                s.close()
        finally:
            await nc.drain()
    best = min(fanouts, key=lambda r: r.seconds)
    return {
        "agents": agents,
        "actions_per_s": round(load["actions_per_s"], 1),
        "p99_ms": round(load["p99_ms"], 2),
        "p50_ms": round(load["p50_ms"], 2),
        "requests": load["requests"],
        "errors": load["errors"],
        "webhook_fanout_ms": round(best.seconds * 1000, 1),
        "webhook_delivered": best.delivered,
        "webhook_fanout_ms_all": [round(r.seconds * 1000, 1) for r in fanouts],
    }


async def _run_load_process(spec: dict[str, Any]) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway.bench",
        "load",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate(json.dumps(spec).encode())
    if proc.returncode != 0:
        raise RuntimeError("the load generator failed")
    result: dict[str, Any] = json.loads(out)
    return result


def bench_gateway(
    agents: int = 1000, rate: float = 2000.0, per_agent: int = 10, receivers: int = 8
) -> dict[str, Any]:
    """Run the gateway bench; returns actions_per_s, p99_ms and webhook_fanout_ms (and more)."""
    return asyncio.run(_bench(agents, rate, per_agent, receivers))


if __name__ == "__main__":
    if sys.argv[1:] == ["load"]:
        print(json.dumps(asyncio.run(_load(json.load(sys.stdin)))))  # noqa: T201
    else:
        print(json.dumps(bench_gateway(), indent=2))  # noqa: T201
