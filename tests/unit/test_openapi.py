"""/openapi.json says what the server enforces on what agents send: a schema-driven client
cannot build a request the server refuses for its form (bounds, patterns, the price rule)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from pydantic import ValidationError

from gateway.openapi import build_openapi
from schemas.commands import AGENT_ACTION_ADAPTER

DOC = build_openapi()
COMPONENTS = DOC["components"]["schemas"]
IDS = {"command_id", "agent_id", "target_agent_id", "order_id"}


def _request_schemas() -> Iterator[tuple[str, Any]]:
    """Every schema an agent's request (or webhook answer) is checked against."""
    for path, operations in DOC["paths"].items():
        for method, op in operations.items():
            for param in op.get("parameters", []):
                yield f"{method} {path} {param['in']}.{param['name']}", param["schema"]
            body = op.get("requestBody")
            if body is not None:
                yield f"{method} {path} body", body["content"]["application/json"]["schema"]
    reply = DOC["webhooks"]["tick"]["post"]["responses"]["200"]["content"]
    yield "webhook reply", reply["application/json"]["schema"]


def _walk(schema: Any, where: str, seen: set[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each subschema with its place, following $refs once."""
    if isinstance(schema, list):
        for i, item in enumerate(schema):
            yield from _walk(item, f"{where}[{i}]", seen)
        return
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            yield from _walk(COMPONENTS[name], name, seen)
        return
    yield where, schema
    for key, value in schema.items():
        if key == "properties":
            for name, prop in value.items():
                yield from _walk(prop, f"{where}.{name}", seen)
        elif isinstance(value, dict | list):
            yield from _walk(value, f"{where}/{key}", seen)


def _request_subschemas() -> list[tuple[str, dict[str, Any]]]:
    return [s for where, root in _request_schemas() for s in _walk(root, where, set())]


def test_every_request_integer_has_bounds() -> None:
    unbounded = [
        where
        for where, s in _request_subschemas()
        if s.get("type") == "integer" and not {"minimum", "maximum"} <= set(s)
    ]
    assert not unbounded


def test_every_request_string_has_a_pattern_or_a_closed_set() -> None:
    loose = [
        where
        for where, s in _request_subschemas()
        if s.get("type") == "string" and not {"pattern", "enum", "const"} & set(s)
    ]
    assert not loose


def test_no_request_id_is_nullable() -> None:
    nullable = [
        where
        for where, s in _request_subschemas()
        if where.rsplit(".", 1)[-1] in IDS and "null" in json.dumps(s)
    ]
    assert not nullable


def _validator(component: str) -> Any:
    return jsonschema_rs.validator_for(
        {"$ref": f"#/components/schemas/{component}", "components": DOC["components"]}
    )


BUY = {"type": "BUY", "symbol": "APEX", "quantity": 5}


@pytest.mark.parametrize(
    "order",
    [
        {**BUY},
        {**BUY, "price": None},
        {**BUY, "price": 100},
        {**BUY, "order_type": "LIMIT"},
        {**BUY, "order_type": "LIMIT", "price": 100},
        {**BUY, "order_type": "STOP"},
        {**BUY, "order_type": "STOP", "price": None},
        {**BUY, "order_type": "STOP", "price": 100},
        {**BUY, "order_type": "MARKET"},
        {**BUY, "order_type": "MARKET", "price": None},
        {**BUY, "order_type": "MARKET", "price": 100},
    ],
)
def test_the_price_rule_in_the_schema_is_the_servers(order: dict[str, Any]) -> None:
    by_schema = _validator("AgentAction").is_valid(order)
    try:
        AGENT_ACTION_ADAPTER.validate_python({**order, "agent_id": "a", "command_id": "c"})
    except ValidationError:
        by_server = False
    else:
        by_server = True
    assert by_schema == by_server


def test_callback_url_pattern_takes_urls_and_refuses_the_rest() -> None:
    register = _validator("RegisterRequest")
    body = {"name": "n", "role": "quant"}
    for url in ("http://93.184.216.34/hook", "https://agent.example.com:8443/a?b=c#d"):
        assert register.is_valid({**body, "callback_url": url}), url
    for url in ("ftp://example.com/", "http://u:p@example.com/", "http://a b/", "example.com"):
        assert not register.is_valid({**body, "callback_url": url}), url


def test_channels_pattern_is_the_servers() -> None:
    from projections.sse_hub import parse_channels  # noqa: PLC0415

    (param,) = (
        p["schema"]
        for p in DOC["paths"]["/api/v1/stream"]["get"]["parameters"]
        if p["name"] == "channels"
    )
    schema = jsonschema_rs.validator_for(param)
    for good in ("tick", "market,market:APEX,agent:a-1f", "news,trades,leaderboard"):
        assert schema.is_valid(good)
        assert parse_channels(good)
    for bad in ("", "fundamentals", "market:apex", "agent:", "agent:a b"):
        assert not schema.is_valid(bad)
        with pytest.raises(ValueError, match="channel"):
            parse_channels(bad)
