"""The bundled example agents (``wss agent run``) join a running season and trade on the
first try, say what they do each tick and sum up at the end; a gateway they cannot reach
is one clear line, never a traceback. The SDK retries what is safe to repeat."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn

from gateway.client import WssApiError, WssClient
from tests.e2e import chat_server
from tests.e2e.gateway_env import Env, eventually, gateway_env
from wss.natsserver import free_port

pytestmark = pytest.mark.timeout(120)

TICKS = 4


async def wss_agent(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "wss.cli",
        "agent",
        "run",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def _ticking(env: Env) -> bool:
    live = env.gateway.deps.live
    assert live is not None
    return live.world.market_open and live.tick >= 1


@pytest.fixture
async def chat_url() -> AsyncIterator[str]:
    """A local server speaking the OpenAI chat-completions protocol."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(chat_server.create_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    await eventually(lambda: _started(server))
    yield f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    await task


async def _started(server: uvicorn.Server) -> bool:
    return server.started


@pytest.mark.parametrize("strategy", ["random", "momentum", "market_maker", "llm"])
async def test_example_agent_joins_and_trades_on_the_first_try(
    nats_url: str, tmp_path: Path, strategy: str, chat_url: str
) -> None:
    # The gateway answers registration at once (202, not yet admitted) and reads of the
    # agent do not wait: the runner itself must wait for the tick that admits it.
    async with gateway_env(
        nats_url, tmp_path, tick_ms=100, register_wait_seconds=0.0, read_wait_seconds=0.0
    ) as env:
        await eventually(lambda: _ticking(env))
        llm = {"OPENAI_BASE_URL": chat_url, "OPENAI_API_KEY": "local", "OPENAI_MODEL": "stand-in"}
        # The market maker decides ~8 orders a tick: over its ticks here that is more than
        # the gateway's 100 orders per minute, which it must keep to rather than die on 429.
        ticks = 25 if strategy == "market_maker" else TICKS
        code, out, err = await wss_agent(
            "--strategy", strategy, "--url", env.url, "--ticks", str(ticks), "--seed", "1", env=llm
        )
        assert code == 0, f"{out}\n{err}"
        assert "Traceback" not in err
        lines = out.splitlines()
        assert lines[0].startswith("registered ")
        assert sum(line.startswith("tick ") for line in lines) == ticks, out
        assert lines[-1].startswith("done: agent a-"), out
        assert f"{ticks} ticks" in lines[-1]
        if strategy == "llm":
            assert "sent 1 (BUY 1 " in out, out  # the stand-in model's order went out
            assert "accepted" in lines[-1]


async def test_agent_without_a_gateway_says_so_in_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = await wss_agent("--url", url, "--ticks", "1", "--retry-seconds", "0.5")
    assert code == 2, f"{out}\n{err}"
    assert "Traceback" not in err
    assert err.strip().count("\n") == 0, err
    assert err.startswith(f"wss agent: cannot reach the gateway at {url}"), err


async def _flaky_server(failures: list[bytes], ok: bytes) -> tuple[asyncio.Server, int, list[int]]:
    """An HTTP server answering the given failures first (b"" = no answer), then ``ok``."""
    seen: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        seen.append(1)
        answer = failures.pop(0) if failures else ok
        if answer:
            writer.write(answer)
            await writer.drain()
        else:
            await asyncio.sleep(2)  # longer than the client's timeout
        writer.close()

    port = free_port()
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    return server, port, seen


def _http(status: str, body: bytes, *headers: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in headers)
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"Connection: close\r\n{head}\r\n"
    ).encode() + body


async def test_sdk_retries_timeouts_and_unavailable_reads() -> None:
    busy = _http("503 Service Unavailable", b'{"error":"busy","detail":""}', "Retry-After: 0")
    ok = _http("200 OK", b'{"tick":7,"sim_time":"","market_open":true}')
    server, port, seen = await _flaky_server([b"", busy], ok)
    async with server, WssClient(f"http://127.0.0.1:{port}", timeout=0.3) as client:
        assert await client.tick() == 7
    assert len(seen) == 3  # a timeout, a 503, then the answer


async def test_sdk_does_not_retry_a_refusal() -> None:
    refused = _http("422 Unprocessable Entity", b'{"error":"validation_error","detail":"x"}')
    server, port, seen = await _flaky_server([], refused)
    async with server, WssClient(f"http://127.0.0.1:{port}", api_key="k") as client:
        with pytest.raises(WssApiError) as caught:
            await client.act({"type": "BUY", "symbol": "AAAA", "quantity": 1, "price": 1})
    assert caught.value.code == "validation_error"
    assert len(seen) == 1
