"""At most once, and limits that hold per tick: over the real app, nats-server and engine.

The tick tests check the log itself: every ``TickClosed`` records the command range it
consumed, so "at most 10 of an agent's actions per tick" is counted where it matters.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.runtime import running_gateway
from projections.relational import queries
from projections.sse_bench import running_server
from schemas.events import TickClosed, parse_event
from tests.e2e.gateway_env import TEST_SETTINGS, Env, eventually, gateway_env
from wss.natsserver import free_port
from wss.season import run_engine
from wss.settings import Settings

pytestmark = pytest.mark.timeout(90)

V1 = "/api/v1"
LIMIT = 10
# Orders per minute out of the way: these tests are about the per-tick budget.
MANY_ORDERS = 1_000_000


def buy(quantity: int = 1, **extra: object) -> dict[str, object]:
    return {"type": "BUY", "symbol": "AAAA", "quantity": quantity, "price": 100, **extra}


def auth(key: str, idempotency_key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {key}"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return headers


async def register(http: httpx.AsyncClient, name: str) -> str:
    r = await http.post(f"{V1}/auth/register", json={"name": name, "role": "hedge_fund_manager"})
    assert r.status_code in (201, 202), r.text
    return str(r.json()["api_key"])


@contextlib.asynccontextmanager
async def client(env: Env) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=env.url, timeout=20, trust_env=False) as http:
        yield http


async def ticks_of(env: Env) -> list[TickClosed]:
    stream = env.log.streams.event_stream
    closed: list[TickClosed] = []
    async for page in env.log.read(stream, 1, await env.log.last_seq(stream)):
        closed.extend(e for m in page if isinstance(e := parse_event(m.data), TickClosed))
    return closed


async def per_tick(env: Env, seqs: list[int]) -> Counter[int]:
    """How many of ``seqs`` each tick consumed, once every one of them has been cut."""

    async def all_cut() -> list[TickClosed] | None:
        closed = await ticks_of(env)
        return closed if closed and closed[-1].last_command_seq >= max(seqs) else None

    closed = await eventually(all_cut, timeout=30)
    counts: Counter[int] = Counter()
    for seq in seqs:
        tick = next(t for t in closed if t.first_command_seq <= seq <= t.last_command_seq)
        counts[tick.tick] += 1
    return counts


def accepted_seqs(responses: list[httpx.Response]) -> list[int]:
    return [a["seq"] for r in responses if r.status_code == 202 for a in r.json()["actions"]]


# --- the per-tick limit, on a ticking engine --------------------------------------------------


@pytest.fixture
async def ticking(nats_url: str, tmp_path: Path) -> AsyncIterator[Env]:
    async with gateway_env(nats_url, tmp_path, tick_ms=150, orders_per_minute=MANY_ORDERS) as e:
        await eventually(lambda: _at_least(e, 2))
        yield e


async def _at_least(env: Env, tick: int) -> bool:
    return await env.world_tick() >= tick


async def test_tick_limit_holds_for_sequential_sends_across_tick_boundaries(
    ticking: Env,
) -> None:
    async with client(ticking) as http:
        key = await register(http, "sequential")
        start = await ticking.world_tick()
        # Batches of half the limit, one request after the other: two fill a tick, so the
        # third is the one that tells whether the gateway knows where the tick ends.
        half = [buy()] * (LIMIT // 2)
        responses = [
            await http.post(f"{V1}/actions", json=half, headers=auth(key)) for _ in range(40)
        ]
        spanned = await ticking.world_tick() - start
    assert spanned >= 2, "the sends did not cross a tick boundary"
    assert {r.status_code for r in responses} <= {202, 429}
    assert any(r.status_code == 429 for r in responses)
    counts = await per_tick(ticking, accepted_seqs(responses))
    assert max(counts.values()) <= LIMIT, counts
    assert max(counts.values()) == LIMIT, "the sender never filled a tick: nothing was tested"


async def test_tick_limit_holds_for_parallel_sends_and_batches(ticking: Env) -> None:
    async with client(ticking) as http:
        key = await register(http, "parallel")
        responses: list[httpx.Response] = []
        for _ in range(4):  # a few rounds, so some land across a tick boundary
            singles = [http.post(f"{V1}/actions", json=buy(), headers=auth(key)) for _ in range(40)]
            batches = [
                http.post(f"{V1}/actions", json=[buy()] * 3, headers=auth(key)) for _ in range(10)
            ]
            responses += await asyncio.gather(*singles, *batches)
    assert {r.status_code for r in responses} <= {202, 429}
    counts = await per_tick(ticking, accepted_seqs(responses))
    assert max(counts.values()) <= LIMIT, counts
    assert max(counts.values()) == LIMIT


async def test_tick_limit_holds_for_webhook_replies_and_http_together(
    nats_url: str, tmp_path: Path
) -> None:
    async def hook(_request: Request) -> Response:  # every webhook answers with 6 orders
        return JSONResponse({"actions": [buy()] * 6})

    receiver = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    async with (
        running_server(receiver) as hook_url,
        gateway_env(nats_url, tmp_path, tick_ms=150, orders_per_minute=MANY_ORDERS) as env,
        client(env) as http,
    ):
        r = await http.post(
            f"{V1}/auth/register",
            json={"name": "hooked", "role": "quant", "callback_url": f"{hook_url}/hook"},
        )
        agent, key = r.json()["agent_id"], r.json()["api_key"]
        await eventually(lambda: _at_least(env, 1))
        start = await env.world_tick()
        responses = []
        # Pairs, so that a reply of 6 still fits in most ticks when it comes first.
        while await env.world_tick() < start + 10:
            responses.append(await http.post(f"{V1}/actions", json=[buy()] * 2, headers=auth(key)))
        sent = [
            seq
            for seq, c in await env.log.commands(1, await env.command_seq())
            if c.agent_id == agent and c.type == "BUY"
        ]
        assert len(sent) > len(accepted_seqs(responses)), "no webhook reply reached the log"
        counts = await per_tick(env, sent)
    assert max(counts.values()) <= LIMIT, counts


# --- idempotency, on an engine that stands still (every new action is for the next tick) -----


@pytest.fixture(scope="module")
async def still(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    tmp = tmp_path_factory.mktemp("idem")
    async with gateway_env(nats_url, tmp, engine_ticks=3, tick_ms=0) as e:
        await eventually(lambda: _stood_still(e))
        yield e


async def _stood_still(env: Env) -> bool:
    return await env.world_tick() >= 3 and env.engine_task.done()


async def test_idempotency_key_reused_with_another_body_is_409(still: Env) -> None:
    async with client(still) as http:
        key = await register(http, "reuser")
        first = await http.post(f"{V1}/actions", json=buy(1), headers=auth(key, "k-1"))
        assert first.status_code == 202, first.text
        before = await still.command_seq()
        other = await http.post(f"{V1}/actions", json=buy(2), headers=auth(key, "k-1"))
        assert other.status_code == 409
        assert other.json()["error"] == "idempotency_key_reused"
        assert "another request" in other.json()["detail"]
        longer = await http.post(f"{V1}/actions", json=[buy(1), buy(3)], headers=auth(key, "k-1"))
        assert longer.status_code == 409
        assert await still.command_seq() == before


async def test_command_id_acts_once_whatever_the_idempotency_key(still: Env) -> None:
    async with client(still) as http:
        key = await register(http, "keys")
        before = await still.command_seq()
        body = buy(command_id="c-one")
        k1 = await http.post(f"{V1}/actions", json=body, headers=auth(key, "K1"))
        k2 = await http.post(f"{V1}/actions", json=body, headers=auth(key, "K2"))
        assert k1.status_code == k2.status_code == 422
        assert k1.json()["error"] == "idempotency_key_conflict"
        alone = await http.post(f"{V1}/actions", json=body, headers=auth(key))
        again = await http.post(f"{V1}/actions", json=body, headers=auth(key))
        named = await http.post(f"{V1}/actions", json=body, headers=auth(key, "c-one"))
        assert alone.status_code == again.status_code == named.status_code == 202
        assert alone.json()["actions"][0]["duplicate"] is False
        original = alone.json()["actions"][0]
        for retry in (again, named):
            assert retry.json()["actions"][0] == {**original, "duplicate": True}
        assert await still.command_seq() == before + 1


async def test_concurrent_retries_count_once_and_are_answered_with_the_original(
    still: Env,
) -> None:
    async with client(still) as http:
        key = await register(http, "retrier")
        before = await still.command_seq()
        sends = [
            http.post(f"{V1}/actions", json=buy(), headers=auth(key, "same")) for _ in range(12)
        ]
        answers = await asyncio.gather(*sends)
        assert [r.status_code for r in answers] == [202] * 12
        actions = [r.json()["actions"][0] for r in answers]
        assert sum(not a["duplicate"] for a in actions) == 1
        original = next(a for a in actions if not a["duplicate"])
        assert {(a["command_id"], a["seq"]) for a in actions} == {("same", before + 1)}
        # The twelve sends spent one action of the tick: nine new ones still fit.
        more = await http.post(f"{V1}/actions", json=[buy()] * (LIMIT - 1), headers=auth(key))
        assert more.status_code == 202, more.text
        full = await http.post(f"{V1}/actions", json=buy(), headers=auth(key))
        assert full.status_code == 429
        # With the tick full, a retry is still answered with the original 202, not a 429.
        late = await http.post(f"{V1}/actions", json=buy(), headers=auth(key, "same"))
        assert late.status_code == 202
        assert late.json()["actions"][0] == {**original, "duplicate": True}
        assert await still.command_seq() == before + LIMIT


async def test_restarted_gateway_answers_retries_from_the_log_and_keeps_the_count(
    nats_url: str, tmp_path: Path
) -> None:
    async with gateway_env(nats_url, tmp_path, engine_ticks=3, tick_ms=0) as still:
        await eventually(lambda: _stood_still(still))
        await _restart_keeps_answers_and_counts(still, nats_url, tmp_path)


async def _one_more_tick(env: Env, nats_url: str, tmp: Path) -> None:
    """``wss run --season ID --ticks 1``: the engine admits what is waiting, then stops."""
    settings = Settings(home=tmp, snapshot_every=0, lease_seconds=5)
    stop = asyncio.Event()
    await run_engine(
        env.nc, nats_url, env.log, settings, ticks=1, tick_ms=0, stop=stop, on_tick=lambda _r: None
    )


async def _restart_keeps_answers_and_counts(still: Env, nats_url: str, tmp: Path) -> None:
    async with client(still) as http:
        key = await register(http, "restart")
        agent = (await http.post(f"{V1}/auth/verify", json={"api_key": key})).json()["agent_id"]
        await _one_more_tick(still, nats_url, tmp)
        await eventually(lambda: queries.get_agent(still.db, still.season, agent))
        batch = [buy(1), buy(2)]
        first = await http.post(f"{V1}/actions", json=batch, headers=auth(key, "b-1"))
        assert first.status_code == 202
        rest = await http.post(f"{V1}/actions", json=[buy()] * (LIMIT - 2), headers=auth(key))
        assert rest.status_code == 202
    before = await still.command_seq()
    # A fresh app on the same log and read model: no memory of the answers or counts above.
    async with (
        running_gateway(
            still.log, port=free_port(), settings=TEST_SETTINGS, database=still.db, project=False
        ) as fresh,
        httpx.AsyncClient(base_url=fresh.url, timeout=20, trust_env=False) as http,
    ):
        full = await http.post(f"{V1}/actions", json=buy(), headers=auth(key))
        assert full.status_code == 429, "the restart forgot the commands waiting for the tick"
        retry = await http.post(f"{V1}/actions", json=batch, headers=auth(key, "b-1"))
        assert retry.status_code == 202
        assert retry.json()["actions"] == [
            {**a, "duplicate": True} for a in first.json()["actions"]
        ]
        changed = await http.post(f"{V1}/actions", json=[buy(1), buy(5)], headers=auth(key, "b-1"))
        assert changed.status_code == 409
        assert changed.json()["error"] == "idempotency_key_reused"
    assert await still.command_seq() == before
