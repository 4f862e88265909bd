"""The served documents' curl commands work verbatim against the gateway serving them.

The documents are fetched from a gateway on a port that is not the default 8000, and
every ```bash block of /skill.md, /register.md and /heartbeat.md is run as served, in
order, in one bash process: each command must succeed and the buy must reach the log.
The documents and /openapi.json name the address they were fetched from (the request's
Host, or the configured public URL).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import httpx
import pytest

from gateway.agentdocs import DEFAULT_BASE_URL, DOCS
from tests.e2e.gateway_env import Env, eventually, gateway_env

pytestmark = [
    pytest.mark.timeout(90),
    # A developer without curl may skip; CI must run it (curl is what agents will use).
    pytest.mark.skipif(
        shutil.which("curl") is None and not os.environ.get("CI"), reason="needs curl"
    ),
]


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)


async def _open(env: Env) -> bool:
    return await env.world_tick() >= 1


async def test_served_docs_curl_blocks_run_verbatim(nats_url: str, tmp_path: Path) -> None:
    async with (
        gateway_env(nats_url, tmp_path, tick_ms=100) as env,
        httpx.AsyncClient(base_url=env.url, timeout=10, trust_env=False) as http,
    ):
        assert not env.url.endswith(":8000")
        await eventually(lambda: _open(env))
        served = {}
        for name in ("skill.md", "register.md", "heartbeat.md"):
            r = await http.get(f"/{name}")
            assert r.status_code == 200, r.text
            assert DEFAULT_BASE_URL not in r.text, f"{name} still names port 8000"
            served[name] = r.text
        assert env.url in served["skill.md"]
        script = "set -euo pipefail\n" + "\n".join(
            block for text in served.values() for block in bash_blocks(text)
        )
        script += '\necho "AGENT=$WSS_ME"\n'
        proc = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            script,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(tmp_path)},
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        text = out.decode()
        assert proc.returncode == 0, f"{text}\n{err.decode()}"
        assert '"api_key":"wss_' in text
        assert '"command_id":"first-buy"' in text
        agent = re.search(r"AGENT=(a-[0-9a-f]+)", text)
        assert agent is not None
        commands = await env.log.commands(1, await env.command_seq())
        assert any(
            c.command_id == "first-buy" and c.agent_id == agent.group(1) for _, c in commands
        )


async def test_docs_and_openapi_name_the_address_they_are_served_at(
    nats_url: str, tmp_path: Path
) -> None:
    async with (
        gateway_env(nats_url, tmp_path, engine_ticks=1, tick_ms=0) as env,
        httpx.AsyncClient(base_url=env.url, timeout=10, trust_env=False) as http,
    ):
        for name in DOCS:
            r = await http.get(f"/{name}")
            assert r.status_code == 200, name
            assert r.headers["content-type"].startswith("text/markdown")
        r = await http.get("/skill.md", headers={"Host": "wss.example.test:9443"})
        assert "export WSS=http://wss.example.test:9443\n" in r.text
        openapi = (await http.get("/openapi.json")).json()
        assert openapi["servers"] == [{"url": env.url}]
        events = await http.get("/schemas/events.json")
        assert events.status_code == 200
        assert "TradeExecuted" in events.json()["$defs"]
    async with (
        gateway_env(
            nats_url, tmp_path / "public", engine_ticks=1, tick_ms=0, public_url="https://wss.test"
        ) as env,
        httpx.AsyncClient(base_url=env.url, timeout=10, trust_env=False) as http,
    ):
        assert "export WSS=https://wss.test\n" in (await http.get("/skill.md")).text
        assert (await http.get("/openapi.json")).json()["servers"] == [{"url": "https://wss.test"}]
