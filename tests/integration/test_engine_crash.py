"""kill -9 the engine at random points, resume, and find the log whole and replayable."""

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from replayer import verify
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import OrderType, Role
from wss.bootstrap import nats
from wss.season import create_season
from wss.seasonlog import SeasonLog
from wss.settings import Settings
from wss.streams import MSG_ID

pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]

LAST_TICK = 200
KILLS = 4


def _engine(season: str, nats_url: str, home: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "WSS_HOME": str(home),
        "NATS_URL": nats_url,
        "WSS_LEASE_SECONDS": "1",
        "WSS_SNAPSHOT_EVERY": "40",
    }
    argv = [
        sys.executable,
        "-m",
        "wss.cli",
        "run",
        "--season",
        season,
        "--until-tick",
        str(LAST_TICK),
        "--tick-ms",
        "0",
        "--no-gateway",  # the engine alone: projections have their own kill test
        "--no-projections",
    ]
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


async def _trade(log: SeasonLog, stop: asyncio.Event, rng: random.Random) -> None:
    """External agents keep sending orders while the engine lives and dies."""
    agents = [f"agent-{n}" for n in range(5)]
    for agent in agents:
        await log.submit(
            cmd.RegisterAgent(
                command_id="register",
                agent_id=agent,
                name=agent,
                role=Role.HEDGE_FUND_MANAGER,
                api_key_hash="0" * 64,
            )
        )
    symbols = ["AROR", "DYNT", "KORO", "NOVV", "ZENT"]
    n = 0
    while not stop.is_set():
        n += 1
        kind = cmd.Buy if rng.randrange(2) else cmd.Sell
        order = kind(
            command_id=f"o{n}",
            agent_id=rng.choice(agents),
            symbol=rng.choice(symbols),
            order_type=OrderType.MARKET,
            quantity=rng.randrange(1, 50),
        )
        await log.submit(order)
        await asyncio.sleep(0.005)


async def test_kill9_resume_leaves_every_tick_once_and_replays(
    nats_url: str, tmp_path: Path
) -> None:
    rng = random.Random(20261124)
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as conn:
        log = await create_season(conn.nc, seed=42)
        stop = asyncio.Event()
        trader = asyncio.create_task(_trade(log, stop, rng))
        kills = 0
        while True:
            engine = _engine(log.season, nats_url, tmp_path)
            if kills < KILLS:
                await asyncio.sleep(rng.uniform(0.6, 2.0))
                if engine.poll() is None:
                    engine.send_signal(signal.SIGKILL)
                    kills += 1
                engine.communicate()  # reaps it and closes its pipe
                await asyncio.sleep(1.1)  # the killed engine's lease goes stale
                continue
            _, err = await asyncio.to_thread(engine.communicate, timeout=240)
            if engine.returncode == 2 and "already running" in err:
                await asyncio.sleep(1.1)
                continue
            assert engine.returncode == 0, err
            break
        stop.set()
        await trader

        stream = log.streams.event_stream
        messages = [
            m async for page in log.read(stream, 1, await log.last_seq(stream)) for m in page
        ]
        closed = [ev.parse_event(m.data) for m in messages if m.subject.endswith(".TickClosed")]
        assert [c.tick for c in closed] == list(range(LAST_TICK + 1))
        ids = Counter(m.headers[MSG_ID] for m in messages)
        assert ids.most_common(1)[0][1] == 1
        assert messages[-1].subject.endswith(".TickClosed")  # no half tick left behind
        assert sum(c.commands for c in closed) > 100  # the agents' orders were in play
        verdict = await verify(log)
        assert verdict.ok, verdict.divergence
        assert verdict.ticks == LAST_TICK + 1
        assert verdict.final_hash == closed[-1].state_hash
