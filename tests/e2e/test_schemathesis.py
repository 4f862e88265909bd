"""Schemathesis against /openapi.json: no 5xx, every response matches the document, and
every request valid by the document is taken (a 400/413/422 for one is a failure).

Two passes over every operation: schemathesis' coverage cases (each bound and its
neighbours: minimum, maximum, one past either, every enum value, missing and extra
fields; positive and negative) and hypothesis-generated cases (positive).

Schemathesis calls the API synchronously, so it runs in a worker thread while the server
keeps running on this test's event loop. The SSE stream is left out (it never ends).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import schemathesis  # a dev dependency: missing means a broken set-up, not a skip

from tests.e2e.gateway_env import Env, http_client, settled_env

pytestmark = pytest.mark.timeout(300)

EXAMPLES = 25
# Rules JSON Schema cannot state, each answered with its own code; any other 4xx for a
# request valid by the document fails the test.
CROSS_FIELD_RULES = {
    "idempotency_key_conflict": "the Idempotency-Key header names the command id",
    "duplicate_command_id": "two actions of one request share a command_id",
}
Check = Callable[..., bool | None]


@pytest.fixture(scope="module")
async def env(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    async with settled_env(
        nats_url,
        tmp_path_factory.mktemp("fuzz"),
        register_wait_seconds=0.05,
        webhooks_enabled=False,
        actions_per_tick=10**6,
        orders_per_minute=10**6,
        messages_per_minute=10**6,
    ) as e:
        yield e


def _without_dns(case: schemathesis.Case) -> None:
    """Generated callback URLs with a host name point at loopback instead: the server
    resolves callback hosts, and a test sends nothing off this machine."""
    body = case.body
    if case.operation.path != "/api/v1/auth/register" or not isinstance(body, dict):
        return
    url = body.get("callback_url")
    if not isinstance(url, str):
        return
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return
    if host is None:
        return
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        body["callback_url"] = "http://127.0.0.1/hook"


def _error_code(response: Any) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


def accepts_valid_requests() -> Check:
    from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: PLC0415

    def check(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
        if response.status_code == 422 and _error_code(response) in CROSS_FIELD_RULES:
            return None
        return positive_data_acceptance(ctx, response, case)

    return check


class Fuzzer:
    def __init__(self, url: str, key: str) -> None:
        from schemathesis.checks import not_a_server_error  # noqa: PLC0415
        from schemathesis.specs.openapi.checks import (  # noqa: PLC0415
            content_type_conformance,
            response_schema_conformance,
            status_code_conformance,
        )

        self.url, self.key = url, key
        self.schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
        self.negative_checks: list[Check] = [not_a_server_error]
        self.positive_checks: list[Check] = [
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            accepts_valid_requests(),
        ]
        self.failures: list[str] = []
        self.statuses: Counter[tuple[str, int]] = Counter()

    def call(self, case: schemathesis.Case) -> None:
        _without_dns(case)
        headers = (
            {"Authorization": f"Bearer {self.key}"}
            if case.operation.path.startswith("/api/v1/actions")
            else None
        )
        response = case.call(base_url=self.url, headers=headers, timeout=10)
        mode = case.meta.generation.mode.value if case.meta is not None else "positive"
        self.statuses[mode, response.status_code] += 1
        checks = self.positive_checks if mode == "positive" else self.negative_checks
        case.validate_response(response, checks=checks)

    def run(self) -> None:
        for result in self.schema.get_all_operations():
            operation = result.ok()
            if operation.path == "/api/v1/stream":
                continue
            for run in (self._coverage, self._generated):
                try:
                    run(operation)
                except Exception as error:  # noqa: BLE001 - collect every operation's failure
                    label = f"{operation.method.upper()} {operation.path}"
                    self.failures.append(f"{label} ({run.__name__}): {error}")

    def _coverage(self, operation: Any) -> None:
        from schemathesis.generation import GenerationMode  # noqa: PLC0415

        for case in self.schema.iter_coverage_cases(
            operation,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=self.schema.config.generation_for(operation=operation),
        ):
            self.call(case)

    def _generated(self, operation: Any) -> None:
        from hypothesis import HealthCheck, Phase, given, settings  # noqa: PLC0415

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            self.call(case)

        run()


def _fuzz(url: str, key: str) -> Fuzzer:
    fuzzer = Fuzzer(url, key)  # loads the document: not on the server's event loop
    fuzzer.run()
    return fuzzer


async def test_valid_requests_are_taken_and_no_request_is_a_server_error(env: Env) -> None:
    async with http_client(env) as http:
        r = await http.post(
            "/api/v1/auth/register", json={"name": "fuzzer", "role": "hedge_fund_manager"}
        )
        key = r.json()["api_key"]
    fuzzer = await asyncio.to_thread(_fuzz, env.url, key)
    assert not fuzzer.failures, "\n\n".join(fuzzer.failures)
    statuses = fuzzer.statuses
    assert statuses.total() > 1000, statuses  # it really exercised the API
    for status in (200, 202, 409):
        assert statuses["positive", status], statuses
    for status in (400, 422):
        assert statuses["negative", status], statuses
