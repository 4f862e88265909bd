"""``SeasonLog.stored_seq`` asks JetStream's dedupe window whether a command was sent, and
stores nothing: the gateway's at-most-once answers after a restart rest on it (and on the
server checking a message id before ``Nats-Expected-Last-Msg-Id``)."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from schemas import commands as cmd
from schemas.config import SeasonConfig
from wss.bootstrap import Nats, nats
from wss.season import create_season
from wss.settings import Settings

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def conn(nats_url: str, tmp_path: Path) -> AsyncIterator[Nats]:
    async with nats(Settings(home=tmp_path, nats_url=nats_url)) as c:
        yield c


def _buy(command_id: str) -> cmd.Buy:
    return cmd.Buy(command_id=command_id, agent_id="a-1", symbol="AAAA", quantity=1, price=100)


async def test_dedupe_probe_finds_a_sent_command_and_stores_nothing(conn: Nats) -> None:
    log = await create_season(conn.nc, 1, SeasonConfig(symbols=2))
    stream = log.streams.command_stream
    sent = _buy("c-sent")
    seq, _ = await log.submit(sent)
    msg_id = log.streams.command_msg_id("a-1", "c-sent")
    last = await log.last_seq(stream)

    assert await log.stored_seq(sent, msg_id) == seq
    never = _buy("c-never")
    assert await log.stored_seq(never, log.streams.command_msg_id("a-1", "c-never")) is None
    assert await log.last_seq(stream) == last, "a probe stored a message"
    assert (await log.command_at(seq)).data == sent.model_dump_json().encode()
    assert await log.last_cut() == 0  # no tick has closed yet
