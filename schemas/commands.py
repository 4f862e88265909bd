"""Commands: what agents and operators ask for. Imperative names, one per action.

A command on the log is wrapped in nothing: its ``agent_id`` is set by the gateway from the
authenticated key, and its ``command_id`` is the agent's idempotency key.
"""

from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field, JsonValue, TypeAdapter, model_validator

from schemas import limits
from schemas.base import Message
from schemas.config import SeasonConfig
from schemas.enums import Offence, OrderType, Regime, Role

Symbol = Annotated[str, Field(pattern=limits.SYMBOL_PATTERN, description="Ticker, e.g. APEX")]
Quantity = Annotated[int, Field(ge=limits.MIN_QUANTITY, le=limits.MAX_QUANTITY)]
PriceCents = Annotated[int, Field(ge=limits.MIN_PRICE_CENTS, le=limits.MAX_PRICE_CENTS)]
CommandId = Annotated[str, Field(pattern=limits.COMMAND_ID_PATTERN)]
AgentId = Annotated[str, Field(pattern=limits.AGENT_ID_PATTERN)]
# Documents (not enforces) the text rule: the gateway refuses control characters in what
# agents send, while the engine must keep decoding commands stored before that rule.
PRINTABLE = Field(json_schema_extra={"pattern": limits.TEXT_PATTERN})


class CommandBase(Message):
    type: str
    command_id: CommandId
    agent_id: AgentId


# ``_price_matches_type`` in JSON Schema terms, so schema-driven clients build only orders
# it takes (an absent order_type is LIMIT).
_PRICE_RULE: dict[str, JsonValue] = {
    "if": {"required": ["order_type"], "properties": {"order_type": {"const": "MARKET"}}},
    "then": {"properties": {"price": {"type": "null"}}},
    "else": {
        "required": ["price"],
        "properties": {
            "price": {
                "type": "integer",
                "minimum": limits.MIN_PRICE_CENTS,
                "maximum": limits.MAX_PRICE_CENTS,
            }
        },
    },
}


class OrderCommand(CommandBase):
    model_config = ConfigDict(json_schema_extra=_PRICE_RULE)

    symbol: Symbol
    order_type: OrderType = OrderType.LIMIT
    quantity: Quantity
    price: PriceCents | None = Field(
        default=None, description="Limit price (LIMIT) or trigger price (STOP), in cents"
    )

    @model_validator(mode="after")
    def _price_matches_type(self) -> Self:
        if self.order_type is OrderType.MARKET and self.price is not None:
            raise ValueError("a MARKET order takes no price")
        if self.order_type is not OrderType.MARKET and self.price is None:
            raise ValueError(f"a {self.order_type.value} order needs a price")
        return self


class Buy(OrderCommand):
    """Buy shares to open or add to a long position."""

    type: Literal["BUY"] = "BUY"


class Sell(OrderCommand):
    """Sell shares you hold."""

    type: Literal["SELL"] = "SELL"


class Short(OrderCommand):
    """Sell borrowed shares, opening or adding to a short position (needs margin)."""

    type: Literal["SHORT"] = "SHORT"


class Cover(OrderCommand):
    """Buy back borrowed shares, reducing a short position."""

    type: Literal["COVER"] = "COVER"


class CancelOrder(CommandBase):
    type: Literal["CANCEL_ORDER"] = "CANCEL_ORDER"
    order_id: Annotated[int, Field(ge=1, le=limits.MAX_ORDER_ID)]


class Rumor(CommandBase):
    type: Literal["RUMOR"] = "RUMOR"
    symbol: Symbol
    content: Annotated[str, Field(min_length=1, max_length=limits.MAX_RUMOR_CHARS), PRINTABLE]


class Ally(CommandBase):
    type: Literal["ALLY"] = "ALLY"
    target_agent_id: AgentId
    proposal: Annotated[str, Field(min_length=1, max_length=limits.MAX_PROPOSAL_CHARS), PRINTABLE]


class SendMessage(CommandBase):
    type: Literal["MESSAGE"] = "MESSAGE"
    target_agent_id: AgentId
    content: Annotated[str, Field(min_length=1, max_length=limits.MAX_MESSAGE_CHARS), PRINTABLE]


class DeclineAlliance(CommandBase):
    """Turn down the alliance ``target_agent_id`` proposed to you (rules version 2)."""

    type: Literal["DECLINE_ALLIANCE"] = "DECLINE_ALLIANCE"
    target_agent_id: AgentId


class DissolveAlliance(CommandBase):
    """End your alliance with ``target_agent_id`` (rules version 2)."""

    type: Literal["DISSOLVE_ALLIANCE"] = "DISSOLVE_ALLIANCE"
    target_agent_id: AgentId


class Bribe(CommandBase):
    type: Literal["BRIBE"] = "BRIBE"
    target_agent_id: AgentId
    amount: Annotated[int, Field(ge=1, le=limits.MAX_BRIBE_CENTS, description="cents")]


TradeRefs = Annotated[
    list[Annotated[int, Field(ge=1, le=limits.MAX_ORDER_ID)]],
    Field(max_length=limits.MAX_EVIDENCE_REFS, description="trade ids this evidence names"),
]
OrderRefs = Annotated[
    list[Annotated[int, Field(ge=1, le=limits.MAX_ORDER_ID)]],
    Field(max_length=limits.MAX_EVIDENCE_REFS, description="order ids this evidence names"),
]
CaseId = Annotated[int, Field(ge=1, le=limits.MAX_ORDER_ID)]


class Whistleblow(CommandBase):
    """Accuse a target (rules v2: opens or strengthens a case; see docs/rules.md)."""

    type: Literal["WHISTLEBLOW"] = "WHISTLEBLOW"
    target_agent_id: AgentId
    evidence: Annotated[str, Field(min_length=1, max_length=limits.MAX_EVIDENCE_CHARS), PRINTABLE]
    offence: Offence | None = Field(
        default=None, description="what you accuse the target of (default insider_trading)"
    )
    trade_ids: TradeRefs = []
    order_ids: OrderRefs = []


class Flee(CommandBase):
    type: Literal["FLEE"] = "FLEE"
    destination: Annotated[str, Field(min_length=1, max_length=limits.MAX_NAME_CHARS), PRINTABLE]


class OpenCase(CommandBase):
    """SEC investigators only: open a case against a suspect (rules v2)."""

    type: Literal["OPEN_CASE"] = "OPEN_CASE"
    target_agent_id: AgentId
    offence: Offence
    reason: Annotated[str, Field(min_length=1, max_length=limits.MAX_EVIDENCE_CHARS), PRINTABLE]


class Subpoena(CommandBase):
    """SEC investigators only: the suspect's recent messages and trades become evidence."""

    type: Literal["SUBPOENA"] = "SUBPOENA"
    case_id: CaseId


class FreezeAssets(CommandBase):
    """SEC investigators only: freeze the suspect's assets before the charge."""

    type: Literal["FREEZE_ASSETS"] = "FREEZE_ASSETS"
    case_id: CaseId


class RegisterAgent(CommandBase):
    """Published by the gateway on registration; ``agent_id`` is minted there."""

    type: Literal["REGISTER_AGENT"] = "REGISTER_AGENT"
    name: Annotated[str, Field(min_length=1, max_length=limits.MAX_NAME_CHARS), PRINTABLE]
    role: Role
    callback_url: str | None = None
    api_key_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


OPERATOR_ID = "operator"


NEWSROOM_ID = "newsroom"  # the identity the newsroom service publishes articles under
ARTICLE_HEADLINE_WORDS, ARTICLE_SUMMARY_WORDS = 14, 49  # what the domain accepts, at most


def article_command_id(news_id: str) -> str:
    """A PUBLISH_ARTICLE's command id, derived from the story it rewrites: a retry is the
    same command, and the domain rewrites a story once."""
    return f"article:{news_id}"


class PublishArticle(CommandBase):
    """Newsroom (rules v2): rewrite the wording of the domain's story ``news_id``. Tokens
    and cost are the newsroom's record of what writing it took."""

    type: Literal["PUBLISH_ARTICLE"] = "PUBLISH_ARTICLE"
    news_id: Annotated[str, Field(pattern=r"^[0-9]{1,12}\.[0-9]{1,6}$")]
    headline: Annotated[str, Field(min_length=1, max_length=200)]
    summary: Annotated[str, Field(min_length=1, max_length=600)]
    sentiment: Annotated[int, Field(ge=-100, le=100)]
    model: Annotated[str, Field(max_length=100)] = ""
    prompt_tokens: Annotated[int, Field(ge=0, lt=2**31)] = 0
    completion_tokens: Annotated[int, Field(ge=0, lt=2**31)] = 0
    cost_microdollars: Annotated[int, Field(ge=0, lt=2**53)] = 0


class StopSeason(CommandBase):
    """Operator: close the season at the end of this tick; its streams are then sealed."""

    type: Literal["STOP_SEASON"] = "STOP_SEASON"


class SetRegime(CommandBase):
    """Operator: switch the market regime (drift and volatility of fundamentals)."""

    type: Literal["SET_REGIME"] = "SET_REGIME"
    regime: Regime


class ConfigureSeason(CommandBase):
    """Operator: from this tick on, the season runs under ``config`` and rules version
    ``rules_version`` (how a fork changes its rules; domain/rules/configuration.py)."""

    type: Literal["CONFIGURE_SEASON"] = "CONFIGURE_SEASON"
    config: SeasonConfig
    rules_version: Annotated[int, Field(ge=1, lt=2**31)]


class StartSeason(CommandBase):
    """Operator: the first command of every season; its seed and config fix the genesis."""

    type: Literal["START_SEASON"] = "START_SEASON"
    seed: Annotated[int, Field(ge=0, lt=2**63)]
    config: SeasonConfig = SeasonConfig()
    # The rule set the season runs under; a command without it (older logs) means 1.
    rules_version: Annotated[int, Field(ge=1, lt=2**31)] = 1


OrderCommandT = Buy | Sell | Short | Cover
AgentAction = Annotated[
    Buy
    | Sell
    | Short
    | Cover
    | CancelOrder
    | Rumor
    | Ally
    | DeclineAlliance
    | DissolveAlliance
    | SendMessage
    | Bribe
    | Whistleblow
    | Flee
    | OpenCase
    | Subpoena
    | FreezeAssets,
    Field(discriminator="type"),
]
Command = Annotated[
    Buy
    | Sell
    | Short
    | Cover
    | CancelOrder
    | Rumor
    | Ally
    | DeclineAlliance
    | DissolveAlliance
    | SendMessage
    | Bribe
    | Whistleblow
    | Flee
    | OpenCase
    | Subpoena
    | FreezeAssets
    | RegisterAgent
    | StartSeason
    | StopSeason
    | SetRegime
    | ConfigureSeason
    | PublishArticle,
    Field(discriminator="type"),
]
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
AGENT_ACTION_ADAPTER: TypeAdapter[AgentAction] = TypeAdapter(AgentAction)


class Malformed(Message):
    """Not a command: bytes from the command stream that did not validate.

    The engine hands these to the domain so that they, too, get a rejection event.
    """

    type: Literal["MALFORMED"] = "MALFORMED"
    command_id: str
    agent_id: str
    error: str


def parse_command(raw: bytes) -> Command:
    """Validate JSON bytes as a command; raises ``pydantic.ValidationError``."""
    return COMMAND_ADAPTER.validate_json(raw)
