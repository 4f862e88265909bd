"""Social actions through the gateway (rules version 2): a MESSAGE reaches its target by
webhook, on its private SSE channel and at GET /agents/{id}/messages (its key only); an
alliance forms by mutual ALLY, is public at GET /alliances and on ``news``, and dissolves;
a rumor is news with its author and costs the author reputation on its public profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.client import SseEvent, WssApiError, WssClient
from projections.sse_bench import running_server
from tests.e2e.gateway_env import eventually, gateway_env
from tests.e2e.live import Inbox, listening
from tests.e2e.test_webhooks import hook_app_for

pytestmark = pytest.mark.timeout(60)


async def test_a_message_arrives_by_webhook_sse_and_api(nats_url: str, tmp_path: Path) -> None:
    inbox = Inbox()
    async with (
        gateway_env(nats_url, tmp_path) as env,
        running_server(hook_app_for(inbox.endpoint)) as hook_url,
        WssClient(env.url) as target,
        WssClient(env.url) as sender,
        WssClient(env.url) as other,
    ):
        me = await target.register("target", "quant", callback_url=f"{hook_url}/hook")
        them = await sender.register("sender", "quant")
        await other.register("other", "quant")
        async with listening(target, [f"agent:{me['agent_id']}"]) as seen:
            sent = await sender.act(
                {"type": "MESSAGE", "target_agent_id": me["agent_id"], "content": "psst: APEX"}
            )
            outcome = await sender.wait_action(sent["actions"][0]["command_id"], wait_seconds=10)
            assert outcome["status"] == "accepted", outcome
            assert outcome["outcome"]["event_type"] == "MessageDelivered"

            def by_webhook() -> list[dict[str, object]]:
                return [m for m in inbox.messages() if m["text"] == "psst: APEX"]

            (hooked,) = await eventually(_sync(by_webhook), timeout=15)
            assert hooked["from_agent_id"] == them["agent_id"]
            assert hooked["action"] == "MESSAGE"

            def on_sse() -> list[SseEvent]:
                return [e for e in seen if e.event == "MessageDelivered"]

            (streamed,) = await eventually(_sync(on_sse), timeout=10)
            assert streamed.data["content"] == "psst: APEX"
            assert streamed.data["agent_id"] == them["agent_id"]

        async def by_api() -> list[dict[str, object]]:
            return await target.messages()

        (read,) = await eventually(by_api, timeout=10)
        assert (read["sender_id"], read["content"]) == (them["agent_id"], "psst: APEX")
        assert read["message_id"] == hooked["message_id"]
        with pytest.raises(WssApiError) as info:  # another agent's messages
            await other.messages(me["agent_id"])
        assert info.value.status == 403
        async with WssClient(env.url) as anonymous:
            with pytest.raises(WssApiError) as info:
                await anonymous.messages(me["agent_id"])
            assert info.value.status == 401
        assert await sender.messages() == []  # nothing was sent to the sender


async def test_an_alliance_forms_is_public_and_dissolves(nats_url: str, tmp_path: Path) -> None:
    async with (
        gateway_env(nats_url, tmp_path) as env,
        WssClient(env.url) as a,
        WssClient(env.url) as b,
        WssClient(env.url) as spectator,
    ):
        ida = (await a.register("ally-a", "quant"))["agent_id"]
        idb = (await b.register("ally-b", "influencer"))["agent_id"]
        async with listening(spectator, ["news"]) as news:
            first = await a.act({"type": "ALLY", "target_agent_id": idb, "proposal": "team?"})
            proposed = await a.wait_action(first["actions"][0]["command_id"], wait_seconds=10)
            assert proposed["outcome"]["event_type"] == "AllianceProposed"
            back = await b.act({"type": "ALLY", "target_agent_id": ida, "proposal": "yes"})
            formed = await b.wait_action(back["actions"][0]["command_id"], wait_seconds=10)
            assert formed["outcome"]["event_type"] == "AllianceFormed"

            async def listed() -> list[dict[str, object]]:
                return await spectator.alliances()

            (alliance,) = await eventually(listed, timeout=10)
            assert {alliance["member_a"], alliance["member_b"]} == {ida, idb}
            assert alliance["proposer_id"] == ida
            assert alliance["status"] == "active"
            assert await spectator.alliances(agent_id=idb) == [alliance]

            def public() -> list[SseEvent]:
                return [e for e in news if e.event == "AllianceFormed"]

            await eventually(_sync(public), timeout=10)

            end = await a.act({"type": "DISSOLVE_ALLIANCE", "target_agent_id": idb})
            ended = await a.wait_action(end["actions"][0]["command_id"], wait_seconds=10)
            assert ended["outcome"]["event_type"] == "AllianceDissolved"

            async def gone() -> bool:
                return await spectator.alliances() == []

            await eventually(gone, timeout=10)
            (old,) = await spectator.alliances(include_dissolved="true")
            assert (old["status"], old["dissolved_by"]) == ("dissolved", ida)

            async def reputation_of_a() -> int | None:
                profile = await spectator.request("GET", f"agents/{ida}")
                return profile["reputation"] if profile["reputation"] != 50 else None

            assert await eventually(reputation_of_a, timeout=10) == 48  # dissolving costs 2

            bad = await a.act({"type": "DISSOLVE_ALLIANCE", "target_agent_id": idb})
            refused = await a.wait_action(bad["actions"][0]["command_id"], wait_seconds=10)
            assert (refused["status"], refused["outcome"]["reason"]) == ("rejected", "not_allied")


async def test_a_rumor_is_attributed_news_and_costs_reputation(
    nats_url: str, tmp_path: Path
) -> None:
    async with gateway_env(nats_url, tmp_path) as env, WssClient(env.url) as talk:
        me = await talk.register("talker", "influencer")
        symbol = (await talk.stocks())[0]["symbol"]
        sent = await talk.act(
            {"type": "RUMOR", "symbol": symbol, "content": "record profits, buy now"}
        )
        outcome = await talk.wait_action(sent["actions"][0]["command_id"], wait_seconds=10)
        assert outcome["outcome"]["event_type"] == "RumorPublished"

        async def rumor_news() -> list[dict[str, object]]:
            return [n for n in await talk.news(symbol=symbol) if n["kind"] == "rumor"]

        (item,) = await eventually(rumor_news, timeout=10)
        assert item["agent_id"] == me["agent_id"]
        assert "record profits, buy now" in str(item["body"])  # the domain's NewsPublished
        assert symbol in str(item["headline"])
        assert item["sentiment"] == 100
        profile = await talk.request("GET", f"agents/{me['agent_id']}")
        assert profile["reputation"] == 48


def _sync(fn):  # type: ignore[no-untyped-def]
    async def probe():  # type: ignore[no-untyped-def]
        return fn()

    return probe
