"""A paused engine (SIGSTOP past its lease) is taken over by a second one, which runs the
season even though the paused process still holds the read side's stores; the paused
engine, resumed, fences itself off."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from tests.fixtures.wss_cli import spawn, wait_until, wss
from wss.natsserver import free_port

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.slow,
    pytest.mark.usefixtures("no_orphaned_server"),
]


def _status(home: Path, season: str) -> str:
    listed = wss(home, "seasons")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()]
    return next(row[1] for row in rows if row and row[0] == season)


def test_a_takeover_from_a_paused_engine_runs_without_its_stores(tmp_path: Path) -> None:
    # Projections and gateway on (the default embedded set-up): chDB is held by the first.
    first = spawn(tmp_path, "run", "--tick-ms", "100", "--port", str(free_port()))
    second = None
    try:
        season = first.expect(r"season (\S+) created")[1]
        first.expect(r"^gateway: ")
        paused_at = int(first.expect(r"^tick +(\d+) ")[1])
        first.proc.send_signal(signal.SIGSTOP)
        wait_until(lambda: _status(tmp_path, season) == "crashed", what="the lease to expire")

        second = spawn(tmp_path, "run", "--season", season, "--tick-ms", "100",
                       "--port", str(free_port()))  # fmt: skip
        resumed_at = int(second.expect(r"resumes at tick (\d+)")[1])
        assert resumed_at >= paused_at
        second.expect(rf"^tick +{resumed_at + 3} ", timeout=60)  # it runs the season
        said = [line for line in second.err().splitlines() if "analytics store" in line]
        assert len(said) == 1, second.err()
        assert "unavailable" in said[0]
        assert "open in another process" in said[0]

        first.proc.send_signal(signal.SIGCONT)
        assert first.wait(60) == 2
        lines = [line for line in first.err().splitlines() if line.startswith("wss: ")]
        assert len(lines) == 1, first.err()
        assert "Traceback" not in first.err()
        assert re.match(rf"wss: season {season}: (lease lost|the log moved)", lines[0])

        # The paused process is gone: the store opens, retried in the background.
        wait_until(lambda: "from analytics" in second.err(), what="analytics to attach")
        ticked = second.ticks()
        wait_until(lambda: second.ticks() > ticked, what="the second engine to tick on")
        second.proc.send_signal(signal.SIGTERM)
        assert second.wait(60) == 0, second.err()
    finally:
        first.proc.send_signal(signal.SIGCONT)
        first.kill()
        if second is not None:
            second.kill()
