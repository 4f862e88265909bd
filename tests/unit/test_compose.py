"""compose.yaml runs the at-scale shape: its servers must support what the code uses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "compose.yaml"
# The engine appends every tick as JetStream atomic batches (allow_atomic): NATS 2.12+.
ATOMIC_BATCHES = (2, 12)


def _image_version(image: str) -> tuple[int, int]:
    match = re.fullmatch(r"(?:[\w./-]+/)?nats:(\d+)\.(\d+)(?:\.\d+)?(?:-[\w.-]+)?", image)
    assert match, f"the nats image {image!r} is not pinned to a version (nats:X.Y[.Z])"
    return int(match[1]), int(match[2])


def test_compose_nats_image_supports_atomic_batches() -> None:
    compose: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    nats = compose["services"]["nats"]
    assert _image_version(nats["image"]) >= ATOMIC_BATCHES
    assert "-js" in nats["command"]  # JetStream on


def test_image_versions_are_read_as_numbers_not_text() -> None:
    assert _image_version("nats:2.9") < ATOMIC_BATCHES  # text order would say "2.9" > "2.12"
    assert _image_version("nats:2.12.1-alpine") >= ATOMIC_BATCHES
    assert _image_version("docker.io/library/nats:2.14") >= ATOMIC_BATCHES
