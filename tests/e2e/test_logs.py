"""Structured logs: JSON lines with service, season and tick (and the agent where there is
one), and never an API key, through a registration and actions flow."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.client import WssClient
from tests.e2e.gateway_env import eventually, gateway_env
from wss.logs import configure_logging, redact

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    out = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging("gateway", stream=out)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_no_api_key_in_the_logs_of_a_registration_and_actions(
    nats_url: str, tmp_path: Path, captured: io.StringIO
) -> None:
    async with gateway_env(nats_url, tmp_path, tick_ms=50) as env, WssClient(env.url) as wss:
        me = await wss.register("log-bot", "hedge_fund_manager")
        key = me["api_key"]
        stocks = await wss.stocks()
        sent = await wss.act(
            {"type": "BUY", "symbol": stocks[0]["symbol"], "quantity": 1, "price": 100}
        )
        await wss.wait_action(sent["actions"][0]["command_id"], wait_seconds=10)
        await wss.portfolio()
        # A caller that logs a key by mistake: the line is masked all the same.
        logging.getLogger("tests.careless").warning("got key %s", key)
        await eventually(lambda: _async(env.gateway.deps.live.tick >= 3))  # type: ignore[union-attr]
    text = captured.getvalue()
    assert key not in text
    assert key[4:] not in text  # not even without its prefix
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines, "nothing was logged"
    for line in lines:
        assert {"ts", "level", "logger", "msg", "service", "season", "tick"} <= set(line)
        assert line["service"] == "gateway"
    registered = [line for line in lines if line["msg"].startswith("agent registered")]
    assert len(registered) == 1
    assert registered[0]["agent"] == me["agent_id"]
    assert registered[0]["season"] == env.season
    assert isinstance(registered[0]["tick"], int)
    acted = [line for line in lines if line["msg"].startswith("actions accepted")]
    assert [line["agent"] for line in acted] == [me["agent_id"]]
    careless = next(line for line in lines if line["logger"] == "tests.careless")
    assert careless["msg"] == "got key [redacted]"


async def _async(value: bool) -> bool:
    return value


def test_redact_masks_keys_and_bearer_tokens() -> None:
    assert redact("key wss_AbC-123_xyzXYZ0987654321 ok") == "key [redacted] ok"
    assert redact("Authorization: Bearer abc.def") == "Authorization: [redacted]"
    assert redact("agent a-0011 at tick 5") == "agent a-0011 at tick 5"
