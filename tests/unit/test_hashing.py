"""The state hash's order-row cache never serves a stale row."""

from domain import World, context_for, evolve, simulate, step
from domain.hashing import state_hash
from domain.simulate import start_command


def test_cached_hash_equals_a_cold_hash_every_tick() -> None:
    world = World()
    step(world, [start_command(5)], context_for(world, 0))
    for tick in range(1, 60):
        step(world, [], context_for(world, tick))
        warm = state_hash(world)
        world.order_rows.clear()
        assert state_hash(world) == warm, f"stale cached order row at tick {tick}"


def test_fold_and_step_agree_with_caches_built_differently() -> None:
    events = simulate(6, 40)
    folded = World()
    for event in events:
        evolve(folded, event)
        if event.type == "TickClosed" and event.tick % 7 == 0:
            state_hash(folded)  # warm the cache mid-way, as the engine does each tick
    folded_hash = state_hash(folded)
    folded.order_rows.clear()
    assert state_hash(folded) == folded_hash
