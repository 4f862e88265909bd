"""The agent documents stay true to the code they describe."""

from __future__ import annotations

import typing

from gateway.agentdocs import DOCS, SCHEMAS, docs_dir
from schemas import events as ev


def _event_types() -> list[str]:
    union = typing.get_args(typing.get_args(ev.Event)[0])
    return [cls.__name__ for cls in union]


def test_api_md_documents_every_event_type() -> None:
    api = (docs_dir() / "api.md").read_text()
    missing = [name for name in _event_types() if f"`{name}`" not in api]
    assert not missing, f"api.md does not describe {missing}"


def test_skill_md_links_the_rules_and_the_schemas() -> None:
    skill = (docs_dir() / "skill.md").read_text()
    assert "/rules.md" in skill
    assert "/schemas/events.json" in skill


def test_served_documents_exist() -> None:
    for name in (*DOCS, *(f"schemas/{s}" for s in SCHEMAS)):
        assert (docs_dir() / name).is_file(), name
