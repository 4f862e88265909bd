"""The engine against a real nats-server: dedupe, corrupt commands, fencing, errors."""

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.js.errors import APIError

from domain import context_for, step
from domain.hashing import restore, snapshot
from replayer import verify
from schemas import commands as cmd
from schemas import events as ev
from schemas.enums import OrderType, Role
from wss.bootstrap import Nats, nats
from wss.engine import Engine
from wss.errors import Diverged, Fenced, WssError
from wss.lease import Lease
from wss.season import create_season, run_engine
from wss.seasonlog import SeasonLog
from wss.settings import Settings

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def conn(nats_url: str, tmp_path: Path) -> AsyncIterator[Nats]:
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as c:
        yield c


async def _engine(log: SeasonLog) -> Engine:
    lease = Lease(log.js, log.season, ttl=30)
    await lease.acquire()
    engine = Engine(log, lease, snapshots=None, snapshot_every=1)
    await engine.recover()
    return engine


async def _events(log: SeasonLog) -> list[ev.EventBase]:
    stream = log.streams.event_stream
    out: list[ev.EventBase] = []
    async for page in log.read(stream, 1, await log.last_seq(stream)):
        out.extend(ev.parse_event(m.data) for m in page)
    return out


def _register(agent: str) -> cmd.RegisterAgent:
    return cmd.RegisterAgent(
        command_id=f"reg-{agent}",
        agent_id=agent,
        name=agent,
        role=Role.RETAIL_TRADER,
        api_key_hash="0" * 64,
    )


async def test_same_command_id_acts_once(conn: Nats) -> None:
    log = await create_season(conn.nc, seed=5)
    engine = await _engine(log)
    await engine.tick(at_least=1)  # genesis: StartSeason is command 1
    await log.submit(_register("alice"))
    buy = cmd.Buy(
        command_id="once",
        agent_id="alice",
        symbol=next(iter(engine.world.companies)),
        order_type=OrderType.MARKET,
        quantity=1,
    )
    first = await log.submit(buy)
    again = await log.submit(buy)
    assert again == (first[0], True)  # JetStream answered "duplicate" with the same sequence
    await engine.tick(at_least=first[0])
    await engine.tick()
    outcomes = [
        e
        for e in await _events(log)
        if getattr(e, "command_id", None) == "once" and e.type != "OrderCancelled"
    ]
    assert len(outcomes) == 1
    await engine.close()


async def test_corrupt_command_is_rejected_and_the_engine_goes_on(conn: Nats) -> None:
    log = await create_season(conn.nc, seed=6)
    engine = await _engine(log)
    await engine.tick(at_least=1)
    bad = await log.submit_raw(
        "BUY", b'{"type":"BUY","command_id":"x1","agent_id":"z","quantity":-4}', "x1"
    )
    garbage = await log.submit_raw("BUY", b"\xff not json", "x2")
    report = await engine.tick(at_least=garbage)
    assert report is not None
    assert report.commands == 2
    assert bad < garbage
    rejected = [e for e in await _events(log) if isinstance(e, ev.CommandRejected)]
    assert [(r.command_id, r.reason.value) for r in rejected] == [
        ("x1", "malformed"),
        (f"seq-{garbage}", "malformed"),
    ]
    assert "quantity" in rejected[0].detail
    assert await engine.tick() is not None  # still ticking
    await engine.close()


async def test_a_second_engine_is_refused(conn: Nats) -> None:
    log = await create_season(conn.nc, seed=7)
    first = await _engine(log)
    await first.tick(at_least=1)
    with pytest.raises(Fenced, match="already running elsewhere"):
        await Lease(log.js, log.season, ttl=30).acquire()
    await first.close()


async def test_a_lease_whose_holder_exited_on_this_host_is_taken_at_once(conn: Nats) -> None:
    """A resume right after ``kill -9`` need not wait out the ttl: the holder is gone."""
    log = await create_season(conn.nc, seed=9)
    gone = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await gone.wait()  # reaped: its pid names no process
    dead = Lease(log.js, log.season, ttl=30)
    dead.owner = f"{socket.gethostname()}:{gone.pid}:0000"
    await dead.acquire()
    await Lease(log.js, log.season, ttl=30).acquire()  # not "already running elsewhere"
    elsewhere = Lease(log.js, f"{log.season}.b", ttl=30)
    elsewhere.owner = f"another-host:{gone.pid}:0000"  # whose pids we cannot see
    await elsewhere.acquire()
    with pytest.raises(Fenced, match="already running elsewhere"):
        await Lease(log.js, f"{log.season}.b", ttl=30).acquire()


async def test_a_writer_that_lost_the_log_is_fenced(conn: Nats) -> None:
    """Even without the lease, Nats-Expected-Last-Sequence stops interleaved appends."""
    log = await create_season(conn.nc, seed=8)
    engine = await _engine(log)
    await engine.tick(at_least=1)
    await engine.tick()
    engine.event_seq -= 1  # as if another writer had appended after our last read
    with pytest.raises(Fenced):
        await engine.tick()
    await engine.close()


def _wss(
    *args: str, home: Path, nats_url: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NATS_URL"}
    env["WSS_HOME"] = str(home)
    if nats_url:
        env["NATS_URL"] = nats_url
    return subprocess.run(
        [sys.executable, "-m", "wss.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_second_engine_process_is_refused_and_ctrl_c_exits_cleanly(
    nats_url: str, tmp_path: Path
) -> None:
    env = {**os.environ, "WSS_HOME": str(tmp_path), "NATS_URL": nats_url}
    first = subprocess.Popen(
        [sys.executable, "-m", "wss.cli", "run", "--tick-ms", "100", "--seed", "3", "--no-gateway"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert first.stdout is not None
    season = first.stdout.readline().split()[1]
    for line in first.stdout:
        if line.startswith("tick") and int(line.split()[1]) >= 3:
            break
    second = _wss(
        "run",
        "--season",
        season,
        "--tick-ms",
        "0",
        "--ticks",
        "5",
        "--no-gateway",
        home=tmp_path,
        nats_url=nats_url,
    )
    assert second.returncode == 2
    assert "already running elsewhere" in second.stderr
    assert "Traceback" not in second.stderr
    first.send_signal(2)  # Ctrl-C
    out, err = first.communicate(timeout=30)
    assert first.returncode == 0, err
    assert f"season {season} stopped at tick" in out
    assert "Traceback" not in err


def test_clear_errors_without_tracebacks(tmp_path: Path) -> None:
    unreachable = _wss("seasons", home=tmp_path, nats_url="nats://127.0.0.1:9", timeout=60)
    assert unreachable.returncode == 2
    assert "nats://127.0.0.1:9" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr
    missing = _wss("run", "--season", "nosuch", home=tmp_path)
    assert missing.returncode == 2
    assert "season 'nosuch' not found" in missing.stderr
    assert "Traceback" not in missing.stderr


@pytest.mark.timeout(300)  # two flat-out 300-tick seasons and a replay, on a shared machine
def test_two_fresh_homes_give_byte_identical_logs(tmp_path: Path) -> None:
    """`wss run --ticks 300 --tick-ms 0 --seed 42` twice, each on its own embedded server."""
    runs = []
    for name in ("a", "b"):
        result = _wss(
            "run",
            "--ticks",
            "300",
            "--tick-ms",
            "0",
            "--seed",
            "42",
            "--no-gateway",
            home=tmp_path / name,
        )
        assert result.returncode == 0, result.stderr
        season = result.stdout.split()[1]
        final = result.stdout.strip().splitlines()[-1].split()[-1]
        runs.append((season, final))
    assert runs[0][1] == runs[1][1]
    verified = _wss("verify", "--season", runs[0][0], home=tmp_path / "a")
    assert verified.returncode == 0, verified.stderr
    assert "replayed byte for byte" in verified.stdout
    assert runs[0][1] in verified.stdout
    payloads = [
        asyncio.run(_payloads(tmp_path / name, season))
        for name, (season, _) in zip("ab", runs, strict=True)
    ]
    assert len(payloads[0]) > 10_000
    assert payloads[0] == payloads[1]


async def _payloads(home: Path, season: str) -> list[bytes]:
    async with nats(Settings(home=home, nats_url=None)) as c:
        log = SeasonLog(c.nc, season)
        stream = log.streams.event_stream
        out: list[bytes] = []
        async for page in log.read(stream, 1, await log.last_seq(stream)):
            out.extend(m.data for m in page)
        return out


async def _half_published(conn: Nats, seed: int, tamper: bool) -> tuple[SeasonLog, int]:
    """A season whose tick 2 was cut off after 5 of its events, as a crash would leave it."""

    log = await create_season(conn.nc, seed=seed)
    engine = await _engine(log)
    await engine.tick(at_least=1)
    await engine.tick()
    world = restore(snapshot(engine.world))

    cut = engine.last_cut
    events = step(world, [], context_for(world, 2, cut + 1, cut))
    payloads = [(e.type, e.model_dump_json().encode()) for e in events[:5]]
    if tamper:
        payloads[4] = (payloads[4][0], payloads[4][1].replace(b'"tick":2', b'"tick":2 '))
    await log.publish_tick(2, cut, payloads, after_seq=engine.event_seq, first=0)
    await engine.close()
    await engine.lease.release()
    return log, len(events)


async def test_a_half_published_tick_is_completed_on_restart(conn: Nats) -> None:
    log, tick_events = await _half_published(conn, seed=9, tamper=False)
    engine = await _engine(log)
    assert len(engine.partial) == 5
    report = await engine.tick()
    assert report is not None
    assert report.tick == 2
    assert report.events == tick_events
    closed = [e for e in await _events(log) if isinstance(e, ev.TickClosed)]
    assert [c.tick for c in closed] == [0, 1, 2]

    assert (await verify(log)).ok
    await engine.close()


async def test_a_restart_that_decides_differently_is_stopped(conn: Nats) -> None:

    log, _ = await _half_published(conn, seed=10, tamper=True)
    engine = await _engine(log)
    with pytest.raises(Diverged, match="tick 2 re-ran differently at event 4"):
        await engine.tick()
    await engine.close()


async def test_a_stopped_season_ends_and_its_log_is_sealed(conn: Nats, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, nats_url=None, snapshot_every=0)
    log = await create_season(conn.nc, seed=11)
    await log.submit(cmd.StopSeason(command_id="stop", agent_id=cmd.OPERATOR_ID))
    result = await run_engine(
        conn.nc,
        conn.url,
        log,
        settings,
        ticks=None,
        tick_ms=0,
        stop=asyncio.Event(),
        on_tick=lambda _: None,
    )
    assert result.ended
    events = await _events(log)
    assert [e.type for e in events[-2:]] == ["SeasonEnded", "TickClosed"]
    assert (await log.info()).status == "ended"
    for stream in (log.streams.command_stream, log.streams.event_stream):
        assert (await log.js.stream_info(stream)).config.sealed
    with pytest.raises(APIError):  # history cannot be extended...
        await log.submit(cmd.StopSeason(command_id="again", agent_id=cmd.OPERATOR_ID))
    with pytest.raises(APIError):  # ...nor rewritten
        await log.js.delete_msg(log.streams.event_stream, 1)
    with pytest.raises(WssError, match="has ended"):
        await run_engine(
            conn.nc,
            conn.url,
            log,
            settings,
            ticks=1,
            tick_ms=0,
            stop=asyncio.Event(),
            on_tick=lambda _: None,
        )
