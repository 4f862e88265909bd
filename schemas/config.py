"""Season configuration: everything that, with the seed, fixes a season's genesis."""

from typing import Annotated

from pydantic import Field

from schemas.base import Message
from schemas.enums import Regime


class PopulationConfig(Message):
    """How many built-in traders of each kind make the market live."""

    market_makers: Annotated[int, Field(ge=0, le=50)] = 2
    noise_traders: Annotated[int, Field(ge=0, le=1_000)] = 24
    momentum_traders: Annotated[int, Field(ge=0, le=1_000)] = 6
    value_traders: Annotated[int, Field(ge=0, le=1_000)] = 6


class SeasonConfig(Message):
    """Rules a season runs under. Defaults are documented in docs/rules.md."""

    symbols: Annotated[int, Field(ge=1, le=200)] = 20
    open_ticks_per_day: Annotated[int, Field(ge=1, le=10_000)] = 390
    after_hours_ticks: Annotated[int, Field(ge=0, le=10_000)] = 240
    regime: Regime = Regime.NORMAL
    population: PopulationConfig = PopulationConfig()
    fee_bps: Annotated[int, Field(ge=0, le=1_000)] = 2
    price_band_bps: Annotated[int, Field(ge=10, le=10_000)] = 1_000
    maintenance_margin_bps: Annotated[int, Field(ge=100, le=10_000)] = 2_500
    margin_grace_ticks: Annotated[int, Field(ge=0, le=10_000)] = 5
    borrow_fee_bps_per_day: Annotated[int, Field(ge=0, le=10_000)] = 3
    earnings_every_days: Annotated[int, Field(ge=1, le=365)] = 5
