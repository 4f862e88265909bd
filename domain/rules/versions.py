"""Rule sets by version: a season runs, and is verified, under the rules its genesis names.

A rule set names the function that decides each phase and each kind of command. A new
version reuses what it keeps and replaces what it changes (``dataclasses.replace``), so
an old season still verifies under the version it ran with and a fork can run a newer one.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from random import Random

from domain import orders
from domain.context import Recorder, TickContext
from domain.rules import (
    articles,
    earnings,
    fees,
    fundamentals,
    insiders,
    investigations,
    justice,
    margin,
    news,
    regimes,
    registration,
    session,
    social,
)
from domain.rules.legal import LegalCommand
from domain.rules.surveillance import phase as surveillance
from domain.state import Account, World
from domain.traders import registry
from schemas import commands as cmd

Phase = Callable[[Recorder], None]
DicedPhase = Callable[[Recorder, TickContext], None]


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: int
    open_market: Phase
    report_earnings: DicedPhase
    drift: DicedPhase
    builtin_commands: Callable[[World, Random, int], Iterator[cmd.CommandBase]]
    register: Callable[[Recorder, cmd.RegisterAgent], None]
    set_regime: Callable[[Recorder, cmd.SetRegime], None]
    place_order: Callable[[Recorder, Account, cmd.OrderCommand], None]
    cancel_order: Callable[[Recorder, Account, cmd.CancelOrder], None]
    social: Callable[[Recorder, Account, social.SocialCommand], None]
    legal: Callable[[Recorder, Account, LegalCommand], None]
    before_commands: DicedPhase
    after_trading: DicedPhase
    check_margin: Phase
    close_market: Phase
    charge_borrow_fees: Phase
    turn_regime: DicedPhase
    end_season: Callable[[Recorder, cmd.StopSeason], None]
    surveil: Phase  # 5b: the SEC (rules version 2; nothing under 1)
    report_news: Phase  # 6b: the tick's stories (rules version 2; nothing under 1)
    publish_article: Callable[[Recorder, cmd.PublishArticle], None]


def _nothing(_: Recorder) -> None:
    """A phase a rule set does not have."""


V1 = RuleSet(
    version=1,
    open_market=session.open_market,
    report_earnings=earnings.report,
    drift=fundamentals.drift,
    builtin_commands=registry.commands,
    register=registration.register,
    set_regime=regimes.set_regime,
    place_order=orders.place,
    cancel_order=orders.cancel,
    social=social.record,
    legal=justice.decide_v1,
    before_commands=justice.no_phase,
    after_trading=justice.no_phase,
    check_margin=margin.check,
    close_market=session.close_market,
    charge_borrow_fees=fees.charge_borrow_fees,
    turn_regime=regimes.maybe_turn,
    end_season=session.end_season,
    surveil=_nothing,
    report_news=_nothing,
    publish_article=articles.refuse_v1,
)

# Version 2: the social and legal system (issue 9). Each change names what it replaces;
# until then it decides exactly as version 1 does. New seasons start under it; a season
# whose genesis says 1 (or says nothing: older logs) keeps running and verifying under V1.
V2 = replace(
    V1,
    version=2,
    social=social.decide,
    # the legal system: docs/rules.md "Investigations, courts and prison"
    register=insiders.register,  # a CEO is appointed to a company
    report_earnings=earnings.report_foreseeable,  # per-company dice, so a CEO can be told
    place_order=investigations.place_unless_frozen(orders.place),
    legal=justice.decide,
    before_commands=justice.before_commands,
    after_trading=justice.after_trading,
    surveil=surveillance.surveil,  # phase 5b, before justice: domain/rules/surveillance
    report_news=news.publish,  # phase 6b, the tick's stories: domain/rules/news.py
    publish_article=articles.publish,  # the newsroom's rewording: domain/rules/articles.py
)

RULE_SETS: dict[int, RuleSet] = {rules.version: rules for rules in (V1, V2)}
CURRENT_VERSION = max(RULE_SETS)  # what `wss run`, the gateway and ``start_command`` use


class UnknownRulesVersion(ValueError):
    """A season names a rules version this build does not have."""

    def __init__(self, version: int) -> None:
        known = ", ".join(map(str, RULE_SETS))
        super().__init__(f"rules version {version} is not known to this build (known: {known})")
        self.version = version


def rule_set(version: int) -> RuleSet:
    found = RULE_SETS.get(version)
    if found is None:
        raise UnknownRulesVersion(version)
    return found
