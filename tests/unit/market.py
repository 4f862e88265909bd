"""A season stepped by hand, for tests of the domain's rules."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from domain import World, context_for, step
from domain.simulate import start_command
from schemas import commands as cmd
from schemas import events as ev
from schemas.config import NO_CROOKS, PopulationConfig, SeasonConfig
from schemas.enums import OrderType, Role

NOBODY = PopulationConfig(
    market_makers=0, noise_traders=0, momentum_traders=0, value_traders=0, crooks=NO_CROOKS
)
ORDER_KINDS: dict[str, type[cmd.Buy | cmd.Sell | cmd.Short | cmd.Cover]] = {
    "BUY": cmd.Buy,
    "SELL": cmd.Sell,
    "SHORT": cmd.Short,
    "COVER": cmd.Cover,
}


class Market:
    """Tick by tick, with explicit commands only; ``agents`` are registered at tick 1."""

    def __init__(self, config: SeasonConfig, seed: int, agents: Mapping[str, Role]) -> None:
        self.world = World()
        step(self.world, [start_command(seed, config)], context_for(self.world, 0))
        self.tick = 0
        self._ids = itertools.count(1)
        self.symbol = next(iter(self.world.companies))
        self.run(
            *(
                cmd.RegisterAgent(
                    command_id=f"reg-{name}",
                    agent_id=name,
                    name=name,
                    role=role,
                    api_key_hash="0" * 64,
                )
                for name, role in agents.items()
            )
        )

    def run(self, *commands: cmd.CommandBase) -> list[ev.EventBase]:
        self.tick += 1
        return step(self.world, list(commands), context_for(self.world, self.tick))

    def order(
        self,
        kind: str,
        agent: str,
        quantity: int,
        price: int | None = None,
        order_type: OrderType | None = None,
    ) -> cmd.OrderCommand:
        if order_type is None:
            order_type = OrderType.MARKET if price is None else OrderType.LIMIT
        return ORDER_KINDS[kind](
            command_id=f"c{next(self._ids)}",
            agent_id=agent,
            symbol=self.symbol,
            order_type=order_type,
            quantity=quantity,
            price=price,
        )

    def cancel(self, agent: str, order_id: int) -> cmd.CancelOrder:
        return cmd.CancelOrder(command_id=f"c{next(self._ids)}", agent_id=agent, order_id=order_id)
