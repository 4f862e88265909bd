"""Season configuration: everything that, with the seed, fixes a season's genesis."""

from typing import Annotated, Any

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from schemas.base import Message
from schemas.enums import Regime


class CrookConfig(Message):
    """How many seeded crooks of each kind the built-in population hides (rules v2).

    Their offences are ground truth, known from the genesis and private: a scorer tells
    them from honest traders by the strategy ``SeasonStarted.builtin_agents`` records.
    """

    insiders: Annotated[int, Field(ge=0, le=50)] = 1
    wash_pairs: Annotated[int, Field(ge=0, le=50)] = 1
    pump_rings: Annotated[int, Field(ge=0, le=50)] = 1
    spoofers: Annotated[int, Field(ge=0, le=50)] = 1
    close_markers: Annotated[int, Field(ge=0, le=50)] = 1


NO_CROOKS = CrookConfig(insiders=0, wash_pairs=0, pump_rings=0, spoofers=0, close_markers=0)


class PopulationConfig(Message):
    """How many built-in traders of each kind make the market live."""

    market_makers: Annotated[int, Field(ge=0, le=50)] = 2
    noise_traders: Annotated[int, Field(ge=0, le=1_000)] = 24
    momentum_traders: Annotated[int, Field(ge=0, le=1_000)] = 6
    value_traders: Annotated[int, Field(ge=0, le=1_000)] = 6
    # None: the rules version's default (v2: ``CrookConfig()``; v1: none). Left out of
    # the serialized config when None, so every rules-version-1 genesis is unchanged.
    crooks: CrookConfig | None = None

    @model_serializer(mode="wrap")
    def _without_unset_crooks(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.crooks is None:
            data.pop("crooks", None)
        return data


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
