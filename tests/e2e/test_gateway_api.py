"""The gateway's HTTP contract: auth, errors, limits and idempotency, over real services.

The engine runs a few ticks and stops, so the world (and the built-in traders' resting
orders) exists and the tick stands still: the per-tick rate limit is then exact. Every
refused request must leave the command stream untouched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from gateway.auth import hash_key
from gateway.models import RegistrableRole
from gateway.openapi import build_openapi
from projections.relational.models import Order
from tests.e2e.gateway_env import Env, http_client, settled_env

pytestmark = pytest.mark.timeout(60)

V1 = "/api/v1"


@pytest.fixture(scope="module")
async def env(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    async with settled_env(
        nats_url, tmp_path_factory.mktemp("api"), register_wait_seconds=0.2
    ) as e:
        yield e


@pytest.fixture
async def http(env: Env) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(env) as client:
        yield client


async def register(http: httpx.AsyncClient, name: str) -> tuple[str, str]:
    r = await http.post(f"{V1}/auth/register", json={"name": name, "role": "hedge_fund_manager"})
    assert r.status_code in (201, 202), r.text
    body = r.json()
    return body["agent_id"], body["api_key"]


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


BUY = {"type": "BUY", "symbol": "AAAA", "quantity": 1, "price": 100}


async def unchanged(env: Env, before: int) -> None:
    assert await env.command_seq() == before, "a refused request reached the command log"


def test_registrable_roles_match_the_domain() -> None:
    from typing import get_args  # noqa: PLC0415

    from domain.rules.roles import REGISTRABLE_ROLES  # noqa: PLC0415

    assert set(get_args(RegistrableRole)) == {r.value for r in REGISTRABLE_ROLES}


async def test_register_and_verify(env: Env, http: httpx.AsyncClient) -> None:
    before = await env.command_seq()
    r = await http.post(f"{V1}/auth/register", json={"name": "alice", "role": "quant"})
    assert r.status_code in (201, 202)
    body = r.json()
    assert body["agent_id"].startswith("a-")
    assert body["api_key"].startswith("wss_")
    assert len(body["webhook_secret"]) == 64
    assert await env.command_seq() == before + 1  # one RegisterAgent on the log
    # Only the key's hash travels in the command.
    [(_, command)] = await env.log.commands(before + 1, before + 1)
    assert command.type == "REGISTER_AGENT"
    assert command.api_key_hash == hash_key(body["api_key"])
    assert body["api_key"] not in command.model_dump_json()

    r = await http.post(f"{V1}/auth/verify", json={"api_key": body["api_key"]})
    assert r.status_code == 200
    assert r.json()["agent_id"] == body["agent_id"]

    r = await http.post(f"{V1}/auth/register", json={"name": "alice", "role": "ceo"})
    assert r.status_code == 409
    assert r.json()["error"] == "name_taken"


async def test_bad_key_is_401(env: Env, http: httpx.AsyncClient) -> None:
    before = await env.command_seq()
    for headers in ({}, auth("wss_" + "x" * 43), {"Authorization": "Basic abc"}):
        r = await http.post(f"{V1}/actions", json=BUY, headers=headers)
        assert r.status_code == 401, r.text
        assert r.json()["error"] == "unauthorized"
        assert "traceback" not in r.text.lower()
    r = await http.post(f"{V1}/auth/verify", json={"api_key": "wss_nope_nope_nope_nope_nope"})
    assert r.status_code == 401
    await unchanged(env, before)


async def test_cancel_of_someone_elses_order_is_403(env: Env, http: httpx.AsyncClient) -> None:
    _, key = await register(http, "mallory")
    async with env.db.connect() as conn:
        order_id = (
            await conn.execute(
                select(Order.order_id)
                .where(Order.season_id == env.season, Order.status == "open")
                .limit(1)
            )
        ).scalar_one()
    before = await env.command_seq()
    r = await http.post(
        f"{V1}/actions", json={"type": "CANCEL_ORDER", "order_id": order_id}, headers=auth(key)
    )
    assert r.status_code == 403
    assert r.json()["error"] == "not_your_order"
    await unchanged(env, before)


async def test_acting_as_someone_else_is_403(env: Env, http: httpx.AsyncClient) -> None:
    other, _ = await register(http, "bob")
    _, key = await register(http, "eve")
    before = await env.command_seq()
    r = await http.post(f"{V1}/actions", json={**BUY, "agent_id": other}, headers=auth(key))
    assert r.status_code == 403
    await unchanged(env, before)


async def test_private_channel_of_someone_else_is_403(env: Env, http: httpx.AsyncClient) -> None:
    other, _ = await register(http, "carol")
    me, key = await register(http, "dave")
    for headers in ({}, auth(key)):
        r = await http.get(
            f"{V1}/stream", params={"channels": f"tick,agent:{other}"}, headers=headers
        )
        assert r.status_code == 403
    # Our own channel opens (status 200, an event stream).
    async with http.stream(
        "GET", f"{V1}/stream", params={"channels": f"agent:{me}"}, headers=auth(key)
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")


async def test_oversized_body_is_413(env: Env, http: httpx.AsyncClient) -> None:
    _, key = await register(http, "frank")
    before = await env.command_seq()
    huge = {"type": "RUMOR", "symbol": "AAAA", "content": "x" * (70 * 1024)}
    r = await http.post(f"{V1}/actions", json=huge, headers=auth(key))
    assert r.status_code == 413
    assert r.json()["error"] == "payload_too_large"
    r = await http.post(f"{V1}/auth/register", content=b"{" + b" " * 70_000 + b"}")
    assert r.status_code == 413
    await unchanged(env, before)


async def test_malformed_body_is_422_with_readable_fields(
    env: Env, http: httpx.AsyncClient
) -> None:
    _, key = await register(http, "grace")
    before = await env.command_seq()
    r = await http.post(
        f"{V1}/actions",
        json={"type": "BUY", "symbol": "apex", "quantity": 0, "price": 100},
        headers=auth(key),
    )
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "validation_error"
    locs = {f["loc"] for f in body["fields"]}
    assert {"BUY.symbol", "BUY.quantity"} <= locs, locs
    assert "quantity" in body["detail"]

    r = await http.post(f"{V1}/actions", json=[BUY, {"type": "TELEPORT"}], headers=auth(key))
    assert r.status_code == 422
    assert any(f["loc"].startswith("actions.1") for f in r.json()["fields"])

    r = await http.post(f"{V1}/actions", json=[BUY] * 11, headers=auth(key))
    assert r.status_code == 422
    assert r.json()["error"] == "batch_too_large"

    r = await http.post(f"{V1}/actions", content=b"{not json", headers=auth(key))
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_json"

    r = await http.post(f"{V1}/auth/register", json={"name": "", "role": "market_maker"})
    assert r.status_code == 422
    assert {f["loc"] for f in r.json()["fields"]} == {"name", "role"}

    r = await http.post(
        f"{V1}/auth/register",
        json={"name": "x", "role": "quant", "callback_url": "ftp://example.com/"},
    )
    assert r.status_code == 422
    assert r.json()["error"] == "callback_not_allowed"
    await unchanged(env, before)


async def test_rate_limit_is_429_with_retry_after(env: Env, http: httpx.AsyncClient) -> None:
    _, key = await register(http, "heidi")
    r = await http.post(f"{V1}/actions", json=[BUY] * 10, headers=auth(key))
    assert r.status_code == 202, r.text
    before = await env.command_seq()
    r = await http.post(f"{V1}/actions", json=BUY, headers=auth(key))
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["error"] == "rate_limited"
    await unchanged(env, before)


async def test_idempotency_key_acts_once(env: Env, http: httpx.AsyncClient) -> None:
    _, key = await register(http, "ivan")
    before = await env.command_seq()
    headers = {**auth(key), "Idempotency-Key": "retry-me-1"}
    first = await http.post(f"{V1}/actions", json=BUY, headers=headers)
    second = await http.post(f"{V1}/actions", json=BUY, headers=headers)
    assert first.status_code == second.status_code == 202
    a, b = first.json()["actions"][0], second.json()["actions"][0]
    assert a["duplicate"] is False
    assert b["duplicate"] is True
    assert a["seq"] == b["seq"]
    assert a["command_id"] == b["command_id"] == "retry-me-1"
    assert await env.command_seq() == before + 1

    # A body command id is the idempotency key too.
    body = {**BUY, "command_id": "mine-42"}
    one = await http.post(f"{V1}/actions", json=body, headers=auth(key))
    two = await http.post(f"{V1}/actions", json=body, headers=auth(key))
    assert one.json()["actions"][0]["duplicate"] is False
    assert two.json()["actions"][0]["duplicate"] is True
    assert await env.command_seq() == before + 2


async def test_reads_and_unknowns(env: Env, http: httpx.AsyncClient) -> None:
    stocks = (await http.get(f"{V1}/market/stocks")).json()["stocks"]
    assert len(stocks) == 4
    symbol = stocks[0]["symbol"]
    book = (await http.get(f"{V1}/market/orderbook/{symbol}")).json()
    assert book["bids"]
    assert book["asks"]
    assert book["bids"][0]["price"] < book["asks"][0]["price"]
    assert (await http.get(f"{V1}/market/history/{symbol}")).status_code == 200
    assert (await http.get(f"{V1}/market/stocks/ZZZZZ")).status_code == 404
    r = await http.get(f"{V1}/market/history/{symbol}", params={"interval": "5m"})
    assert r.status_code == 422
    assert (await http.get(f"{V1}/world/tick")).json()["tick"] == 3
    assert (await http.get(f"{V1}/leaderboard", params={"builtin": "true"})).status_code == 200
    seasons = (await http.get(f"{V1}/seasons")).json()["seasons"]
    assert any(s["current"] and s["season"] == env.season for s in seasons)
    r = await http.get("/nope")
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"
    r = await http.delete(f"{V1}/actions")
    assert r.status_code == 405
    spec = (await http.get("/openapi.json")).json()
    assert spec.pop("servers") == [{"url": env.url}]
    assert spec == build_openapi()
    assert (await http.get("/skill.md")).status_code == 200
