"""Names of a season's JetStream streams, subjects and headers: the log's layout.

One season = two streams. Commands arrive on ``wss.<season>.cmd.<TYPE>`` in stream
``WSS_<season>_CMD``; the engine appends events to ``wss.<season>.evt.<EventType>`` in
stream ``WSS_<season>_EVT``. A message's payload is the model's JSON; its stream sequence
is its position, used by every reader to resume.
"""

import re
from dataclasses import dataclass

SEASON_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

MSG_ID = "Nats-Msg-Id"
EXPECTED_LAST_SEQUENCE = "Nats-Expected-Last-Sequence"
TICK_HEADER = "Wss-Tick"

SEASONS_BUCKET = "wss_seasons"


@dataclass(frozen=True, slots=True)
class SeasonStreams:
    season: str

    def __post_init__(self) -> None:
        if not SEASON_ID_PATTERN.match(self.season):
            raise ValueError(f"invalid season id {self.season!r}")

    @property
    def command_stream(self) -> str:
        return f"WSS_{self.season}_CMD"

    @property
    def event_stream(self) -> str:
        return f"WSS_{self.season}_EVT"

    @property
    def command_subjects(self) -> str:
        return f"wss.{self.season}.cmd.>"

    @property
    def event_subjects(self) -> str:
        return f"wss.{self.season}.evt.>"

    def command_subject(self, command_type: str) -> str:
        return f"wss.{self.season}.cmd.{command_type}"

    def event_subject(self, event_type: str) -> str:
        return f"wss.{self.season}.evt.{event_type}"

    def command_msg_id(self, agent_id: str, command_id: str) -> str:
        """Dedupe key: command ids are unique per agent, so the agent is part of it."""
        return f"{agent_id}:{command_id}"

    def event_msg_id(self, tick: int, index: int) -> str:
        """Deterministic: a re-run of the same tick re-publishes the same ids."""
        return f"{self.season}:{tick}:{index}"
