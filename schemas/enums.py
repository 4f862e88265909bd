"""Closed vocabularies shared by commands, events and read models."""

from enum import StrEnum


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class Intent(StrEnum):
    """What an order does to a position: open/close a long (BUY/SELL) or a short."""

    BUY = "BUY"
    SELL = "SELL"
    SHORT = "SHORT"
    COVER = "COVER"


class OrderType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"


class Role(StrEnum):
    HEDGE_FUND_MANAGER = "hedge_fund_manager"
    RETAIL_TRADER = "retail_trader"
    CEO = "ceo"
    INVESTMENT_BANKER = "investment_banker"
    FINANCIAL_JOURNALIST = "financial_journalist"
    SEC_INVESTIGATOR = "sec_investigator"
    WHISTLEBLOWER = "whistleblower"
    QUANT = "quant"
    INFLUENCER = "influencer"
    MARKET_MAKER = "market_maker"


class Strategy(StrEnum):
    """Who decides an account's orders: one of the built-in traders, or an external agent."""

    EXTERNAL = "external"
    MARKET_MAKER = "market_maker"
    NOISE = "noise"
    MOMENTUM = "momentum"
    VALUE = "value"
    # The seeded crooks (ground truth for scoring the SEC; never shown publicly).
    INSIDER = "insider"
    WASH_TRADER = "wash_trader"
    PUMP_AND_DUMP = "pump_and_dump"
    SPOOFER = "spoofer"
    CLOSE_MARKER = "close_marker"


class Regime(StrEnum):
    NORMAL = "normal"
    BULL = "bull"
    BEAR = "bear"
    CRASH = "crash"
    BUBBLE = "bubble"


class Sector(StrEnum):
    TECHNOLOGY = "Technology"
    FINANCE = "Finance"
    HEALTHCARE = "Healthcare"
    ENERGY = "Energy"
    CONSUMER = "Consumer"
    INDUSTRIAL = "Industrial"
    REAL_ESTATE = "Real Estate"
    UTILITIES = "Utilities"
    CRYPTO = "Crypto"
    MEME = "Meme"


class AgentStatus(StrEnum):
    ACTIVE = "active"
    BANKRUPT = "bankrupt"
    FLED = "fled"
    IMPRISONED = "imprisoned"


class RejectReason(StrEnum):
    """Machine-readable reasons for refusing a command. Agents switch on these."""

    MALFORMED = "malformed"
    UNKNOWN_AGENT = "unknown_agent"
    AGENT_NOT_ACTIVE = "agent_not_active"
    AGENT_EXISTS = "agent_exists"
    NAME_TAKEN = "name_taken"
    UNKNOWN_SYMBOL = "unknown_symbol"
    BAD_QUANTITY = "bad_quantity"
    BAD_PRICE = "bad_price"
    PRICE_OUT_OF_BAND = "price_out_of_band"
    MARKET_CLOSED = "market_closed"
    SEASON_NOT_RUNNING = "season_not_running"
    INSUFFICIENT_BUYING_POWER = "insufficient_buying_power"
    INSUFFICIENT_SHARES = "insufficient_shares"
    INSUFFICIENT_SHORT = "insufficient_short_position"
    INSUFFICIENT_CASH = "insufficient_cash"
    POSITION_IS_SHORT = "position_is_short"
    POSITION_IS_LONG = "position_is_long"
    NO_LIQUIDITY = "no_liquidity"
    UNKNOWN_ORDER = "unknown_order"
    NOT_YOUR_ORDER = "not_your_order"
    UNKNOWN_TARGET = "unknown_target"
    SELF_TARGET = "self_target"
    NOT_OPERATOR = "not_operator"
    BAD_AMOUNT = "bad_amount"
    UNKNOWN_RULES_VERSION = "unknown_rules_version"
    FIXED_AT_GENESIS = "fixed_at_genesis"  # a CONFIGURE_SEASON changing the universe or clock
    # Social actions under rules version 2 (domain/rules/alliances.py, messages.py).
    TARGET_NOT_ACTIVE = "target_not_active"
    ALREADY_ALLIED = "already_allied"
    ALREADY_PROPOSED = "already_proposed"
    TOO_MANY_ALLIES = "too_many_allies"
    NOT_ALLIED = "not_allied"
    NO_PROPOSAL = "no_proposal"
    # The legal system (rules version 2, docs/rules.md "Investigations, courts and prison").
    AGENT_IMPRISONED = "agent_imprisoned"
    ASSETS_FROZEN = "assets_frozen"
    NOT_INVESTIGATOR = "not_investigator"
    UNKNOWN_CASE = "unknown_case"
    CASE_CLOSED = "case_closed"
    NO_OPEN_CASE = "no_open_case"
    EVIDENCE_TOO_WEAK = "evidence_too_weak"
    BAD_REFERENCE = "bad_reference"
    # The newsroom's PUBLISH_ARTICLE (rules version 2, docs/rules.md "News").
    NOT_NEWSROOM = "not_newsroom"
    UNKNOWN_STORY = "unknown_story"
    ALREADY_REWRITTEN = "already_rewritten"
    ARTICLE_INVALID = "article_invalid"


class Offence(StrEnum):
    """What the SEC looks for (domain/rules/surveillance) and the courts try."""

    INSIDER_TRADING = "insider_trading"
    WASH_TRADING = "wash_trading"
    PUMP_AND_DUMP = "pump_and_dump"
    SPOOFING = "spoofing"
    MARKING_THE_CLOSE = "marking_the_close"
    BRIBERY = "bribery"


class CancelReason(StrEnum):
    BY_AGENT = "by_agent"
    MARKET_REMAINDER = "market_remainder"
    SELF_TRADE = "self_trade_prevented"
    BUYING_POWER = "insufficient_buying_power"
    LIQUIDATION = "liquidation"
    BANKRUPTCY = "bankruptcy"
    AGENT_LEFT = "agent_left"
    SEASON_END = "season_end"
    IMPRISONED = "imprisoned"
    FROZEN = "assets_frozen"


class CaseStatus(StrEnum):
    """Where an investigation stands (domain/rules/investigations.py, courts.py)."""

    OPEN = "open"  # gathering evidence
    CHARGED = "charged"  # evidence over the charge threshold: assets frozen, trial scheduled
    CONVICTED = "convicted"
    ACQUITTED = "acquitted"
    SETTLED = "settled"
    DISMISSED = "dismissed"  # never charged: lapsed for want of evidence


class NewsCategory(StrEnum):
    """What a news story reports (domain/rules/news.py)."""

    EARNINGS = "earnings"
    MARKET_MOVE = "market_move"
    BANKRUPTCY = "bankruptcy"
    LIQUIDATION = "liquidation"
    REGIME = "regime"
    RUMOR = "rumor"
    ALLIANCE = "alliance"
    INVESTIGATION = "investigation"
    VERDICT = "verdict"
    PRISON = "prison"
    FLIGHT = "flight"


class Verdict(StrEnum):
    CONVICTED = "convicted"
    ACQUITTED = "acquitted"
    SETTLED = "settled"
    DISMISSED = "dismissed"
