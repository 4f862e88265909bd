"""JSON Schemas of the contract, written to docs/schemas/ (checked for drift in tests)."""

import json
from pathlib import Path

from schemas.commands import AGENT_ACTION_ADAPTER, COMMAND_ADAPTER
from schemas.events import EVENT_ADAPTER


def schema_documents() -> dict[str, str]:
    docs = {
        "commands.json": COMMAND_ADAPTER.json_schema(),
        "agent_actions.json": AGENT_ACTION_ADAPTER.json_schema(),
        "events.json": EVENT_ADAPTER.json_schema(),
    }
    return {name: json.dumps(doc, indent=2, sort_keys=True) + "\n" for name, doc in docs.items()}


def write_schemas(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_documents().items():
        path = out / name
        path.write_text(text)
        written.append(path)
    return written
