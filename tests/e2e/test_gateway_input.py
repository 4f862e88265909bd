"""Agent input is held to the published schemas: every bad value is a 4xx, never a 500,
and nothing refused reaches the command log. Real gateway, real nats-server, SQLite."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway.app import Gateway
from gateway.errors import Unprocessable
from schemas import limits
from tests.e2e.gateway_env import Env, http_client, settled_env

pytestmark = pytest.mark.timeout(60)

V1 = "/api/v1"
BUY = {"type": "BUY", "symbol": "AAAA", "quantity": 1, "price": 100}


@pytest.fixture(scope="module")
async def env(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    async with settled_env(
        nats_url,
        tmp_path_factory.mktemp("input"),
        register_wait_seconds=0.2,
        webhooks_enabled=False,
        actions_per_tick=1000,
        orders_per_minute=1000,
        messages_per_minute=1000,
    ) as e:
        yield e


@pytest.fixture
async def http(env: Env) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(env) as client:
        yield client


@pytest.fixture(scope="module")
async def me(env: Env) -> tuple[str, str]:
    """(agent id, API key) of the agent these tests act as."""
    async with http_client(env) as client:
        r = await client.post(
            f"{V1}/auth/register", json={"name": "strict", "role": "hedge_fund_manager"}
        )
    assert r.status_code in (201, 202), r.text
    return str(r.json()["agent_id"]), str(r.json()["api_key"])


@pytest.fixture(scope="module")
def key(me: tuple[str, str]) -> str:
    return me[1]


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def refused(
    env: Env, http: httpx.AsyncClient, path: str, body: Any, status: int, **kw: Any
) -> dict[str, Any]:
    """POST ``body``; it must answer ``status`` with the error shape and append nothing."""
    before = await env.command_seq()
    # json.dumps escapes what httpx's UTF-8 encoder cannot send (a lone surrogate).
    r = await http.post(path, content=json.dumps(body), **kw)
    assert r.status_code == status, r.text
    out: dict[str, Any] = r.json()
    assert set(out) >= {"error", "detail"}, out
    assert await env.command_seq() == before, "a refused request reached the command log"
    return out


@pytest.mark.parametrize("order_id", [2**63, 2**63 + 1, 2**64, 10**30, 0, -1])
async def test_out_of_range_order_id_is_422_not_500(
    env: Env, http: httpx.AsyncClient, key: str, order_id: int
) -> None:
    body = {"type": "CANCEL_ORDER", "order_id": order_id}
    out = await refused(env, http, f"{V1}/actions", body, 422, headers=auth(key))
    assert out["error"] == "validation_error"
    assert [f["loc"] for f in out["fields"]] == ["CANCEL_ORDER.order_id"]


async def test_largest_order_id_is_accepted(env: Env, http: httpx.AsyncClient, key: str) -> None:
    body = {"type": "CANCEL_ORDER", "order_id": limits.MAX_ORDER_ID}
    r = await http.post(f"{V1}/actions", json=body, headers=auth(key))
    assert r.status_code == 202, r.text


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/agents", "limit=99999999999999999999999"),
        ("/agents", "offset=-99999999999999999999999"),
        ("/market/history/AAAA", "from_tick=18446744073709551616"),
        ("/market/orderbook/AAAA", "depth=9223372036854775808"),
        ("/news", "since_tick=9223372036854775808"),
        ("/leaderboard", "limit=1e3"),
        ("/news", "limit=%EF%BC%95"),  # a full-width digit five: int() would take it
        ("/agents", "limit="),
        ("/news", "symbol="),
        ("/market/history/AAAA", "interval="),
        ("/leaderboard", "builtin="),
    ],
)
async def test_bad_query_values_are_422(http: httpx.AsyncClient, path: str, query: str) -> None:
    r = await http.get(f"{V1}{path}?{query}")
    assert r.status_code == 422, r.text
    name = query.partition("=")[0]
    assert r.json()["fields"][0]["loc"] == f"query.{name}"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", True),
        ("quantity", "5"),
        ("quantity", 5.5),
        ("price", "100"),
        ("price", False),
        ("symbol", 5),
        ("command_id", None),
        ("agent_id", None),
    ],
)
async def test_actions_are_validated_strictly(
    env: Env, http: httpx.AsyncClient, key: str, field: str, value: Any
) -> None:
    out = await refused(env, http, f"{V1}/actions", {**BUY, field: value}, 422, headers=auth(key))
    assert out["error"] == "validation_error"
    assert out["fields"][0]["loc"] == f"BUY.{field}", out


async def test_whole_number_floats_are_integers_read_exactly(
    env: Env, http: httpx.AsyncClient, key: str
) -> None:
    # JSON Schema counts 5.0 an integer; it is read as one, without a float's rounding.
    r = await http.post(
        f"{V1}/actions",
        content=b'{"type": "BUY", "symbol": "AAAA", "quantity": 5.0, "price": 1e2}',
        headers=auth(key),
    )
    assert r.status_code == 202, r.text
    stored = await env.log.js.get_msg(env.log.streams.command_stream, r.json()["actions"][0]["seq"])
    assert json.loads(stored.data)["quantity"] == 5
    for raw in (b"9223372036854775808.0", b"9.223372036854775808e18", b"1e999999999"):
        before = await env.command_seq()
        r = await http.post(
            f"{V1}/actions",
            content=b'{"type": "CANCEL_ORDER", "order_id": ' + raw + b"}",
            headers=auth(key),
        )
        assert r.status_code == 422, (raw, r.text)
        assert await env.command_seq() == before
    r = await http.post(
        f"{V1}/actions", content=b'{"type": "BUY", "quantity": NaN}', headers=auth(key)
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_json"


async def test_register_is_validated_strictly(env: Env, http: httpx.AsyncClient) -> None:
    out = await refused(env, http, f"{V1}/auth/register", {"name": 5, "role": "quant"}, 422)
    assert [f["loc"] for f in out["fields"]] == ["name"]
    out = await refused(env, http, f"{V1}/auth/verify", {"api_key": True}, 422)
    assert [f["loc"] for f in out["fields"]] == ["api_key"]


def _gateway(env: Env) -> Gateway:
    app = env.gateway.server.config.app
    assert isinstance(app, Starlette)
    gateway = app.state.gateway
    assert isinstance(gateway, Gateway)
    return gateway


async def test_webhook_reply_actions_are_validated_strictly(env: Env) -> None:
    # A webhook reply's actions go through the same ActionService as HTTP bodies.
    actions = _gateway(env).actions
    with pytest.raises(Unprocessable) as refused_reply:
        actions.parse("a-1", [{**BUY, "quantity": "5"}, {**BUY, "content": "a\x00"}], batch=True)
    assert refused_reply.value.code == "control_character"
    with pytest.raises(Unprocessable) as refused_reply:
        actions.parse("a-1", [BUY, {**BUY, "quantity": True}], batch=True)
    assert [f["loc"] for f in refused_reply.value.fields or []] == ["actions.1.BUY.quantity"]
    assert len(actions.parse("a-1", [BUY], batch=True)) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"name": "nul", "role": "quant", "callback_url": "http://93.184.216.34/a\u0000b"},
        {"name": "a\u0000b", "role": "quant"},
        {"name": "bell\u0007", "role": "quant"},
        {"name": "c1\u0085", "role": "quant"},
        {"name": "lone\ud800", "role": "quant"},
        {"name": "ok", "role": "quant", "x\u0000": 1},
    ],
)
async def test_control_characters_are_refused_at_registration(
    env: Env, http: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    out = await refused(env, http, f"{V1}/auth/register", body, 422)
    assert out["error"] == "control_character"
    assert out["fields"][0]["type"] == "control_character"


@pytest.mark.parametrize(
    "action",
    [
        {"type": "RUMOR", "symbol": "AAAA", "content": "to the\u0000moon"},
        {"type": "MESSAGE", "target_agent_id": "a-1", "content": "line\nbreak"},
        {"type": "FLEE", "destination": "Rio\u001b[31m"},
        {"type": "ALLY", "target_agent_id": "a-1", "proposal": "del\u007f"},
    ],
)
async def test_control_characters_are_refused_in_actions(
    env: Env, http: httpx.AsyncClient, key: str, action: dict[str, Any]
) -> None:
    out = await refused(env, http, f"{V1}/actions", action, 422, headers=auth(key))
    assert out["error"] == "control_character"
    out = await refused(
        env, http, f"{V1}/actions", {"actions": [BUY, action]}, 422, headers=auth(key)
    )
    assert out["fields"][0]["loc"].startswith("actions.1."), out


@pytest.mark.parametrize("depth", [33, 1_000, 30_000])
async def test_deeply_nested_json_is_400(
    env: Env, http: httpx.AsyncClient, key: str, depth: int
) -> None:
    deep_array = b"[" * depth + b"]" * depth
    deep_field = (
        b'{"type": "RUMOR", "symbol": "AAAA", "content": "x", "extra": '
        + b'{"x": ' * min(depth, 5_000)
        + b"{}"
        + b"}" * min(depth, 5_000)
        + b"}"
    )
    for path, headers in ((f"{V1}/actions", auth(key)), (f"{V1}/auth/register", {})):
        for deep in (deep_array, deep_field):
            before = await env.command_seq()
            r = await http.post(path, content=deep, headers=headers)
            assert r.status_code == 400, r.text
            assert r.json()["error"] == "json_too_deep"
            assert await env.command_seq() == before


async def test_bodies_that_are_not_utf8_are_400(
    env: Env, http: httpx.AsyncClient, key: str
) -> None:
    # json.loads would guess UTF-16 for the first and parse it, deep as it is. In UTF-16
    # a quote need not be its own character (U+2200 is the bytes 00 22), so a byte count
    # would see these brackets inside a string: the depth count only trusts UTF-8.
    deep = "[" * 5_000 + "]" * 5_000
    utf16_deep = f'["\u2200", {deep}, "\u2200"]'.encode("utf-16-le")
    latin1 = '{"type": "RUMOR", "symbol": "AAAA", "content": "caf\u00e9"}'.encode("latin-1")
    for body in (utf16_deep, latin1):
        before = await env.command_seq()
        r = await http.post(f"{V1}/actions", content=body, headers=auth(key))
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "invalid_json"
        assert await env.command_seq() == before


async def test_brackets_inside_strings_do_not_count_as_depth(
    http: httpx.AsyncClient, key: str
) -> None:
    rumor = {"type": "RUMOR", "symbol": "AAAA", "content": "[{" * 100 + '\\"'}
    r = await http.post(f"{V1}/actions", json=rumor, headers=auth(key))
    assert r.status_code == 202, r.text


async def test_sse_errors_have_the_error_shape(http: httpx.AsyncClient) -> None:
    for params in (
        {"channels": "fundamentals"},
        {"channels": " , "},
        {"channels": "market:apex"},
        {"channels": "tick", "last_event_id": "+5"},
        {"channels": "tick", "last_event_id": str(2**63)},
    ):
        r = await http.get(f"{V1}/stream", params=params)
        assert r.status_code == 400, params
        assert set(r.json()) == {"error", "detail"}, r.json()
    r = await http.get(f"{V1}/stream", params={"channels": "tick,agent:a-nobody"})
    assert r.status_code == 403
    body = r.json()
    assert set(body) == {"error", "detail"}
    assert body["error"] == "forbidden"
    assert "agent:a-nobody" in body["detail"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/agents/{me}/portfolio"),
        ("POST", "/actions"),
        ("GET", "/actions/c-1"),
    ],
)
async def test_api_key_in_url_is_refused_outside_the_stream(
    env: Env, http: httpx.AsyncClient, me: tuple[str, str], method: str, path: str
) -> None:
    agent_id, key = me
    before = await env.command_seq()
    r = await http.request(
        method, f"{V1}{path.format(me=agent_id)}", params={"api_key": key}, json=BUY
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "api_key_in_url"
    assert "Authorization" in r.json()["detail"]
    assert await env.command_seq() == before


async def test_api_key_in_url_opens_the_own_private_stream(
    http: httpx.AsyncClient, me: tuple[str, str]
) -> None:
    agent_id, key = me
    params = {"channels": f"tick,agent:{agent_id}", "api_key": key}
    async with http.stream("GET", f"{V1}/stream", params=params) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
    r = await http.get(f"{V1}/stream", params={**params, "api_key": "wss_" + "x" * 43})
    assert r.status_code == 403
