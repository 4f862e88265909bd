"""Tick webhooks: a local receiver gets signed TickWebhooks, answers with actions, and
those actions act in the next tick (their outcome comes back in a later webhook)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.auth import hash_key, mint_key, webhook_secret
from gateway.client import WssApiError, WssClient
from gateway.models import TickWebhook
from projections.sse_bench import running_server
from schemas.commands import RegisterAgent
from schemas.enums import Role
from tests.e2e.gateway_env import SECRET, Env, eventually, gateway_env

pytestmark = pytest.mark.timeout(60)


class Receiver:
    def __init__(self) -> None:
        self.secret = ""
        self.hooks: list[TickWebhook] = []
        self.bad_signatures = 0
        self.answered_tick: int | None = None

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        # The first webhook can beat the registration reply here; the secret is the
        # server's HMAC of our id, which the test checks equals what registration returned.
        agent_id = json.loads(body)["agent_id"]
        secret = self.secret or webhook_secret(SECRET, agent_id)
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("x-wss-signature", "")):
            self.bad_signatures += 1
            return Response(status_code=401)
        hook = TickWebhook.model_validate_json(body)
        self.hooks.append(hook)
        if self.answered_tick is None and hook.world and hook.world.market_open and hook.market:
            self.answered_tick = hook.tick
            symbol = hook.market[0].symbol
            return JSONResponse(
                {
                    "actions": [
                        {
                            "type": "RUMOR",
                            "symbol": symbol,
                            "content": "to the moon",
                            "command_id": "wh-rumor-1",
                        },
                    ]
                }
            )
        return JSONResponse({})


def _deliveries(env: Env, outcome: str) -> float | None:
    registry = env.gateway.deps.metrics.registry
    return registry.get_sample_value("wallstreetsim_webhook_deliveries_total", {"outcome": outcome})


async def test_webhook_round_trip(nats_url: str, tmp_path: Path) -> None:
    receiver = Receiver()
    app = Starlette(routes=[Route("/hook", receiver.endpoint, methods=["POST"])])
    async with (
        running_server(app) as hook_url,
        gateway_env(nats_url, tmp_path) as env,
        WssClient(env.url) as wss,
    ):
        me = await wss.register("hooked", "retail_trader", callback_url=f"{hook_url}/hook")
        receiver.secret = me["webhook_secret"]
        assert receiver.secret == webhook_secret(SECRET, me["agent_id"])

        async def outcome_in_a_webhook() -> bool:
            return any(
                a.get("command_id") == "wh-rumor-1" for h in receiver.hooks for a in h.alerts
            )

        await eventually(outcome_in_a_webhook, timeout=15)
        assert receiver.bad_signatures == 0
        first = receiver.hooks[0]
        assert first.agent_id == me["agent_id"]
        assert first.portfolio is not None
        assert first.portfolio.private
        assert first.world is not None
        ticks = [h.tick for h in receiver.hooks]
        assert ticks == sorted(ticks)
        # It acted in a later tick than the one that prompted it.
        status = await wss.action("wh-rumor-1")
        assert status["status"] == "accepted"
        assert status["outcome"]["tick"] > (receiver.answered_tick or 0)
        delivered = _deliveries(env, "delivered")
        assert delivered is not None
        assert delivered >= 1  # the metric counts them (webhook delivery outcomes)
        assert _deliveries(env, "failed") is None  # none failed: no such sample yet


async def test_private_callbacks_refused_unless_allowed(nats_url: str, tmp_path: Path) -> None:
    async with (
        gateway_env(
            nats_url,
            tmp_path,
            engine_ticks=0,
            allow_private_callbacks=False,
            webhooks_enabled=False,
            register_wait_seconds=0.1,
        ) as env,
        WssClient(env.url) as wss,
    ):
        before = await env.command_seq()
        for url in (
            "http://127.0.0.1:9/hook",
            "http://localhost/x",
            "http://10.0.0.8/",
            "http://[::1]/",
            "http://169.254.169.254/latest",
            "http://[64:ff9b::7f00:1]/",
            "http://[2002:7f00:1::]/",
            "http://[::127.0.0.1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://2130706433/",
        ):
            with pytest.raises(WssApiError) as info:
                await wss.register("nope", "quant", callback_url=url)
            assert info.value.status == 422
            assert info.value.code == "callback_not_allowed"
        assert await env.command_seq() == before


class Recorder:
    """Counts the requests it gets and answers each with ``response``."""

    def __init__(self, response: Response) -> None:
        self.response, self.hits = response, 0

    async def endpoint(self, _request: Request) -> Response:
        self.hits += 1
        return self.response


def hook_app_for(endpoint: Callable[[Request], Awaitable[Response]]) -> Starlette:
    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["POST"])])


async def test_delivery_revets_callback_addresses(nats_url: str, tmp_path: Path) -> None:
    """A callback URL already on the log (allowed then, or DNS changed since) is vetted
    again at delivery: ``localhost`` resolves to loopback, so nothing is sent."""
    receiver = Recorder(JSONResponse({}))
    async with (
        running_server(hook_app_for(receiver.endpoint)) as hook_url,
        gateway_env(nats_url, tmp_path, allow_private_callbacks=False) as env,
    ):
        port = hook_url.rsplit(":", 1)[1]
        await env.log.submit(
            RegisterAgent(
                command_id="r-late",
                agent_id="a-late",
                name="late",
                role=Role.QUANT,
                api_key_hash=hash_key(mint_key()),
                callback_url=f"http://localhost:{port}/hook",
            )
        )

        async def three_refused_fanouts() -> bool:
            return sum(r.targets >= 1 and r.failed >= 1 for r in env.webhooks.reports) >= 3

        await eventually(three_refused_fanouts, timeout=15)
        assert receiver.hits == 0


async def test_webhook_redirects_are_not_followed(nats_url: str, tmp_path: Path) -> None:
    elsewhere = Recorder(JSONResponse({}))
    async with running_server(hook_app_for(elsewhere.endpoint)) as elsewhere_url:
        redirector = Recorder(
            Response(status_code=307, headers={"location": f"{elsewhere_url}/steal"})
        )
        async with (
            running_server(hook_app_for(redirector.endpoint)) as hook_url,
            gateway_env(nats_url, tmp_path) as env,
            WssClient(env.url) as wss,
        ):
            await wss.register("redirected", "quant", callback_url=f"{hook_url}/hook")

            async def redirected_three_times() -> bool:
                return redirector.hits >= 3

            await eventually(redirected_three_times, timeout=15)
            hits = redirector.hits
            assert elsewhere.hits == 0
            assert any(r.failed for r in env.webhooks.reports)
            # One fan-out at a time: every redirect but one still in flight is counted failed.
            assert (_deliveries(env, "failed") or 0) >= hits - 1
            assert _deliveries(env, "delivered") is None


class SlowReceiver:
    """Answers each webhook only once the world has moved ``hold_ticks`` on, so fan-outs
    overlap ticks (the way a loaded gateway skips them); optionally fails first receipts
    of a message to check that undelivered mail waits for the next webhook."""

    def __init__(self, env: Env, hold_ticks: int, fail_first_of: str | None = None) -> None:
        self.env, self.hold_ticks, self.fail_first_of = env, hold_ticks, fail_first_of
        self.delivered: list[TickWebhook] = []
        self.refused: list[TickWebhook] = []

    async def endpoint(self, request: Request) -> Response:
        hook = TickWebhook.model_validate_json(await request.body())
        texts = [m["text"] for m in hook.messages]
        if self.fail_first_of in texts and not any(
            self.fail_first_of in [m["text"] for m in h.messages] for h in self.refused
        ):
            self.refused.append(hook)
            return Response(status_code=503)
        # The gateway's live world, not a query: a handler cancelled at shutdown must not
        # leave a database connection half open.
        live, target = self.env.gateway.deps.live, hook.tick + self.hold_ticks
        assert live is not None
        assert await live.wait_until(lambda: live.tick >= target, 10)
        self.delivered.append(hook)
        return JSONResponse({})


@contextlib.asynccontextmanager
async def hooked_and_sender(
    env: Env, endpoint: Callable[[Request], Awaitable[Response]]
) -> AsyncIterator[tuple[str, WssClient]]:
    """An agent whose webhooks go to ``endpoint`` (its id), and another agent's client."""
    async with (
        running_server(hook_app_for(endpoint)) as hook_url,
        WssClient(env.url) as hooked,
        WssClient(env.url) as sender,
    ):
        me = await hooked.register("hooked", "quant", callback_url=f"{hook_url}/hook")
        await sender.register("sender", "quant")
        yield me["agent_id"], sender


async def _message_each_tick(env: Env, sender: WssClient, to: str, texts: list[str]) -> None:
    for text in texts:
        tick = await env.world_tick()
        await sender.act({"type": "MESSAGE", "target_agent_id": to, "content": text})

        async def next_tick(after: int = tick) -> bool:
            return await env.world_tick() > after

        await eventually(next_tick)


async def test_webhooks_cover_skipped_ticks(nats_url: str, tmp_path: Path) -> None:
    async with gateway_env(nats_url, tmp_path) as env:
        receiver = SlowReceiver(env, hold_ticks=3)
        async with hooked_and_sender(env, receiver.endpoint) as (hooked_id, sender):
            texts = [f"m-{i}" for i in range(6)]
            await _message_each_tick(env, sender, hooked_id, texts)

            async def all_arrived() -> bool:
                got = [m["text"] for h in receiver.delivered for m in h.messages]
                return all(t in got for t in texts)

            await eventually(all_arrived, timeout=20)
        hooks = receiver.delivered
        got = [m["text"] for h in hooks for m in h.messages]
        assert sorted(got) == texts  # each exactly once
        assert any(h.tick > h.since_tick for h in hooks)  # ticks were skipped...
        for before, after in itertools.pairwise(hooks):  # ...and covered
            assert after.since_tick == before.tick + 1
        for h in hooks:
            assert all(h.since_tick <= m["tick"] <= h.tick for m in h.messages)


async def test_undelivered_mail_waits_for_the_next_webhook(nats_url: str, tmp_path: Path) -> None:
    async with gateway_env(nats_url, tmp_path) as env:
        receiver = SlowReceiver(env, hold_ticks=0, fail_first_of="held")
        async with hooked_and_sender(env, receiver.endpoint) as (hooked_id, sender):
            await _message_each_tick(env, sender, hooked_id, ["held"])

            async def delivered_later() -> bool:
                return any(m["text"] == "held" for h in receiver.delivered for m in h.messages)

            await eventually(delivered_later, timeout=20)
        (refused,) = receiver.refused
        (carrier,) = [h for h in receiver.delivered if h.messages]
        assert carrier.tick > refused.tick
        assert carrier.since_tick <= refused.messages[0]["tick"]


class ScriptedReceiver:
    """Answers market-open webhooks with the next scripted reply body, then with ``{}``."""

    def __init__(self, replies: list[Callable[[TickWebhook], bytes]]) -> None:
        self.replies = replies
        self.hooks: list[TickWebhook] = []

    async def endpoint(self, request: Request) -> Response:
        hook = TickWebhook.model_validate_json(await request.body())
        self.hooks.append(hook)
        if self.replies and hook.world and hook.world.market_open and hook.market:
            body = self.replies.pop(0)(hook)
            return Response(body, media_type="application/json")
        return JSONResponse({})

    def alerts(self, kind: str) -> list[dict[str, Any]]:
        return [a for h in self.hooks for a in h.alerts if a["alert"] == kind]


def _reply(*actions: dict[str, Any]) -> Callable[[TickWebhook], bytes]:
    return lambda _hook: json.dumps({"actions": list(actions)}).encode()


async def test_refused_webhook_replies_get_outcomes(nats_url: str, tmp_path: Path) -> None:
    rumor = {"type": "RUMOR", "symbol": "AAAA", "content": "up", "command_id": "rr-ok"}
    bad = {"type": "BUY", "symbol": "AAAA", "quantity": -5, "command_id": "rr-bad"}
    eleven = [{**rumor, "command_id": f"rr-11-{i}"} for i in range(11)]
    receiver = ScriptedReceiver([_reply(rumor, bad), _reply(*eleven), lambda _h: b"not json"])
    async with (
        gateway_env(nats_url, tmp_path) as env,
        running_server(hook_app_for(receiver.endpoint)) as hook_url,
        WssClient(env.url) as wss,
    ):
        await wss.register("replier", "quant", callback_url=f"{hook_url}/hook")

        async def all_refusals_alerted() -> bool:
            return len(receiver.alerts("ReplyRefused")) >= 2 + 11 + 1

        await eventually(all_refusals_alerted, timeout=20)
        by_id = {a["command_id"]: a for a in receiver.alerts("ReplyRefused")}
        assert by_id["rr-bad"]["reason"] == "validation_error"
        assert "quantity" in by_id["rr-bad"]["detail"]
        assert by_id["rr-ok"]["reason"] == "batch_refused"
        assert {by_id[f"rr-11-{i}"]["reason"] for i in range(11)} == {"batch_too_large"}
        assert by_id[None]["reason"] == "invalid_json"
        for command_id, reason in (
            ("rr-bad", "validation_error"),
            ("rr-ok", "batch_refused"),
            ("rr-11-10", "batch_too_large"),
        ):
            status = await wss.action(command_id)
            assert status["status"] == "rejected"
            assert status["outcome"]["reason"] == reason
        # Nothing of a refused reply reached the log (the engine gave none an outcome).
        refused_ids = by_id.keys() - {None}
        assert not [
            a
            for h in receiver.hooks
            for a in h.alerts
            if a["alert"] != "ReplyRefused" and a.get("command_id") in refused_ids
        ]


async def test_webhook_portfolio_matches_http(nats_url: str, tmp_path: Path) -> None:
    def resting_buy(hook: TickWebhook) -> bytes:
        stock = hook.market[0]
        price = stock.last_price * 91 // 100  # inside the 10% band, far from a fill
        order = {"type": "BUY", "symbol": stock.symbol, "quantity": 3, "price": price}
        return json.dumps({"actions": [{**order, "command_id": "wh-rest"}]}).encode()

    receiver = ScriptedReceiver([resting_buy])
    async with (
        gateway_env(nats_url, tmp_path, engine_ticks=12) as env,
        running_server(hook_app_for(receiver.endpoint)) as hook_url,
        WssClient(env.url) as wss,
    ):
        await wss.register("holder", "quant", callback_url=f"{hook_url}/hook")
        last_tick = (await asyncio.wait_for(env.engine_task, 30)).tick

        async def last_tick_delivered() -> bool:
            return any(h.tick == last_tick for h in receiver.hooks)

        await eventually(last_tick_delivered)
        final = next(h for h in receiver.hooks if h.tick == last_tick)
        assert final.portfolio is not None
        assert [o.command_id for o in final.portfolio.open_orders or []] == ["wh-rest"]
        http = await wss.portfolio()
        assert final.portfolio.model_dump(mode="json") == http
