"""The Core ``Table`` of each model, typed: what the bulk writer and the queries use."""

from sqlalchemy import Table

from projections.relational.models import (
    Action,
    Agent,
    Alliance,
    Company,
    Holding,
    Investigation,
    Message,
    News,
    Order,
    Prisoner,
    ProjectionPosition,
    Rumor,
    Trade,
    WorldState,
)

# ``__table__`` is typed as a FromClause; every model here maps exactly one Table.
AGENTS: Table = Agent.__table__  # type: ignore[assignment]
COMPANIES: Table = Company.__table__  # type: ignore[assignment]
HOLDINGS: Table = Holding.__table__  # type: ignore[assignment]
ORDERS: Table = Order.__table__  # type: ignore[assignment]
TRADES: Table = Trade.__table__  # type: ignore[assignment]
ACTIONS: Table = Action.__table__  # type: ignore[assignment]
NEWS: Table = News.__table__  # type: ignore[assignment]
WORLD: Table = WorldState.__table__  # type: ignore[assignment]
INVESTIGATIONS: Table = Investigation.__table__  # type: ignore[assignment]
PRISON: Table = Prisoner.__table__  # type: ignore[assignment]
POSITIONS: Table = ProjectionPosition.__table__  # type: ignore[assignment]
MESSAGES: Table = Message.__table__  # type: ignore[assignment]
ALLIANCES: Table = Alliance.__table__  # type: ignore[assignment]
RUMORS: Table = Rumor.__table__  # type: ignore[assignment]
