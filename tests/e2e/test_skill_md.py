"""The curl commands in docs/skill.md work as written against a running season.

Every ```bash block is run, in order, in one bash process (only the base URL is swapped
for the test server's); each command must succeed and the buy must reach the log.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest

from gateway.deps import DOCS_DIR
from tests.e2e.gateway_env import eventually, gateway_env

pytestmark = [
    pytest.mark.timeout(60),
    # A developer without curl may skip; CI must run it (curl is what agents will use).
    pytest.mark.skipif(
        shutil.which("curl") is None and not os.environ.get("CI"), reason="needs curl"
    ),
]


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)


async def test_skill_md_quickstart_runs_verbatim(nats_url: str, tmp_path: Path) -> None:
    skill = (DOCS_DIR / "skill.md").read_text()
    script = "set -euo pipefail\n" + "\n".join(bash_blocks(skill))
    async with gateway_env(nats_url, tmp_path, tick_ms=100) as env:
        await eventually(lambda: _open(env))
        script = script.replace("http://127.0.0.1:8000", env.url)
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
        out, err = await asyncio.wait_for(proc.communicate(), 30)
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


async def _open(env: object) -> bool:
    from tests.e2e.gateway_env import Env  # noqa: PLC0415

    assert isinstance(env, Env)
    return await env.world_tick() >= 1
