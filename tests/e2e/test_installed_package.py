"""An installed wheel serves the agent documents: they ship inside the package.

The wheel is built from this tree (``pip wheel --no-deps``, no build isolation: no
network), installed alone into a fresh virtual environment whose dependencies come from
the test's own site-packages (a ``.pth`` line, so this tree's editable install is not
picked up), and ``wss run`` from that environment, started outside the source tree,
must serve /skill.md, /rules.md and the event schemas as they are in docs/.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

from gateway.agentdocs import DEFAULT_BASE_URL
from tests.e2e.gateway_env import eventually
from wss.natsserver import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]


def _build_and_install(tmp: Path) -> Path:
    wheels = tmp / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheels), str(ROOT)],
        check=True,
        cwd=tmp,
    )  # fmt: skip
    (wheel,) = wheels.glob("wallstreetsim-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
         "--target", site, str(wheel)],
        check=True,
        cwd=tmp,
    )  # fmt: skip
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    return python


async def test_installed_wheel_serves_the_agent_docs(nats_url: str, tmp_path: Path) -> None:
    python = await asyncio.to_thread(_build_and_install, tmp_path)
    where = await asyncio.create_subprocess_exec(
        python, "-c", "import gateway; print(gateway.__file__)",
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await where.communicate()
    assert where.returncode == 0
    assert str(ROOT) not in out.decode(), "the source tree, not the installed package, was imported"
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATABASE_URL", "WSS_HOME")
    }
    env |= {"NATS_URL": nats_url, "WSS_HOME": str(tmp_path / "home")}
    proc = await asyncio.create_subprocess_exec(
        python, "-m", "wss.cli", "run", "--port", str(port), "--tick-ms", "200",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=5, trust_env=False) as http:

            async def served() -> httpx.Response | None:
                if proc.returncode is not None:
                    raise AssertionError((await proc.communicate())[1].decode())
                with contextlib.suppress(httpx.TransportError):
                    r = await http.get("/skill.md")
                    return r if r.status_code != 404 or r.text else None
                return None

            skill = await eventually(served, timeout=120, every=0.2)
            assert skill.status_code == 200, skill.text
            source = (ROOT / "docs" / "skill.md").read_text(encoding="utf-8")
            assert skill.text == source.replace(DEFAULT_BASE_URL, base)
            for name in ("register.md", "heartbeat.md", "api.md", "rules.md"):
                r = await http.get(f"/{name}")
                assert r.status_code == 200, name
            events = await http.get("/schemas/events.json")
            assert events.status_code == 200
            assert events.text == (ROOT / "docs" / "schemas" / "events.json").read_text()
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(proc.communicate(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
