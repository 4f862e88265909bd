"""Schemathesis against /openapi.json: no 5xx, and every response matches the document.

Schemathesis calls the API synchronously, so it runs in a worker thread while the server
keeps running on this test's event loop. The SSE stream is left out (it never ends).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import schemathesis  # a dev dependency: missing means a broken set-up, not a skip

from tests.e2e.gateway_env import Env, eventually, gateway_env

pytestmark = pytest.mark.timeout(90)

EXAMPLES = 25


@pytest.fixture(scope="module")
async def env(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    async with gateway_env(
        nats_url, tmp, engine_ticks=3, tick_ms=0, register_wait_seconds=0.05, webhooks_enabled=False
    ) as e:
        await eventually(lambda: _ready(e))
        yield e


async def _ready(e: Env) -> bool:
    return await e.world_tick() >= 3


def fuzz(url: str, key: str) -> tuple[list[str], dict[int, int]]:
    from hypothesis import HealthCheck, Phase, given, settings  # noqa: PLC0415
    from schemathesis.checks import not_a_server_error  # noqa: PLC0415
    from schemathesis.specs.openapi.checks import (  # noqa: PLC0415
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    failures: list[str] = []
    statuses: dict[int, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/api/v1/stream":
            continue

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            headers = (
                {"Authorization": f"Bearer {key}"}
                if case.operation.path.startswith("/api/v1/actions")
                else None
            )
            response = case.call(base_url=url, headers=headers, timeout=10)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            case.validate_response(response, checks=checks)

        try:
            run()
        except Exception as error:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    return failures, statuses


async def test_no_server_errors_and_responses_match_the_schema(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url, trust_env=False) as http:
        r = await http.post(
            "/api/v1/auth/register", json={"name": "fuzzer", "role": "hedge_fund_manager"}
        )
        key = r.json()["api_key"]
    failures, statuses = await asyncio.to_thread(fuzz, env.url, key)
    assert not failures, "\n\n".join(failures)
    assert sum(statuses.values()) > 100, statuses  # it really exercised the API
    for status in (200, 202, 422):
        assert status in statuses, statuses
