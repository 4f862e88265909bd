"""Base classes: every message is a frozen, versioned pydantic model."""

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Message(BaseModel):
    """A frozen, strict-shaped message. ``class_version`` bumps with breaking changes."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    class_version: ClassVar[int] = 1
