"""The analytics/SSE book under the legal system (rules v2): folded from a seeded-crooks
season, every agent's cash is the world's (fines, rewards, bribes, escrow), and a fugitive
is not ranked."""

from __future__ import annotations

from domain import World, context_for, step
from domain.simulate import start_command
from projections.analytics.book import AgentBook
from schemas import commands as cmd
from schemas.config import PopulationConfig, SeasonConfig
from schemas.enums import AgentStatus, Role

CONFIG = SeasonConfig(
    symbols=5,
    open_ticks_per_day=60,
    after_hours_ticks=5,
    earnings_every_days=1,
    population=PopulationConfig(
        market_makers=2, noise_traders=8, momentum_traders=2, value_traders=2
    ),
)


def test_the_book_counts_the_legal_money_and_drops_fugitives() -> None:
    world = World()
    events = step(world, [start_command(11, CONFIG)], context_for(world, 0))
    register = cmd.RegisterAgent(
        command_id="r", agent_id="away", name="away", role=Role.QUANT, api_key_hash="0" * 64
    )
    flee = cmd.Flee(command_id="f", agent_id="away", destination="Nauru")
    for tick in range(1, 1_200):
        batch = [register] if tick == 1 else [flee] if tick == 2 else []
        events.extend(step(world, batch, context_for(world, tick)))
    book = AgentBook()
    for event in events:
        book.apply(event)  # type: ignore[arg-type]
    assert any(e.type == "FinePaid" for e in events)
    for agent_id, account in world.accounts.items():
        assert book.accounts[agent_id].cash == account.cash, agent_id
    assert world.accounts["away"].status is AgentStatus.FLED
    assert "away" not in {v.agent_id for v in book.valuations()}
