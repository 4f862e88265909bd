"""The embedded nats-server a WSS_HOME shares: reused, replaced when dead, stopped by its
last user, and no ``wss`` command ever waits on a dead one."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.fixtures.wss_cli import server_record, spawn, wait_until, wss, wss_env
from wss.homeserver import pid_alive
from wss.natsserver import free_port

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.slow,
    pytest.mark.usefixtures("no_orphaned_server"),
]

RUN = ("run", "--tick-ms", "100", "--no-gateway", "--no-projections")
STALE_URL = "nats://127.0.0.1:1"


def test_a_stale_server_record_is_replaced_not_waited_on(tmp_path: Path) -> None:
    nats_dir = tmp_path / "nats"
    nats_dir.mkdir()
    (nats_dir / "url").write_text(STALE_URL)  # what older versions left behind
    record = {"url": STALE_URL, "pid": 2**22 + 1, "name": "wss-gone", "users": [2**22 + 2]}
    (nats_dir / "server.json").write_text(json.dumps(record))

    listed = wss(tmp_path, "seasons", timeout=20)
    assert listed.returncode == 0, listed.stderr
    assert "no seasons yet" in listed.stdout
    missing = wss(tmp_path, "verify", "--season", "nope", timeout=20)
    assert missing.returncode == 2
    assert len(missing.stderr.strip().splitlines()) == 1
    assert "not found" in missing.stderr
    assert server_record(tmp_path) is None  # the one it started, it stopped


def test_a_live_pid_whose_server_is_gone_is_not_mistaken_for_it(tmp_path: Path) -> None:
    # A dead server's pid reused by another process (here: this test) with a dead URL.
    nats_dir = tmp_path / "nats"
    nats_dir.mkdir()
    record = {"url": STALE_URL, "pid": os.getpid(), "name": "wss-gone", "users": []}
    (nats_dir / "server.json").write_text(json.dumps(record))
    listed = wss(tmp_path, "seasons", timeout=20)
    assert listed.returncode == 0, listed.stderr


def test_an_unreachable_nats_url_is_one_line_and_a_nonzero_exit(tmp_path: Path) -> None:
    url = f"nats://127.0.0.1:{free_port()}"
    for args in (("seasons",), ("verify", "--season", "s1"), ("run", "--season", "s1")):
        done = wss(tmp_path, *args, env=wss_env(tmp_path, NATS_URL=url), timeout=20)
        assert done.returncode == 2
        assert done.stderr.startswith(f"wss: NATS server unreachable at {url}: ")
        assert len(done.stderr.strip().splitlines()) == 1


def test_a_short_command_beside_a_live_run_leaves_the_server_running(tmp_path: Path) -> None:
    run = spawn(tmp_path, *RUN)
    try:
        run.expect(r"^tick +1 ")
        record = server_record(tmp_path)
        assert record is not None
        assert record.users == [run.pid]

        listed = wss(tmp_path, "seasons")
        assert listed.returncode == 0, listed.stderr
        assert pid_alive(record.pid)  # seasons reused the run's server and left it
        after = server_record(tmp_path)
        assert after is not None
        assert (after.url, after.users) == (record.url, [run.pid])
        run.expect(r"^tick +2 ")  # and the engine ticks on

        run.proc.send_signal(signal.SIGTERM)
        assert run.wait() == 0, run.err()
        wait_until(lambda: not pid_alive(record.pid), what="the run to stop its server")
        assert server_record(tmp_path) is None
    finally:
        run.kill()


def test_a_run_that_resumes_beside_an_orphaned_server_adopts_and_stops_it(
    tmp_path: Path,
) -> None:
    first = spawn(tmp_path, *RUN)
    second = None
    try:
        season = first.expect(r"season (\S+) created")[1]
        first.expect(r"^tick +1 ")
        record = server_record(tmp_path)
        assert record is not None
        first.kill()
        assert pid_alive(record.pid)  # kill -9 of the engine leaves its server: an orphan

        second = spawn(tmp_path, "run", "--season", season, "--ticks", "3", "--tick-ms", "0",
                       "--no-gateway", "--no-projections")  # fmt: skip
        status = second.wait(60)
        assert status == 0, second.err()
        assert "resumes at tick" in second.out()
        assert not pid_alive(record.pid)  # the adopter, its last user, stopped it
        assert server_record(tmp_path) is None
    finally:
        first.kill()
        if second is not None:
            second.kill()


def test_a_command_on_a_dead_servers_record_starts_a_new_one(tmp_path: Path) -> None:
    run = spawn(tmp_path, *RUN)
    try:
        run.expect(r"^tick +0 ")
        record = server_record(tmp_path)
        assert record is not None
        run.kill()
        os.kill(record.pid, signal.SIGKILL)  # the orphan dies too: its record stays behind
        wait_until(lambda: not pid_alive(record.pid), what="the server to die")
        assert server_record(tmp_path) == record

        listed = wss(tmp_path, "seasons", timeout=20)
        assert listed.returncode == 0, listed.stderr
        assert len(listed.stdout.splitlines()) == 2  # header + the season
    finally:
        run.kill()
