"""A detector's finding: what ``phase`` turns into a ``SuspicionRaised``."""

from dataclasses import dataclass, field

from schemas.enums import Offence

MAX_REFERENCES = 50  # trade / order ids named in one suspicion (the most recent kept)


@dataclass(frozen=True, slots=True)
class Finding:
    offence: Offence
    suspect_id: str
    symbol: str
    confidence_pct: int
    reason: str
    trade_ids: list[int] = field(default_factory=list)
    order_ids: list[int] = field(default_factory=list)
    ticks: list[int] = field(default_factory=list)
    accomplice_ids: list[str] = field(default_factory=list)

    @property
    def newest_id(self) -> int:
        """The highest trade (or, with none, order) id it names: its evidence's age."""
        return max(self.trade_ids or self.order_ids or [0])


def confidence(base: int, strength: int) -> int:
    """``base`` plus ``strength`` points, capped at 99: no detector is ever certain."""
    return max(0, min(99, base + strength))


def distinct_ticks(ticks: list[int]) -> list[int]:
    return sorted(set(ticks))
