"""Gateway benchmark: accepted actions/s and p99 latency with 1,000 agents, the webhook
fan-out time to 1,000 agents, the webhook lag while the engine ticks at its pace, and the
outcome lag: how many ticks after the deciding tick closed an agent polling
``GET /api/v1/actions/{id}`` first sees its outcome (``outcome_p99_ticks``).
Self-contained: embedded NATS on a temp dir, a season, the read model on a temp SQLite
file, the app on a free port, local webhook receivers.

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nats.aio.client import Client

from gateway.auth import hash_key, mint_key
from gateway.deps import GatewaySettings
from gateway.runtime import running_gateway
from gateway.webhooks import FanoutReport, WebhookDispatcher
from schemas.commands import RegisterAgent
from schemas.config import PopulationConfig, SeasonConfig
from schemas.enums import Role
from schemas.events import TickClosed
from wss.engine import TickReport
from wss.gctuning import tune_gc_for_serving
from wss.natsserver import EmbeddedNats, connect, free_port
from wss.season import create_season, run_engine
from wss.seasonlog import SeasonLog
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


async def _exchange(
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes
) -> tuple[int, bytes]:
    reader, writer = conn
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return int(head.split(b" ", 2)[1]), await reader.readexactly(length)


async def _outcome_agent(  # noqa: PLR0917 - one coroutine per simulated agent
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    host: str,
    key: str,
    name: str,
    rounds: int,
    poll: float,
    out: list[tuple[int, float]],
) -> None:
    """Send an action, poll its outcome until decided, record (outcome tick, when seen)."""
    auth = f"Host: {host}\r\nAuthorization: Bearer {key}\r\n"
    try:
        for r in range(rounds):
            command_id = f"o-{name}-{r}"
            body = ACTION[:-1] + f',"command_id":"{command_id}"}}'.encode()
            post = (
                f"POST /api/v1/actions HTTP/1.1\r\n{auth}Content-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            get = f"GET /api/v1/actions/{command_id} HTTP/1.1\r\n{auth}\r\n".encode()
            status, _ = await _exchange(conn, post)
            if status != 202:
                continue
            while True:
                await asyncio.sleep(poll)
                status, answer = await _exchange(conn, get)
                decided = json.loads(answer) if status == 200 else {}
                if decided.get("status") in ("accepted", "rejected"):
                    out.append((int(decided["outcome"]["tick"]), time.monotonic()))
                    break
    finally:
        conn[1].close()


async def _outcomes(spec: dict[str, Any]) -> dict[str, Any]:
    keys: list[str] = spec["keys"]
    conns = [await asyncio.open_connection(spec["host"], spec["port"]) for _ in keys]
    seen: list[tuple[int, float]] = []
    await asyncio.gather(
        *(
            _outcome_agent(
                conn, spec["host"], key, str(i), int(spec["rounds"]), float(spec["poll"]), seen
            )
            for i, (conn, key) in enumerate(zip(conns, keys, strict=True))
        )
    )
    return {"seen": seen}


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


def _p99(values: list[int]) -> int:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 99 // 100) - 1)] if ordered else 0


async def _bench(  # noqa: PLR0917 - the bench's knobs
    agents: int, rate: float, per_agent: int, receivers: int, ticks: int, tick_ms: int
) -> dict[str, Any]:
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
                tune_gc_for_serving()  # as `wss run` does once it serves
                state: Any = gw.server.config.app.state  # type: ignore[union-attr]
                app_gw, live = state.gateway, state.webhooks
                first = await _ticks(nc, server.url, log, Path(tmp), 1, 0)
                async with asyncio.timeout(60):  # every agent in the read model, webhooks quiet
                    while True:
                        from gateway.readmodel import callback_agents  # noqa: PLC0415

                        if len(await callback_agents(gw.deps.db, log.season)) >= agents and any(
                            r.tick == first for r in live.reports
                        ):
                            break
                        await asyncio.sleep(0.05)
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
                dispatcher = WebhookDispatcher(
                    gw.deps, app_gw.actions, app_gw.clock, app_gw.refusals
                )
                closed = TickClosed(
                    tick=1,
                    sim_time="",
                    first_command_seq=0,
                    last_command_seq=0,
                    commands=0,
                    events=0,
                    state_hash="",
                )
                # The fan-out alone, back to back.
                fanouts = [await dispatcher.dispatch(0, closed, {}) for _ in range(3)]
                await dispatcher.stop()
                # Live: the engine ticks at its pace and the app's dispatcher follows it.
                last = await _ticks(nc, server.url, log, Path(tmp), ticks, tick_ms)
                async with asyncio.timeout(30):  # the last tick's fan-out
                    while not any(r.tick == last for r in live.reports):  # noqa: ASYNC110
                        await asyncio.sleep(0.05)
                lived: list[FanoutReport] = [r for r in live.reports if r.tick > first]
                lags = await _outcome_latency(
                    nc,
                    server.url,
                    log,
                    Path(tmp),
                    {"host": LOOPBACK, "port": port, "keys": keys, "rounds": 3, "poll": 0.25},
                    tick_ms,
                )
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
        "live_ticks": ticks,
        "live_tick_ms": tick_ms,
        "live_fanouts": len(lived),
        "live_fanout_ms_p99": round(_p99([round(r.seconds * 1000) for r in lived]), 1),
        "live_delivered_min": min((r.delivered for r in lived), default=0),
        "webhook_lag_p99_ticks": _p99([lag for r in lived for lag in r.lag_ticks()]),
        "webhook_lag_max_ticks": max((lag for r in lived for lag in r.lag_ticks()), default=0),
        "outcomes_seen": len(lags),
        "outcome_p99_ticks": _p99(lags),
        "outcome_max_ticks": max(lags, default=0),
    }


async def _ticks(  # noqa: PLR0917 - what run_engine needs
    nc: Client,
    nats_url: str,
    log: SeasonLog,
    home: Path,
    ticks: int,
    tick_ms: int,
    on_tick: Callable[[TickReport], None] = lambda _r: None,
) -> int:
    """Run ``ticks`` ticks at ``tick_ms``; returns the last tick."""
    result = await run_engine(
        nc,
        nats_url,
        log,
        Settings(home=home, snapshot_every=0),
        ticks=ticks,
        tick_ms=tick_ms,
        stop=asyncio.Event(),
        on_tick=on_tick,
    )
    return result.tick


async def _outcome_latency(  # noqa: PLR0917 - the phase's knobs
    nc: Client, nats_url: str, log: SeasonLog, home: Path, spec: dict[str, Any], tick_ms: int
) -> list[int]:
    """Agents post and poll their outcomes while the engine ticks: for each outcome, how
    many ticks had closed after the one that decided it when the agent first saw it."""
    closed: list[tuple[float, int]] = []  # (when committed, tick)

    def committed(report: TickReport) -> None:
        closed.append((time.monotonic(), report.tick))

    ticks = int(spec["rounds"]) * 3 + 5
    engine = asyncio.create_task(
        _ticks(
            nc,
            nats_url,
            log,
            home,
            ticks,
            tick_ms,
            committed,
        )
    )
    try:
        async with asyncio.timeout(60):  # the first tick eats what the load phase left
            while len(closed) < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        seen = (await _run_load_process({**spec, "mode": "outcomes"}))["seen"]
    finally:
        await engine
    lags = []
    for decided_tick, when in seen:
        latest = max((t for at, t in closed if at <= when), default=decided_tick)
        lags.append(max(0, latest - decided_tick))
    return lags


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


def bench_gateway(  # noqa: PLR0917 - the bench's knobs
    agents: int = 1000,
    rate: float = 2200.0,  # offered 10% above the 2,000/s floor, so meeting it shows
    per_agent: int = 20,
    receivers: int = 8,
    ticks: int = 20,
    tick_ms: int = 1000,
) -> dict[str, Any]:
    """Run the gateway bench; returns actions_per_s, p99_ms, webhook_fanout_ms and
    webhook_lag_p99_ticks (and more)."""
    return asyncio.run(_bench(agents, rate, per_agent, receivers, ticks, tick_ms))


if __name__ == "__main__":
    if sys.argv[1:] == ["load"]:
        spec = json.load(sys.stdin)
        run = _outcomes if spec.get("mode") == "outcomes" else _load
        print(json.dumps(asyncio.run(run(spec))))  # noqa: T201
    else:
        print(json.dumps(bench_gateway(), indent=2))  # noqa: T201
