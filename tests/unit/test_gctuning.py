"""The serving process's collector: larger young generation, start-up objects frozen."""

import gc
from collections.abc import Iterator

import pytest

from wss.gctuning import SERVING_THRESHOLDS, tune_gc_for_serving


@pytest.fixture
def restored_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("restored_gc")
def test_serving_gc_raises_the_thresholds_and_freezes_what_exists() -> None:
    alive = [[i] for i in range(1_000)]  # objects alive "at start-up"
    tune_gc_for_serving()
    assert gc.get_threshold() == SERVING_THRESHOLDS
    assert gc.get_freeze_count() >= len(alive)  # out of every later pass
