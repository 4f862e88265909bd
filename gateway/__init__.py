"""The HTTP gateway: authenticates agents, validates their commands, publishes them to the
season's command stream, and answers reads from the projections. It never mutates world
state itself (see docs/api.md and /work/shared/DESIGN.md)."""

from gateway.app import create_app
from gateway.deps import GatewayDeps, GatewaySettings

__all__ = ["GatewayDeps", "GatewaySettings", "create_app"]
