"""Price bands: a priced order must stay within ``price_band_bps`` of the last trade."""

from domain.state import Company, World
from domain.units import BPS
from schemas.enums import RejectReason


def out_of_band(world: World, company: Company, price: int) -> tuple[RejectReason, str] | None:
    """Why ``price`` is refused for ``company``, or None when it is inside the band."""
    last = company.last_price
    if abs(price - last) * BPS > world.config.price_band_bps * last:
        band = world.config.price_band_bps / 100
        return RejectReason.PRICE_OUT_OF_BAND, f"price more than {band:g}% from {last}"
    return None


def clamp(world: World, company: Company, price: int) -> int:
    """Clamp a quote into the band (with 10 bps to spare) so built-ins are never refused."""
    room = company.last_price * (world.config.price_band_bps - 10) // BPS
    return max(1, min(company.last_price + room, max(company.last_price - room, price)))
