"""Registration: a retried registration gets the same answer (the same API key), across a
gateway restart too, and new registrations are throttled per client address."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gateway.client import WssApiError, WssClient
from gateway.runtime import running_gateway
from tests.e2e.gateway_env import TEST_SETTINGS, Env, eventually, gateway_env
from wss.natsserver import free_port

pytestmark = pytest.mark.timeout(90)

REGISTER = "/api/v1/auth/register"


@pytest.fixture(scope="module")
async def env(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    async with gateway_env(nats_url, tmp_path_factory.mktemp("reg"), tick_ms=100) as e:
        await eventually(lambda: _ticking(e))
        yield e


async def _ticking(env: Env) -> bool:
    return await env.world_tick() >= 1


def body(name: str, role: str = "quant") -> dict[str, str]:
    return {"name": name, "role": role}


def keyed(key: str, address: str | None = None) -> dict[str, str]:
    headers = {"Idempotency-Key": key}
    if address is not None:  # uvicorn takes the client address from a trusted local proxy
        headers["X-Forwarded-For"] = address
    return headers


async def registrations(env: Env) -> int:
    commands = await env.log.commands(1, await env.command_seq())
    return sum(c.type == "REGISTER_AGENT" for _, c in commands)


async def test_retried_registration_returns_the_same_api_key(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url, timeout=20, trust_env=False) as http:
        before = await registrations(env)
        first = await http.post(REGISTER, json=body("lost-reply"), headers=keyed("reg-1"))
        assert first.status_code in (201, 202), first.text
        retries = await asyncio.gather(
            *(
                http.post(REGISTER, json=body("lost-reply"), headers=keyed("reg-1"))
                for _ in range(5)
            )
        )
        answer = {k: v for k, v in first.json().items() if k != "projected"}
        for retry in retries:
            assert retry.status_code in (201, 202), retry.text
            assert {k: v for k, v in retry.json().items() if k != "projected"} == answer
        assert await registrations(env) == before + 1
        verify = await http.post("/api/v1/auth/verify", json={"api_key": answer["api_key"]})
        assert verify.json()["agent_id"] == answer["agent_id"]
        # Without a key, a second registration of the name is still refused.
        again = await http.post(REGISTER, json=body("lost-reply"))
        assert again.status_code == 409
        assert again.json()["error"] == "name_taken"


async def test_registration_key_reused_for_another_body_is_409(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url, timeout=20, trust_env=False) as http:
        first = await http.post(REGISTER, json=body("first-name"), headers=keyed("reg-2"))
        assert first.status_code in (201, 202)
        before = await registrations(env)
        other = await http.post(REGISTER, json=body("other-name"), headers=keyed("reg-2"))
        assert other.status_code == 409
        assert other.json()["error"] == "idempotency_key_reused"
        role = await http.post(REGISTER, json=body("first-name", "ceo"), headers=keyed("reg-2"))
        assert role.status_code == 409
        assert await registrations(env) == before


async def test_the_key_is_bound_to_the_client_address(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url, timeout=20, trust_env=False) as http:
        mine = await http.post(REGISTER, json=body("bound"), headers=keyed("reg-3", "10.0.0.1"))
        assert mine.status_code in (201, 202)
        theirs = await http.post(REGISTER, json=body("bound"), headers=keyed("reg-3", "10.0.0.2"))
        assert theirs.status_code == 409
        assert theirs.json()["error"] == "name_taken"
        assert "api_key" not in theirs.json()


async def test_retried_registration_survives_a_gateway_restart(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url, timeout=20, trust_env=False) as http:
        first = await http.post(REGISTER, json=body("restarted"), headers=keyed("reg-4"))
        assert first.status_code in (201, 202)
    before = await registrations(env)
    async with (
        running_gateway(
            env.log, port=free_port(), settings=TEST_SETTINGS, database=env.db, project=False
        ) as fresh,
        httpx.AsyncClient(base_url=fresh.url, timeout=20, trust_env=False) as http,
    ):
        retry = await http.post(REGISTER, json=body("restarted"), headers=keyed("reg-4"))
        assert retry.status_code == 201, retry.text
        assert retry.json()["api_key"] == first.json()["api_key"]
        assert retry.json()["agent_id"] == first.json()["agent_id"]
    assert await registrations(env) == before


async def test_registrations_are_throttled_per_address(nats_url: str, tmp_path: Path) -> None:
    settings = {"registrations_per_minute": 3, "register_wait_seconds": 0.0}
    async with (
        gateway_env(nats_url, tmp_path, engine_ticks=1, tick_ms=0, **settings) as env,
        httpx.AsyncClient(base_url=env.url, timeout=20, trust_env=False) as http,
    ):
        for i in range(3):
            r = await http.post(REGISTER, json=body(f"t-{i}"), headers=keyed(f"t-{i}"))
            assert r.status_code == 202, r.text
            if i == 0:  # refused for its name: it does not count
                taken = await http.post(REGISTER, json=body("t-0"))
                assert taken.status_code == 409
        before = await env.command_seq()
        over = await http.post(REGISTER, json=body("t-3"))
        assert over.status_code == 429
        assert over.json()["error"] == "rate_limited"
        assert "3 registrations per minute" in over.json()["detail"]
        assert 1 <= int(over.headers["retry-after"]) <= 60
        assert await env.command_seq() == before
        retry = await http.post(REGISTER, json=body("t-1"), headers=keyed("t-1"))
        assert retry.status_code == 202, "a retry is not a new registration"
        elsewhere = await http.post(REGISTER, json=body("t-4"), headers=keyed("t-4", "10.9.9.9"))
        assert elsewhere.status_code == 202


async def test_sdk_registration_retries_under_one_idempotency_key(env: Env) -> None:
    async with WssClient(env.url) as first_try, WssClient(env.url) as retry:
        first = await first_try.register("sdk-bot", "quant", idempotency_key="sdk-1")
        again = await retry.register("sdk-bot", "quant", idempotency_key="sdk-1")
        assert again["api_key"] == first["api_key"]
        assert retry.agent_id == first["agent_id"]
        with pytest.raises(WssApiError) as info:  # a fresh key: a new registration
            await retry.register("sdk-bot", "quant")
        assert info.value.code == "name_taken"
