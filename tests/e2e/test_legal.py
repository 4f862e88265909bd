"""The legal system through the gateway (rules version 2): an investigator and two
whistleblowers build a case against a suspect; the case, its evidence, the charge and the
verdict are public at /api/v1/legal/... and on the ``legal`` SSE channel, the suspect is
alerted in its TickWebhook, and a conviction puts it in /legal/prison."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.client import WssApiError, WssClient
from projections.sse_bench import running_server
from tests.e2e.gateway_env import eventually, gateway_env
from tests.e2e.live import Inbox, listening
from tests.e2e.test_webhooks import hook_app_for

pytestmark = pytest.mark.timeout(90)


async def test_a_case_is_built_charged_and_judged_in_public(nats_url: str, tmp_path: Path) -> None:
    inbox = Inbox()
    async with (
        gateway_env(nats_url, tmp_path) as env,
        running_server(hook_app_for(inbox.endpoint)) as hook_url,
        WssClient(env.url) as crook,
        WssClient(env.url) as inv,
        WssClient(env.url) as wb1,
        WssClient(env.url) as wb2,
        WssClient(env.url) as spectator,
    ):
        suspect = (await crook.register("crook", "quant", callback_url=f"{hook_url}/hook"))[
            "agent_id"
        ]
        await inv.register("sleuth", "sec_investigator")
        await wb1.register("mole-1", "whistleblower")
        await wb2.register("mole-2", "retail_trader")
        async with listening(spectator, ["legal"]) as legal:
            opened = await inv.act(
                {
                    "type": "OPEN_CASE",
                    "target_agent_id": suspect,
                    "offence": "insider_trading",
                    "reason": "bought before the earnings",
                }
            )
            first = await inv.wait_action(opened["actions"][0]["command_id"], wait_seconds=10)
            assert first["status"] == "accepted", first
            for wb, refs in ((wb1, [1, 2, 3, 4]), (wb2, [5, 6, 7, 8])):
                sent = await wb.act(
                    {
                        "type": "WHISTLEBLOW",
                        "target_agent_id": suspect,
                        "offence": "insider_trading",
                        "evidence": "it knew",
                        "order_ids": refs,
                    }
                )
                done = await wb.wait_action(sent["actions"][0]["command_id"], wait_seconds=10)
                assert done["status"] == "accepted", done

            async def case() -> dict[str, Any] | None:
                rows = await spectator.request(
                    "GET", "legal/investigations", params={"agent_id": suspect}
                )
                found = rows["investigations"]
                return found[0] if found and found[0]["status"] != "open" else None

            charged = await eventually(case, timeout=20)
            assert charged["strength"] == 10 + 35 + 35
            assert charged["offence"] == "insider_trading"
            detail = await spectator.request(
                "GET", f"legal/investigations/{charged['investigation_id']}"
            )
            assert [e["source"] for e in detail["evidence"]] == [
                "investigator",
                "whistleblow",
                "whistleblow",
            ]
            assert detail["evidence"][1]["refs"]["order_ids"] == [1, 2, 3, 4]
            # a whistleblower stays anonymous in the public record
            assert {e["submitted_by"] for e in detail["evidence"][1:]} == {"whistleblower"}
            assert detail["opened_by"] != "whistleblower"  # the investigator opened it

            async def judged() -> dict[str, Any] | None:
                row = await spectator.request(
                    "GET", f"legal/investigations/{charged['investigation_id']}"
                )
                return row if row["closed_tick"] is not None else None

            verdict = await eventually(judged, timeout=30)
            assert verdict["status"] in {"convicted", "settled", "acquitted"}
            assert verdict["trial_tick"] == verdict["closed_tick"]

            def on_channel() -> list[str]:
                mine = [e for e in legal if e.data.get("case_id") == charged["investigation_id"]]
                kinds = [e.event for e in mine]
                return kinds if "VerdictReached" in kinds else []

            kinds = await eventually(_sync(on_channel), timeout=10)
            assert kinds.index("CaseOpened") < kinds.index("SuspectCharged")
            ours = charged["investigation_id"]
            evidence = [
                e.data for e in legal if e.event == "EvidenceAdded" and e.data["case_id"] == ours
            ]
            assert [e["submitted_by"] for e in evidence][1:] == ["whistleblower"] * 2

        charges = await eventually(_sync(lambda: inbox.alerts("SuspectCharged")), timeout=15)
        assert charges[0]["suspect_id"] == suspect
        prisoners = (await spectator.request("GET", "legal/prison"))["prisoners"]
        wanted = (await spectator.request("GET", "legal/most-wanted"))["wanted"]
        assert suspect not in [w["agent_id"] for w in wanted]  # the case is closed
        if verdict["status"] == "convicted":
            assert suspect in [p["agent_id"] for p in prisoners]
            refused = await crook.act({"type": "FLEE", "destination": "Nauru"})
            out = await crook.wait_action(refused["actions"][0]["command_id"], wait_seconds=10)
            assert (out["status"], out["outcome"]["reason"]) == ("rejected", "agent_imprisoned")
        else:
            assert suspect not in [p["agent_id"] for p in prisoners]
        with pytest.raises(WssApiError) as missing:
            await spectator.request("GET", "legal/investigations/999")
        assert missing.value.status == 404
        with pytest.raises(WssApiError) as bad:
            await spectator.request("GET", "legal/investigations", params={"status": "nope"})
        assert bad.value.status == 422


async def test_a_fugitive_is_fled_frozen_and_off_the_leaderboard(
    nats_url: str, tmp_path: Path
) -> None:
    async with gateway_env(nats_url, tmp_path) as env, WssClient(env.url) as runner:
        me = (await runner.register("runner", "quant"))["agent_id"]

        async def ranked() -> bool:
            return me in [e["agent_id"] for e in await runner.leaderboard()]

        await eventually(ranked, timeout=10)
        sent = await runner.act({"type": "FLEE", "destination": "Nauru"})
        out = await runner.wait_action(sent["actions"][0]["command_id"], wait_seconds=10)
        assert out["status"] == "accepted", out

        async def fled() -> bool:
            profile = await runner.request("GET", f"agents/{me}")
            return profile["status"] == "fled"

        await eventually(fled, timeout=10)
        assert me not in [e["agent_id"] for e in await runner.leaderboard()]
        again = await runner.act({"type": "FLEE", "destination": "Rio"})
        refused = await runner.wait_action(again["actions"][0]["command_id"], wait_seconds=10)
        assert (refused["status"], refused["outcome"]["reason"]) == ("rejected", "agent_not_active")


def _sync(fn):  # type: ignore[no-untyped-def]
    async def probe():  # type: ignore[no-untyped-def]
        return fn()

    return probe
