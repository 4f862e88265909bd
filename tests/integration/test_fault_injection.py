"""Faults while agents trade over HTTP: ``kill -9`` of the engine (``wss run``) and of its
embedded nats-server, three times each at seeded random moments.

Afterwards every command answered 202 has exactly one outcome, every tick is on the log
once, the season replays byte for byte, the read model equals a clean rebuild, and no
``wss`` command hung (each ran under a timeout).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from projections.relational.database import create_engine
from projections.relational.digest import table_digest
from projections.relational.outcomes import outcome_of
from schemas.events import TickClosed, parse_event
from tests.fixtures.wss_cli import Spawned, server_record, spawn, wss, wss_env
from wss.bootstrap import nats
from wss.natsserver import free_port
from wss.seasonlog import SeasonLog
from wss.settings import Settings
from wss.streams import MSG_ID

pytestmark = [
    pytest.mark.timeout(420),
    pytest.mark.slow,
    pytest.mark.usefixtures("no_orphaned_server"),
]

SEED = 20261201
AGENTS = 4
START_ATTEMPTS = 20
EXIT_SECONDS = 30.0  # an engine whose server died must notice and exit within this
Key = tuple[str, str]  # (agent id, command id)


@dataclass
class Market:
    """The HTTP side: agents that keep ordering through whatever gateway is up."""

    url: str
    rng: random.Random
    accepted: set[Key] = field(default_factory=set)  # answered 202
    refused: Counter[int] = field(default_factory=Counter)  # final non-202 answers by status
    symbols: list[str] = field(default_factory=list)
    progress: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def accepted_at_least(self, count: int) -> None:
        async with self.progress:
            await self.progress.wait_for(lambda: len(self.accepted) >= count)

    async def call(
        self, client: httpx.AsyncClient, method: str, path: str, stop: asyncio.Event, **kw: object
    ) -> httpx.Response | None:
        """Retry the same request through restarts (503, 429, refused) until it lands."""
        while not stop.is_set():
            try:
                answer = await client.request(method, self.url + path, **kw)  # type: ignore[arg-type]
            except httpx.TransportError:
                await asyncio.sleep(0.2)
                continue
            if answer.status_code in (429, 503) or answer.status_code >= 500:
                await asyncio.sleep(min(float(answer.headers.get("Retry-After", 0.2)), 1.0))
                continue
            return answer
        return None

    async def register(self, client: httpx.AsyncClient, n: int, stop: asyncio.Event) -> str:
        body = {"name": f"fault-{n}", "role": "hedge_fund_manager"}
        answer = await self.call(
            client, "POST", "/api/v1/auth/register", stop, json=body,
            headers={"Idempotency-Key": f"register-{n}"},
        )  # fmt: skip
        assert answer is not None
        assert answer.status_code in (200, 201), answer.text
        key: str = answer.json()["api_key"]
        return key

    async def trade(self, n: int, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=5.0) as client:
            if not self.symbols:
                stocks = await self.call(client, "GET", "/api/v1/market/stocks", stop)
                assert stocks is not None
                self.symbols = sorted(s["symbol"] for s in stocks.json()["stocks"])
            key = await self.register(client, n, stop)
            auth = {"Authorization": f"Bearer {key}"}
            me = await client.post(self.url + "/api/v1/auth/verify", json={"api_key": key})
            agent_id: str = me.json()["agent_id"]
            sent = 0
            while not stop.is_set():
                sent += 1
                command_id = f"o{n}-{sent}"
                action = {
                    "command_id": command_id,
                    "type": self.rng.choice(["BUY", "SELL"]),
                    "symbol": self.rng.choice(self.symbols),
                    "order_type": "MARKET",
                    "quantity": self.rng.randrange(1, 20),
                }
                answer = await self.call(
                    client, "POST", "/api/v1/actions", stop, json=action, headers=auth
                )
                if answer is None:
                    return
                if answer.status_code == 202:
                    self.accepted.add((agent_id, command_id))
                    async with self.progress:
                        self.progress.notify_all()
                else:
                    self.refused[answer.status_code] += 1
                await asyncio.sleep(0.05)


class Engine:
    """``wss run`` restarted after every fault, on one gateway port."""

    def __init__(self, home: Path, port: int) -> None:
        self.home, self.port = home, port
        self.season = ""
        self.proc: Spawned | None = None
        self.restarts = 0

    def _argv(self) -> list[str]:
        resume = ["--season", self.season] if self.season else []
        return ["run", *resume, "--tick-ms", "100", "--port", str(self.port)]

    async def start(self) -> None:
        """Start it and wait until it ticks; a still-fresh lease means try again, and so
        does a start that failed on a timeout (this shared machine is sometimes slow)."""
        for _ in range(START_ATTEMPTS):
            self.proc = spawn(self.home, *self._argv())
            try:
                match = await asyncio.to_thread(
                    self.proc.expect, r"^(?:tick +\d+ |season (\S+) created)", 60
                )
            except AssertionError:
                self.proc.kill()
                err = self.proc.err()
                if "already running" in err or "within" in err:
                    self.restarts += 1
                    await asyncio.sleep(0.2)
                    continue
                raise
            if match[1]:
                self.season = match[1]
                await asyncio.to_thread(self.proc.expect, r"^tick +\d+ ", 60)
            await asyncio.to_thread(self.proc.expect, r"^gateway: ", 60)
            return
        raise AssertionError(f"the engine did not start in {START_ATTEMPTS} attempts")

    async def kill_engine(self) -> None:
        assert self.proc is not None
        self.proc.kill()

    async def kill_server(self) -> None:
        """Kill the nats-server under the engine: the engine must give up by itself."""
        assert self.proc is not None
        record = server_record(self.home)
        assert record is not None
        os.kill(record.pid, signal.SIGKILL)
        status = await asyncio.to_thread(self.proc.wait, EXIT_SECONDS)
        assert status != 0
        tail = self.proc.err().strip().splitlines()[-1:]
        assert tail, "the engine exited without saying why"
        assert tail[0].startswith("wss: "), self.proc.err()[-3000:]


async def _outcomes_and_ticks(home: Path, season: str) -> tuple[Counter[Key], list[int], int]:
    async with nats(Settings(home=home)) as conn:
        log = SeasonLog(conn.nc, season)
        stream = log.streams.event_stream
        outcomes: Counter[Key] = Counter()
        ticks, ids = [], Counter[str]()
        async for page in log.read(stream, 1, await log.last_seq(stream)):
            for msg in page:
                ids[msg.headers[MSG_ID]] += 1
                event = parse_event(msg.data)
                if isinstance(event, TickClosed):
                    ticks.append(event.tick)
                if (row := outcome_of(msg.seq, event)) is not None:
                    outcomes[row.agent_id, row.command_id] += 1
        return outcomes, ticks, max(ids.values())


async def test_kill9_of_engine_and_server_loses_no_command_and_rebuilds_equal(
    tmp_path: Path,
) -> None:
    rng = random.Random(SEED)
    faults = ["engine"] * 3 + ["server"] * 3
    rng.shuffle(faults)
    engine = Engine(tmp_path, free_port())
    market = Market(f"http://127.0.0.1:{engine.port}", random.Random(SEED + 1))
    stop = asyncio.Event()
    await engine.start()
    agents = [asyncio.create_task(market.trade(n, stop)) for n in range(AGENTS)]
    try:
        for fault in faults:
            await asyncio.sleep(rng.uniform(1.0, 3.0))  # a random moment, not a wait
            await (engine.kill_engine() if fault == "engine" else engine.kill_server())
            await engine.start()
        # Trading resumed after the last fault.
        await asyncio.wait_for(market.accepted_at_least(len(market.accepted) + 20), 120)
    finally:
        stop.set()
        await asyncio.gather(*agents)
    assert engine.proc is not None
    # Two more ticks: the engine cuts every command on the log, the last ones included.
    last = int(re.findall(r"^tick +(\d+) ", engine.proc.out(), re.MULTILINE)[-1])
    await asyncio.to_thread(engine.proc.expect, rf"^tick +{last + 2} ", 60)
    engine.proc.proc.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(engine.proc.wait, 60) == 0, engine.proc.err()[-3000:]
    season = engine.season

    outcomes, ticks, most_copies = await _outcomes_and_ticks(tmp_path, season)
    assert len(market.accepted) > 100
    assert {key: outcomes[key] for key in market.accepted} == dict.fromkeys(market.accepted, 1)
    assert max(outcomes.values()) == 1  # nor did anything else act twice
    assert ticks == list(range(len(ticks)))
    assert most_copies == 1

    verified = wss(tmp_path, "verify", "--season", season, timeout=120)
    assert verified.returncode == 0, verified.stderr
    assert re.search(rf": {len(ticks)} ticks", verified.stdout)

    fresh = tmp_path / "fresh.db"
    rebuilt = wss(
        tmp_path, "project", "--rebuild", "relational", "--season", season, timeout=120,
        env=wss_env(tmp_path, DATABASE_URL=f"sqlite+aiosqlite:///{fresh}"),
    )  # fmt: skip
    assert rebuilt.returncode == 0, rebuilt.stderr
    digests = []
    for db in (tmp_path / "read.db", fresh):
        store = create_engine(f"sqlite+aiosqlite:///{db}")
        digests.append(await table_digest(store, season))
        await store.dispose()
    assert digests[0] == digests[1]

    # The analytics store too: what the killed folds left equals a rebuild from the log.
    live = _analytics_digest(tmp_path, season)
    rebuilt = wss(tmp_path, "project", "--rebuild", "analytics", "--season", season, timeout=180)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert _analytics_digest(tmp_path, season) == live
    assert live["events"][0] > len(market.accepted)


def _analytics_digest(home: Path, season: str) -> dict[str, list[int]]:
    """The season's chDB digest, read in a process of its own (one per data directory)."""
    out = subprocess.run(
        [sys.executable, "-m", "projections.analytics.digest", season],
        env=wss_env(home), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    digest: dict[str, list[int]] = json.loads(out.stdout)
    return digest
