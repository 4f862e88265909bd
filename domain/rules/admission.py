"""Order admission: which BUY/SELL/SHORT/COVER orders are accepted, checked in rules.md order."""

from domain.rules.bands import out_of_band
from domain.rules.fees import affordable, with_fee
from domain.rules.leverage import OPENING, buying_power
from domain.state import Account, World
from schemas import commands as cmd
from schemas import limits
from schemas.enums import OrderType, RejectReason, Side

SIDE_OF: dict[str, Side] = {
    "BUY": Side.BUY,
    "COVER": Side.BUY,
    "SELL": Side.SELL,
    "SHORT": Side.SELL,
}
Refusal = tuple[RejectReason, str]


def refusal(world: World, account: Account, c: cmd.OrderCommand) -> Refusal | None:
    """Why an order can't be accepted, or None."""
    found = _refusal(world, account, c)
    if found is None and c.order_type is OrderType.MARKET:
        found = _market_refusal(world, account, c)
    return found


def _refusal(world: World, account: Account, c: cmd.OrderCommand) -> Refusal | None:
    company = world.companies.get(c.symbol)
    if company is None:
        return RejectReason.UNKNOWN_SYMBOL, f"no listed company {c.symbol}"
    if not world.market_open:
        return RejectReason.MARKET_CLOSED, "orders are taken while the market is open"
    if not limits.MIN_QUANTITY <= c.quantity <= limits.MAX_QUANTITY:
        return RejectReason.BAD_QUANTITY, f"quantity must be 1..{limits.MAX_QUANTITY}"
    if c.order_type is OrderType.MARKET:
        if c.price is not None:
            return RejectReason.BAD_PRICE, "a MARKET order takes no price"
    elif c.price is None or not limits.MIN_PRICE_CENTS <= c.price <= limits.MAX_PRICE_CENTS:
        return RejectReason.BAD_PRICE, "price must be 1..100,000,000 cents"
    elif (band := out_of_band(world, company, c.price)) is not None:
        return band
    position = account.positions.get(c.symbol, 0)
    if c.type == "BUY" and position < 0:
        return RejectReason.POSITION_IS_SHORT, "you are short: COVER to buy back"
    if c.type == "SHORT" and position > 0:
        return RejectReason.POSITION_IS_LONG, "you are long: SELL first"
    if c.type == "SELL" and c.quantity > (sellable := account.sellable(c.symbol)):
        return RejectReason.INSUFFICIENT_SHARES, f"you can sell at most {max(0, sellable)}"
    if c.type == "COVER" and c.quantity > -position - account.covering.get(c.symbol, 0):
        return RejectReason.INSUFFICIENT_SHORT, "cover at most your open short"
    if c.type in OPENING and c.order_type is not OrderType.MARKET:
        need = with_fee(c.quantity * (c.price or 0), world.config.fee_bps)
        if need > buying_power(world, account):
            return RejectReason.INSUFFICIENT_BUYING_POWER, f"needs {need} cents of buying power"
    return None


def _market_refusal(world: World, account: Account, c: cmd.OrderCommand) -> Refusal | None:
    """A MARKET order needs someone to trade with and, to open, one share's buying power."""
    makers = world.books[c.symbol].plan(SIDE_OF[c.type], None)
    first = next(makers, None)
    if first is None:
        return RejectReason.NO_LIQUIDITY, "no resting orders on the other side"
    if c.type not in OPENING:
        return None
    # The first order it would trade with (its own resting ones are cancelled, not hit).
    if first.agent_id == account.agent_id:
        first = next((o for o in makers if o.agent_id != account.agent_id), None)
    power = buying_power(world, account)
    fee_bps = world.config.fee_bps
    if power <= 0 or (first is not None and affordable(power, first.price, fee_bps) == 0):
        at = "" if first is None else f" at {first.price}"
        return (
            RejectReason.INSUFFICIENT_BUYING_POWER,
            f"buying power of {max(0, power)} cents pays for no share{at} with its fee",
        )
    return None
