"""Simulation time from the tick number: no wall clock. 1 tick = 1 simulated minute."""

from datetime import UTC, datetime, timedelta

from schemas.config import SeasonConfig

# A Monday, at the opening bell. Simulated market time, labelled UTC for unambiguity.
SEASON_START = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def ticks_per_day(config: SeasonConfig) -> int:
    return config.open_ticks_per_day + config.after_hours_ticks


def day_of(tick: int, config: SeasonConfig) -> int:
    """Trading day of a tick, from 0. Tick 0 is the genesis; tick 1 is the first minute."""
    return (tick - 1) // ticks_per_day(config) if tick > 0 else 0


def minute_of_day(tick: int, config: SeasonConfig) -> int:
    """Minutes since the open of the tick's day (0 = the opening minute)."""
    return (tick - 1) % ticks_per_day(config) if tick > 0 else 0


def is_market_open(tick: int, config: SeasonConfig) -> bool:
    return tick > 0 and minute_of_day(tick, config) < config.open_ticks_per_day


def is_opening_tick(tick: int, config: SeasonConfig) -> bool:
    return tick > 0 and minute_of_day(tick, config) == 0


def is_closing_tick(tick: int, config: SeasonConfig) -> bool:
    """The last open minute of the day: resting day orders expire after it."""
    return tick > 0 and minute_of_day(tick, config) == config.open_ticks_per_day - 1


def sim_time(tick: int, config: SeasonConfig) -> datetime:
    """Calendar time of a tick: trading days run Monday to Friday."""
    day = day_of(tick, config)
    weeks, weekday = divmod(day, 5)
    date = SEASON_START + timedelta(days=weeks * 7 + weekday)
    return date + timedelta(minutes=minute_of_day(tick, config))
