"""Fold a batch of events into in-memory rows: the pure half of the relational projection.

``store.py`` loads the rows a batch touches (``batch.py``), the handlers here mutate them
and record which ones changed, then ``store.py`` writes them back with a few bulk
statements. Doing the arithmetic in Python (not row by row in SQL) keeps a batch cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from projections.base import Sequenced
from projections.relational.batch import BatchKeys, BatchState, Row, collect_keys
from projections.relational.fold_legal import LEGAL_HANDLERS
from projections.relational.fold_market import MARKET_HANDLERS
from projections.relational.fold_season import SEASON_HANDLERS
from projections.relational.fold_social import SOCIAL_HANDLERS
from projections.relational.outcomes import outcome_of

__all__ = ["BatchKeys", "BatchState", "Row", "collect_keys", "fold"]

_HANDLERS: dict[type[Any], Callable[[BatchState, int, Any], None]] = {
    **SEASON_HANDLERS,
    **MARKET_HANDLERS,
    **SOCIAL_HANDLERS,
    **LEGAL_HANDLERS,
}


def fold(state: BatchState, batch: Iterable[Sequenced]) -> None:
    """Apply events in order. Types with no read-model effect (e.g. PositionLiquidated,
    whose trades and PositionChanged carry the effect) are skipped. An event that answers
    a command also adds its ``actions`` row (the mapping the gateway's live world uses)."""
    for item in batch:
        event = item.event
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(state, item.seq, event)
        if (outcome := outcome_of(item.seq, event)) is not None:
            state.actions.append({"season_id": state.season_id, **outcome.model_dump()})
