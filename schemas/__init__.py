"""The contract with agents and readers: commands in, events out (pydantic v2)."""

from schemas.commands import COMMAND_ADAPTER, Command, parse_command
from schemas.events import EVENT_ADAPTER, Event, parse_event

__all__ = ["COMMAND_ADAPTER", "EVENT_ADAPTER", "Command", "Event", "parse_command", "parse_event"]
