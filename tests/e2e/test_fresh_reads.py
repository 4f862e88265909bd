"""An agent's own reads come from the world the gateway folds itself, not from the
relational projection's catch-up: registration, portfolio and outcomes keep working when
that projection does not run at all; ids never sent are 404; ids sent but not yet cut are
pending, also for a gateway started after they were sent."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from domain.rules.leverage import buying_power
from gateway.deps import GatewaySettings
from gateway.runtime import running_gateway
from replayer.verify import rebuild
from tests.e2e.gateway_env import TEST_SETTINGS, Env, eventually, gateway_env
from wss.natsserver import free_port

pytestmark = pytest.mark.timeout(90)

V1 = "/api/v1"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _market_open(env: Env) -> bool:
    live = env.gateway.deps.live
    assert live is not None
    return live.world.market_open and live.tick >= 1


async def _register(http: httpx.AsyncClient, name: str) -> dict[str, str]:
    r = await http.post(f"{V1}/auth/register", json={"name": name, "role": "hedge_fund_manager"})
    assert r.status_code in (201, 202), r.text
    body: dict[str, str] = r.json()
    return body


async def test_outcome_and_portfolio_without_the_relational_projection(
    nats_url: str, tmp_path: Path
) -> None:
    async with (
        gateway_env(nats_url, tmp_path, tick_ms=100, project=False) as env,
        httpx.AsyncClient(base_url=env.url, timeout=10, trust_env=False) as http,
    ):
        await eventually(lambda: _market_open(env))
        r = await http.post(f"{V1}/auth/register", json={"name": "fresh", "role": "quant"})
        assert r.status_code == 201, r.text  # visible at the next tick, projection or not
        me = r.json()
        live = env.gateway.deps.live
        assert live is not None
        symbol, company = next(iter(live.world.companies.items()))
        buy = {"type": "BUY", "symbol": symbol, "quantity": 3, "price": company.last_price}
        sent = await http.post(
            f"{V1}/actions", json={**buy, "command_id": "fresh-buy"}, headers=auth(me["api_key"])
        )
        assert sent.status_code == 202, sent.text

        async def decided() -> dict[str, object] | None:
            r = await http.get(f"{V1}/actions/fresh-buy", headers=auth(me["api_key"]))
            assert r.status_code == 200, r.text
            body: dict[str, object] = r.json()
            return body if body["status"] != "pending" else None

        status = await eventually(decided, timeout=20)
        assert status["status"] == "accepted", status
        outcome = status["outcome"]
        assert isinstance(outcome, dict)
        assert isinstance(status["as_of_tick"], int)
        assert status["as_of_tick"] >= outcome["tick"]

        r = await http.get(f"{V1}/agents/{me['agent_id']}/portfolio", headers=auth(me["api_key"]))
        assert r.status_code == 200, r.text
        mine = r.json()
        assert mine["private"] is True
        assert mine["as_of_tick"] >= outcome["tick"]
        assert mine["as_of_seq"] > 0
        held = {h["symbol"]: h["quantity"] for h in mine["holdings"]}
        on_book = [o for o in mine["open_orders"] if o["command_id"] == "fresh-buy"]
        assert held.get(symbol, 0) == 3 or on_book, mine  # filled, or resting in the book

        public = (await http.get(f"{V1}/agents/{me['agent_id']}/portfolio")).json()
        assert public["private"] is False
        assert public["buying_power"] is None
        assert public["cash"] is None


async def test_portfolio_buying_power_is_the_domains_rule(nats_url: str, tmp_path: Path) -> None:
    async with (
        gateway_env(nats_url, tmp_path, tick_ms=50) as env,
        httpx.AsyncClient(base_url=env.url, timeout=10, trust_env=False) as http,
    ):
        await eventually(lambda: _market_open(env))
        me = await _register(http, "power")
        live = env.gateway.deps.live
        assert live is not None
        symbol, company = next(iter(live.world.companies.items()))
        order = {"type": "BUY", "symbol": symbol, "quantity": 10, "price": company.last_price}
        key = auth(me["api_key"])
        await http.post(f"{V1}/actions", json={**order, "command_id": "bp"}, headers=key)

        async def accepted() -> bool:
            return (await http.get(f"{V1}/actions/bp", headers=key)).json()["status"] == "accepted"

        await eventually(accepted, timeout=20)
        env.stop_engine.set()
        await env.engine_task
        last = await env.log.last_seq(env.log.streams.event_stream)
        await eventually(lambda: _applied(env, last))
        r = await http.get(f"{V1}/agents/{me['agent_id']}/portfolio", headers=key)
        mine = r.json()
        world = await rebuild(env.log, until_tick=mine["as_of_tick"])
        account = world.accounts[me["agent_id"]]
        assert mine["buying_power"] == buying_power(world, account)
        assert mine["cash"] == account.cash
        assert account.reserved > 0 or account.positions  # the order changed the figure


async def _applied(env: Env, seq: int) -> bool:
    live = env.gateway.deps.live
    assert live is not None
    return live.seq >= seq


async def test_action_never_sent_is_404_unknown_action(nats_url: str, tmp_path: Path) -> None:
    async with (
        gateway_env(nats_url, tmp_path, engine_ticks=3, tick_ms=0) as env,
        httpx.AsyncClient(base_url=env.url, timeout=10, trust_env=False) as http,
    ):
        await eventually(lambda: _done_at(env, 3))
        me = await _register(http, "nobody-sent-this")
        r = await http.get(f"{V1}/actions/never-sent", headers=auth(me["api_key"]))
        assert r.status_code == 404, r.text
        assert r.json()["error"] == "unknown_action"


async def _done_at(env: Env, tick: int) -> bool:
    live = env.gateway.deps.live
    assert live is not None
    return env.engine_task.done() and live.tick >= tick


async def test_action_sent_but_not_cut_is_pending_after_a_gateway_restart(
    nats_url: str, tmp_path: Path
) -> None:
    """Once the engine has stopped, what is sent stays uncut: this gateway knows it
    published it, and a gateway started afterwards finds it in the command stream."""
    async with gateway_env(nats_url, tmp_path, tick_ms=50) as env:
        await eventually(lambda: _market_open(env))
        async with httpx.AsyncClient(base_url=env.url, timeout=10, trust_env=False) as http:
            r = await http.post(f"{V1}/auth/register", json={"name": "waiting", "role": "quant"})
            assert r.status_code == 201, r.text
            key = auth(r.json()["api_key"])
            env.stop_engine.set()
            await env.engine_task
            order = {"type": "BUY", "symbol": "AAAA", "quantity": 1, "price": 100}
            r = await http.post(f"{V1}/actions", json={**order, "command_id": "uncut"}, headers=key)
            assert r.status_code == 202, r.text
            r = await http.get(f"{V1}/actions/uncut", headers=key)
            assert r.json()["status"] == "pending", r.text
        async with (
            running_gateway(
                env.log,
                port=free_port(),
                settings=GatewaySettings(webhook_secret=TEST_SETTINGS.webhook_secret),
                database=env.db,
                project=False,
                sse=False,
            ) as second,
            httpx.AsyncClient(base_url=second.url, timeout=10, trust_env=False) as http,
        ):
            r = await http.get(f"{V1}/actions/uncut", headers=key)
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "pending"
            r = await http.get(f"{V1}/actions/not-this-one", headers=key)
            assert r.status_code == 404, r.text
            assert r.json()["error"] == "unknown_action"


async def test_live_world_keeps_no_outcomes_of_builtin_traders(
    nats_url: str, tmp_path: Path
) -> None:
    """Built-in traders make most outcomes and never ask for them: the gateway's in-memory
    index (which grew RSS under load) holds only the outcomes an agent or operator may read."""
    async with gateway_env(nats_url, tmp_path, tick_ms=50, project=False) as env:
        live = env.gateway.deps.live
        assert live is not None

        async def traded() -> bool:
            return live.tick >= 20

        await eventually(traded, timeout=60)
        builtin = {a for a, acct in live.world.accounts.items() if acct.builtin}
        assert builtin
        kept = {agent for agent, _ in live.outcomes._rows}
        assert kept  # the operator's START_SEASON at least
        assert not kept & builtin
