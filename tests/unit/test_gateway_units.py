"""Gateway pieces without services: rate limits, callback URL policy, signatures, LLM replies."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

import pytest

from gateway.agents import parse_llm_actions
from gateway.auth import hash_key, mint_key, sign, webhook_secret
from gateway.callbacks import check_callback_url, refusal
from gateway.errors import RateLimited, Unprocessable
from gateway.idempotency import MAX_ANSWERS, RecentAnswers
from gateway.limits import MinuteLimits, MovingWindow


def test_a_refused_batch_counts_nothing() -> None:
    limits = MinuteLimits(orders_per_minute=3, messages_per_minute=20)
    with pytest.raises(RateLimited, match="orders per minute"):
        limits.take("a", ["BUY"] * 4)
    limits.take("a", ["BUY"] * 3)


def test_orders_and_messages_are_taken_together_or_not_at_all() -> None:
    limits = MinuteLimits(orders_per_minute=100, messages_per_minute=1)
    limits.take("a", ["MESSAGE"])
    with pytest.raises(RateLimited, match="messages per minute"):
        limits.take("a", ["BUY", "MESSAGE"])
    limits.take("a", ["BUY"] * 100)  # the refused request's BUY did not count


def test_orders_per_minute_window() -> None:
    limits = MinuteLimits(orders_per_minute=100, messages_per_minute=20)
    for _ in range(10):
        limits.take("a", ["SELL"] * 10)
    with pytest.raises(RateLimited) as info:
        limits.take("a", ["CANCEL_ORDER"])
    assert 1 <= info.value.retry_after <= 60
    assert info.value.headers["Retry-After"] == str(info.value.retry_after)
    limits.take("a", ["RUMOR"])  # not an order
    limits.take("b", ["SELL"] * 10)  # per agent


def test_given_back_hits_free_the_window() -> None:
    window = MovingWindow(limit=2, seconds=60)
    window.add("k", 2, now=0.0)
    assert window.wait("k", 1, now=1.0) == pytest.approx(59.0)
    window.give_back("k")
    assert window.wait("k", 1, now=1.0) == 0
    assert window.wait("k", 1, now=61.0) == 0  # the window moved past the first hit
    assert window.wait("k", 3, now=0.0) == 60  # more than the limit never fits


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/x",
        "http://localhost/",
        "http://10.1.2.3/",
        "http://192.168.1.1/",
        "http://[::1]:9/",
        "http://169.254.169.254/",
        "http://0.0.0.0/",
        "ftp://8.8.8.8/",
        "http://user:pw@8.8.8.8/",
        "not a url",
        "http:///nohost",
        "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[::127.0.0.1]/",  # IPv4-compatible
        "http://[::ffff:10.0.0.1]/",  # IPv4-mapped
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
        "http://[fe80::1%25eth0]/",
        "http://[fec0::1]/",  # site-local
        "http://[fd00::1]/",  # unique local
        "http://[ff02::1]/",
        "http://[::]/",
        "http://224.0.0.1/",
        "http://2130706433/",  # 127.0.0.1 as one number
        "http://0x7f000001/",
        "http://127.1/",
        "http://app.localhost/",
        "http://192.0.2.1/",  # documentation
        "http://198.18.0.1/",  # benchmarking
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://[2001:db8::1]/",
    ],
)
async def test_private_or_odd_callbacks_are_refused(url: str) -> None:
    with pytest.raises(Unprocessable) as info:
        await check_callback_url(url, allow_private=False)
    assert info.value.code == "callback_not_allowed"


async def test_public_and_allowed_private_callbacks_pass() -> None:
    await check_callback_url("https://8.8.8.8/hook", allow_private=False)
    await check_callback_url("http://127.0.0.1:9/hook", allow_private=True)
    await check_callback_url("http://localhost:9/hook", allow_private=True)
    await check_callback_url("http://[::ffff:127.0.0.1]:9/hook", allow_private=True)


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "2606:4700:4700::1111",
        "64:ff9b::808:808",  # NAT64 of a public IPv4
        "2002:808:808::1",  # 6to4 of a public IPv4
        "::ffff:8.8.8.8",
    ],
)
def test_ipv6_forms_of_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), allow_private=False) is None


@pytest.mark.parametrize("address", ["224.0.0.1", "ff02::1", "0.0.0.0", "::", "192.0.2.1"])
def test_allow_private_still_refuses_non_unicast_addresses(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), allow_private=True) is not None


def test_keys_and_signatures() -> None:
    key = mint_key()
    assert key.startswith("wss_")
    assert hash_key(key) == hashlib.sha256(key.encode()).hexdigest()
    secret = webhook_secret(b"server", "a-1")
    assert secret != webhook_secret(b"server", "a-2")
    body = b'{"tick":1}'
    assert (
        sign(secret, body)
        == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    )


def test_llm_replies_are_parsed_leniently() -> None:
    text = 'Sure!\n```json\n{"actions": [{"type": "BUY", "symbol": "APEX"}, 3]}\n```'
    assert parse_llm_actions(text) == [{"type": "BUY", "symbol": "APEX"}]
    assert parse_llm_actions("no json here") == []
    assert parse_llm_actions('{"actions": "nope"}') == []


def test_example_agent_keeps_to_the_per_minute_order_budget() -> None:
    from gateway.agents import MinuteBudget  # noqa: PLC0415

    budget = MinuteBudget(orders=3, messages=1)
    buy = {"type": "BUY", "symbol": "AAAA", "quantity": 1, "price": 100}
    rumor = {"type": "RUMOR", "symbol": "AAAA", "content": "x"}
    assert budget.fit([buy, buy, rumor, rumor], now=0.0) == [buy, buy, rumor]
    assert budget.fit([buy, buy], now=30.0) == [buy]  # one order left in the minute
    assert budget.fit([buy, rumor], now=61.0) == [buy, rumor]  # the first ones aged out


async def test_recent_answers_never_exceed_their_bound() -> None:
    # The gateway's own cache, at its default bound: one `wss run` must stay flat in memory.
    recent = RecentAnswers()
    for n in range(MAX_ANSWERS + 500):
        recent.claim(f"agent:{n}", "print")
    assert len(recent) == MAX_ANSWERS
    assert recent.get("agent:0") is None  # the oldest went first
    assert recent.get(f"agent:{MAX_ANSWERS + 499}") is not None
