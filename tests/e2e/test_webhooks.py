"""Tick webhooks: a local receiver gets signed TickWebhooks, answers with actions, and
those actions act in the next tick (their outcome comes back in a later webhook)."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.auth import webhook_secret
from gateway.client import WssApiError, WssClient
from gateway.models import TickWebhook
from projections.sse_bench import running_server
from tests.e2e.gateway_env import SECRET, eventually, gateway_env

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
        ):
            with pytest.raises(WssApiError) as info:
                await wss.register("nope", "quant", callback_url=url)
            assert info.value.status == 422
            assert info.value.code == "callback_not_allowed"
        assert await env.command_seq() == before
