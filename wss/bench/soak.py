"""``wss bench soak``: does one ``wss run`` stay flat in memory and threads under load?

A real ``wss run`` (new season, ``--tick-ms 100``, embedded NATS, SQLite, chDB) serves
``--agents`` agents that act as the examples do, each once a tick over HTTP: read the
tick, place an order near the last price, read their portfolio, the leaderboard and a
price history (the chDB path). Every few seconds the server process's RSS and thread
count are read from ``/proc``. The figures are the least-squares slopes over the second
half of the samples (after warm-up: caches and pools filling to their bounds), per 1,000
ticks, and the thread names that grew. With ``WSS_TRACEMALLOC=DIR`` set the server dumps
a tracemalloc snapshot at the half and at the end (see ``wss.memtrace``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from gateway.client import WssApiError, WssClient
from wss.memtrace import DUMP_SIGNAL
from wss.memtrace import ENV as TRACEMALLOC_ENV
from wss.natsserver import free_port

SAMPLE_SECONDS = 5.0
TICK_MS = 100


def _proc(pid: int) -> tuple[float, int]:
    """(RSS in MiB, threads) of a live process."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["Threads"])


def _thread_names(pid: int) -> Counter[str]:
    names: Counter[str] = Counter()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            names[(task / "comm").read_text().strip()] += 1
    return names


def _slope(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0


async def _agent(url: str, n: int, stop: asyncio.Event) -> tuple[int, int]:
    """One agent acting once a tick; returns (requests made, requests failed)."""
    requests = failed = 0
    # Each agent from its own loopback address: registrations are throttled per address.
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.{1 + n // 250}.{1 + n % 250}")
    http = httpx.AsyncClient(base_url=url, timeout=60, transport=transport, trust_env=False)
    async with http, WssClient(url, http=http, retry_attempts=2) as client:
        symbols: list[str] = []
        while not symbols and not stop.is_set():
            try:  # a slow answer on a loaded machine: register again under a new name
                await client.register(f"soak-{n}-{failed}", "hedge_fund_manager")
                await client.wait_registered(wait_seconds=120)
                symbols = [s["symbol"] for s in await client.stocks()]
            except (httpx.HTTPError, WssApiError):
                failed += 1
        last_tick = -1
        while not stop.is_set():
            try:
                tick = await client.tick()
                requests += 1
                if tick == last_tick:
                    await asyncio.sleep(TICK_MS / 2000)
                    continue
                last_tick = tick
                await _act(client, symbols[(n + tick) % len(symbols)], buy=(n + tick) % 2 == 1)
                requests += 5
            except (httpx.HTTPError, WssApiError):
                failed += 1  # a refusal or a slow answer: the load goes on
    return requests, failed


async def _act(client: WssClient, symbol: str, *, buy: bool) -> None:
    """What the example agents do each tick: look, order near the last price, check."""
    stock = await client.stock(symbol)
    price = max(1, int(stock["last_price"]) + (1 if buy else -1))
    order = {"symbol": symbol, "order_type": "LIMIT", "quantity": 1, "price": price}
    await client.act({"type": "BUY" if buy else "SELL", **order})
    await client.portfolio()
    await client.leaderboard(limit=10)
    await client.history(symbol, "1m", limit=30)


def _dump(process: subprocess.Popen[str]) -> bool:
    """Ask a server started with ``WSS_TRACEMALLOC`` for a snapshot."""
    if os.environ.get(TRACEMALLOC_ENV):
        process.send_signal(DUMP_SIGNAL)
    return True


async def _wait_up(url: str, process: subprocess.Popen[str]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=2) as http:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"wss run exited: {process.communicate()[1][-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/api/v1/world/tick")).status_code == 200:
                    return
            await asyncio.sleep(0.2)


async def _run(minutes: float, agents: int, port: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="wss-bench-soak-") as tmp:
        env = {**os.environ, "WSS_HOME": tmp}
        for name in ("NATS_URL", "DATABASE_URL", "CLICKHOUSE_URL"):
            env.pop(name, None)
        port = port or free_port()
        argv = [sys.executable, "-m", "wss.cli", "run", "--tick-ms", str(TICK_MS)]
        # Our own interpreter running our own CLI.
        process = subprocess.Popen(  # noqa: S603, ASYNC220
            [*argv, "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        url = f"http://127.0.0.1:{port}"
        stop = asyncio.Event()
        try:
            await _wait_up(url, process)
            load = [asyncio.create_task(_agent(url, n, stop)) for n in range(agents)]
            samples: list[tuple[float, int, float, int]] = []  # (t, tick, rss, threads)
            names_start: Counter[str] | None = None
            began = time.monotonic()
            halfway_dumped = False
            async with WssClient(url) as probe:
                while time.monotonic() - began < minutes * 60:
                    if not halfway_dumped and time.monotonic() - began >= minutes * 30:
                        halfway_dumped = _dump(process)
                    await asyncio.sleep(SAMPLE_SECONDS)
                    if done := [t for t in load if t.done() and t.exception()]:
                        raise RuntimeError(f"an agent failed: {done[0].exception()!r}")
                    rss, threads = _proc(process.pid)
                    samples.append((time.monotonic() - began, await probe.tick(), rss, threads))
                    if names_start is None and len(samples) >= 2:
                        names_start = _thread_names(process.pid)
            names_end = _thread_names(process.pid)
            _dump(process)
            stop.set()
            counts = await asyncio.gather(*load)
        finally:
            stop.set()
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
    steady = samples[len(samples) // 2 :]
    ticks = [float(s[1]) for s in steady]
    grew = {
        name: f"{(names_start or Counter())[name]} -> {count}"
        for name, count in names_end.items()
        if count > (names_start or Counter())[name]
    }
    return {
        "bench": "soak",
        "agents": agents,
        "minutes": minutes,
        "ticks": samples[-1][1] - samples[0][1],
        "requests": sum(c[0] for c in counts),
        "failed_requests": sum(c[1] for c in counts),
        "rss_mb_start": round(samples[0][2]),
        "rss_mb_end": round(samples[-1][2]),
        "rss_mb_half": round(steady[0][2]),
        "rss_mb_per_1k_ticks": round(_slope(ticks, [s[2] for s in steady]) * 1000, 1),
        "threads_start": samples[0][3],
        "threads_end": samples[-1][3],
        "threads_half": steady[0][3],
        "threads_per_1k_ticks": round(_slope(ticks, [float(s[3]) for s in steady]) * 1000, 1),
        "threads_grown": grew,
    }


def bench_soak(minutes: float = 10.0, agents: int = 50, port: int = 0) -> dict[str, Any]:
    return asyncio.run(_run(minutes, agents, port))
