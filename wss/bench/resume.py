"""``wss bench resume``: how long ``wss run --season ID`` takes to serve the next tick of a
long season.

The season is built the way a real one is: the engine runs flat out (``--tick-ms 0``
equivalent) with a dense built-in population, snapshotting as it does in production,
while both read projections follow it as in ``wss run``; they are drained to the log's
end (as ``wss run`` leaves them after a clean stop). Then a real ``wss run --season ID``
is started on that WSS_HOME (embedded nats-server, SQLite, chDB, gateway, SSE hub, engine
recovery) and ``resume_s`` is the time from its start until ``GET /api/v1/world/tick``
answers a tick past the one it stopped at.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from schemas.config import PopulationConfig, SeasonConfig
from wss.bootstrap import nats
from wss.engine import TickReport
from wss.natsserver import free_port
from wss.readside import ReadSide, prepare
from wss.season import create_season, run_engine
from wss.settings import Settings

# Busy trading all day (about 1,000 events a tick): appends stay small on a loaded host.
CONFIG = SeasonConfig(
    symbols=20, after_hours_ticks=0, population=PopulationConfig(noise_traders=120)
)
RESUME_TIMEOUT_SECONDS = 300.0
PROJECT_TIMEOUT_SECONDS = 3_600.0
BUILT = "bench-resume.json"  # what a kept home holds: the built season


async def _build(settings: Settings, events: int) -> dict[str, Any]:
    """A season of at least ``events`` events, its read models at the log's end."""
    async with nats(settings, name="wss-bench") as conn:
        log = await create_season(conn.nc, seed=4, config=CONFIG)
        stop = asyncio.Event()
        total = 0

        def count(report: TickReport) -> None:
            nonlocal total
            total += report.events
            if total >= events:
                stop.set()

        await prepare(settings)
        # The read side follows the engine as in `wss run`, and is drained to the end.
        read_side = ReadSide(conn.nc.jetstream(), log.season, settings)
        read_side.start()
        began = time.perf_counter()
        result = await run_engine(
            conn.nc, conn.url, log, settings, ticks=None, tick_ms=0, stop=stop, on_tick=count
        )
        built = time.perf_counter() - began
        last_seq = await log.last_seq(log.streams.event_stream)
        await read_side.drain(last_seq, within=PROJECT_TIMEOUT_SECONDS)
        projected = time.perf_counter() - began
        errors = await read_side.stop()
        if errors or not read_side.health.ok:
            raise RuntimeError(f"read side failed while building: {errors}")
    return {
        "season": log.season,
        "tick": result.tick,
        "events": last_seq,
        "build_seconds": round(built, 1),
        "built_and_projected_seconds": round(projected, 1),
    }


async def _resume(home: Path, season: str, tick: int, port: int) -> dict[str, float]:
    env = {**os.environ, "WSS_HOME": str(home)}
    for name in ("NATS_URL", "DATABASE_URL", "CLICKHOUSE_URL"):
        env.pop(name, None)
    argv = [sys.executable, "-m", "wss.cli", "run", "--season", season, "--port", str(port)]
    began = time.perf_counter()
    # Our own interpreter running our own CLI.
    process = subprocess.Popen(  # noqa: S603, ASYNC220
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    first_answer: float | None = None
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"wss run exited: {process.communicate()[1][-2000:]}")
                if time.perf_counter() - began > RESUME_TIMEOUT_SECONDS:
                    raise RuntimeError("wss run did not serve a new tick in time")
                try:
                    response = await http.get("/api/v1/world/tick")
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
                    continue
                first_answer = first_answer or time.perf_counter() - began
                if response.status_code == 200 and response.json()["tick"] > tick:
                    return {
                        "resume_s": round(time.perf_counter() - began, 2),
                        "gateway_up_s": round(first_answer, 2),
                    }
                await asyncio.sleep(0.05)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


async def _run(events: int, port: int, home: Path | None) -> dict[str, Any]:
    if home is not None:
        return await _in(home, events, port)
    with tempfile.TemporaryDirectory(prefix="wss-bench-resume-") as tmp:
        return await _in(Path(tmp), events, port)


async def _in(home: Path, events: int, port: int) -> dict[str, Any]:
    """Build the season in ``home`` unless a previous run left one there, then resume it."""
    built_file = home / BUILT
    if built_file.exists():
        built = json.loads(built_file.read_text())
    else:
        built = await _build(Settings(home=home, nats_url=None), events)
        built_file.write_text(json.dumps(built))
    resumed = await _resume(home, built["season"], built["tick"], port or free_port())
    return {"bench": "resume", **built, **resumed}


def bench_resume(
    events: int = 1_500_000, port: int = 0, home: Path | None = None
) -> dict[str, Any]:
    """``home``: build there and keep it (a second run only measures the resume)."""
    return asyncio.run(_run(events, port, home))
