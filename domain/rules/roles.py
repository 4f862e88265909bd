"""Roles: each one's starting cash and leverage, and which ones an external agent may take."""

from dataclasses import dataclass

from domain.units import DOLLAR
from schemas.enums import Role


@dataclass(frozen=True, slots=True)
class RoleRules:
    starting_cash: int  # cents
    max_leverage: int  # gross exposure may reach equity x this
    ability: str


ROLES: dict[Role, RoleRules] = {
    Role.HEDGE_FUND_MANAGER: RoleRules(100_000_000 * DOLLAR, 10, "large leverage"),
    Role.RETAIL_TRADER: RoleRules(10_000 * DOLLAR, 2, "coordinates on social media"),
    Role.CEO: RoleRules(10_000_000 * DOLLAR, 1, "insider knowledge of own company"),
    Role.INVESTMENT_BANKER: RoleRules(1_000_000 * DOLLAR, 3, "structures IPOs and M&A"),
    Role.FINANCIAL_JOURNALIST: RoleRules(50_000 * DOLLAR, 1, "moves markets with stories"),
    Role.SEC_INVESTIGATOR: RoleRules(100_000 * DOLLAR, 1, "subpoena power, can freeze assets"),
    Role.WHISTLEBLOWER: RoleRules(25_000 * DOLLAR, 1, "exposes fraud for rewards"),
    Role.QUANT: RoleRules(50_000_000 * DOLLAR, 5, "high-frequency trading"),
    Role.INFLUENCER: RoleRules(100_000 * DOLLAR, 2, "pump-and-dump coordination"),
    Role.MARKET_MAKER: RoleRules(20_000_000 * DOLLAR, 4, "quotes both sides; built-in only"),
}

# Roles an external agent may register as (market makers are the house's own traders).
REGISTRABLE_ROLES: tuple[Role, ...] = tuple(r for r in Role if r is not Role.MARKET_MAKER)
