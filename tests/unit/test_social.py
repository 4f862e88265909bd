"""Social actions under rules version 2: messages, alliances, rumors and reputation.

Each consequence is shown on a hand-stepped season (tests/unit/market.py); each refusal
gets its reason, raises nothing and changes nothing but the event count.
"""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from domain import World, context_for, restore, snapshot, step
from domain.rules import alliances, messages, reputation, rumors, sentiment
from domain.rules.alliances import allies_of
from domain.state import MESSAGE_WINDOW, RUMOR_WINDOW, alliance_key
from projections.analytics.fold import typed_columns
from schemas import commands as cmd
from schemas import events as ev
from schemas import limits
from schemas.config import SeasonConfig
from schemas.enums import AgentStatus, RejectReason, Role
from tests.unit.market import NOBODY, Market

CONFIG = SeasonConfig(symbols=2, population=NOBODY, open_ticks_per_day=200, after_hours_ticks=2)
AGENTS = {
    "a": Role.HEDGE_FUND_MANAGER,
    "b": Role.RETAIL_TRADER,
    "c": Role.QUANT,
    "talk": Role.INFLUENCER,
    "news": Role.FINANCIAL_JOURNALIST,
    "gone": Role.RETAIL_TRADER,
}
_ids = itertools.count(1)


def cid() -> str:
    return f"s{next(_ids)}"


@pytest.fixture
def m() -> Market:
    market = Market(CONFIG, 3, AGENTS)
    assert market.world.rules_version == 2
    return market


def message(sender: str, target: str, content: str = "hi") -> cmd.SendMessage:
    return cmd.SendMessage(
        command_id=cid(), agent_id=sender, target_agent_id=target, content=content
    )


def ally(agent: str, target: str) -> cmd.Ally:
    return cmd.Ally(command_id=cid(), agent_id=agent, target_agent_id=target, proposal="deal")


def rumor(agent: str, symbol: str, content: str) -> cmd.Rumor:
    return cmd.Rumor(command_id=cid(), agent_id=agent, symbol=symbol, content=content)


def outcome(events: list[ev.EventBase], c: cmd.CommandBase) -> ev.EventBase:
    (found,) = [e for e in events if getattr(e, "command_id", None) == c.command_id]
    return found


# --- MESSAGE ----------------------------------------------------------------------------


def test_a_message_is_delivered_to_its_target_and_kept_for_a_subpoena(m: Market) -> None:
    c = message("a", "b", "meet me at the close")
    delivered = outcome(m.run(c), c)
    assert isinstance(delivered, ev.MessageDelivered)
    assert (delivered.agent_id, delivered.target_agent_id) == ("a", "b")
    assert delivered.content == "meet me at the close"
    (kept,) = messages.messages_of(m.world, "b")
    assert (kept.message_id, kept.sender, kept.target, kept.tick) == (1, "a", "b", m.tick)
    assert messages.messages_of(m.world, "c") == []


def test_the_message_window_is_bounded_oldest_first(m: Market) -> None:
    for _ in range(MESSAGE_WINDOW + 25):
        m.run(message("a", "b"))
    kept = list(m.world.messages)
    assert len(kept) == MESSAGE_WINDOW
    assert kept[0].message_id == 26
    assert kept[-1].message_id == MESSAGE_WINDOW + 25


# --- ALLY -------------------------------------------------------------------------------


def test_mutual_proposals_form_an_alliance_that_is_public_and_can_be_dissolved(
    m: Market,
) -> None:
    first = ally("a", "b")
    proposed = outcome(m.run(first), first)
    assert isinstance(proposed, ev.AllianceProposed)
    assert proposed.expires_tick == m.tick + alliances.PROPOSAL_TICKS
    assert allies_of(m.world, "a") == ()
    back = ally("b", "a")
    formed = outcome(m.run(back), back)
    assert isinstance(formed, ev.AllianceFormed)
    assert (formed.agent_id, formed.target_agent_id) == ("b", "a")
    assert allies_of(m.world, "a") == ("b",)
    assert allies_of(m.world, "b") == ("a",)
    assert m.world.proposals == {}
    end = cmd.DissolveAlliance(command_id=cid(), agent_id="b", target_agent_id="a")
    events = m.run(end)
    assert isinstance(outcome(events, end), ev.AllianceDissolved)
    assert allies_of(m.world, "a") == allies_of(m.world, "b") == ()
    changed = [e for e in events if isinstance(e, ev.ReputationChanged)]
    assert [(e.agent_id, e.delta, e.reputation) for e in changed] == [
        ("b", -reputation.BREAK_ALLIANCE_COST, 50 - reputation.BREAK_ALLIANCE_COST)
    ]


def test_alliances_are_listed_in_a_deterministic_order(m: Market) -> None:
    for x, y in (("c", "a"), ("b", "talk"), ("a", "b")):
        m.run(ally(x, y))
        m.run(ally(y, x))
    assert list(m.world.alliances) == [("a", "c"), ("b", "talk"), ("a", "b")]
    assert allies_of(m.world, "a") == ("b", "c")
    assert alliance_key("talk", "b") == ("b", "talk")


def test_a_proposal_lapses_after_its_window(m: Market) -> None:
    m.run(ally("a", "b"))
    for _ in range(alliances.PROPOSAL_TICKS):
        m.run()
    late = ally("b", "a")
    assert isinstance(outcome(m.run(late), late), ev.AllianceProposed)
    assert allies_of(m.world, "a") == ()
    assert ("a", "b") not in m.world.proposals  # the lapsed one was dropped


def test_a_declined_proposal_cannot_be_accepted(m: Market) -> None:
    m.run(ally("a", "b"))
    no = cmd.DeclineAlliance(command_id=cid(), agent_id="b", target_agent_id="a")
    assert isinstance(outcome(m.run(no), no), ev.AllianceDeclined)
    back = ally("b", "a")
    assert isinstance(outcome(m.run(back), back), ev.AllianceProposed)


# --- RUMOR ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("APEX will soar", 60),
        ("record profits, buy now", 100),
        ("APEX is not going to crash", 60),
        ("fraud", -60),
        ("Fraud! Scandal! Crash!", -100),
        ("nothing to see", 0),
        ("", 0),
    ],
)
def test_sentiment_is_scored_from_the_text(text: str, score: int) -> None:
    assert sentiment.score(text) == score


def test_a_rumor_is_published_as_news_and_costs_its_author_reputation(m: Market) -> None:
    c = rumor("a", m.symbol, "APEX will soar")
    events = m.run(c)
    published = outcome(events, c)
    assert isinstance(published, ev.RumorPublished)
    assert (published.sentiment, published.weight_pct) == (60, 100)
    assert published.impulse_bps == 60 * rumors.BPS_PER_POINT
    assert m.world.accounts["a"].reputation == 50 - reputation.RUMOR_COST
    assert [r.rumor_id for r in rumors.recent(m.world)] == [1]
    assert any(isinstance(e, ev.ReputationChanged) and e.cause == "RUMOR" for e in events)


@pytest.mark.parametrize("author", ["talk", "news"])
def test_an_influencers_and_a_journalists_rumors_weigh_double(m: Market, author: str) -> None:
    c = rumor(author, m.symbol, "APEX will soar")
    published = outcome(m.run(c), c)
    assert isinstance(published, ev.RumorPublished)
    assert published.weight_pct == 200
    assert published.impulse_bps == 2 * 60 * rumors.BPS_PER_POINT


def test_a_rumors_shift_of_valuation_decays_to_nothing(m: Market) -> None:
    company = m.world.companies[m.symbol]
    m.run(rumor("talk", m.symbol, "record profits, buy now"))
    published_at = m.tick
    impulse = 2 * 100 * rumors.BPS_PER_POINT
    shifts = [
        rumors.shift_bps(m.world, m.symbol, published_at + age)
        for age in range(rumors.DECAY_TICKS + 1)
    ]
    assert shifts[0] == 0  # it acts from the next tick on
    assert shifts[1] == impulse * (rumors.DECAY_TICKS - 1) // rumors.DECAY_TICKS
    assert all(a > b for a, b in itertools.pairwise(shifts[1:]))
    assert shifts[-1] == 0
    valued = rumors.valuation(m.world, company, published_at + 1)
    assert valued == company.fair_value + company.fair_value * shifts[1] // 10_000
    other = next(s for s in m.world.companies if s != m.symbol)
    assert rumors.shift_bps(m.world, other, published_at + 1) == 0


def test_many_rumors_shift_at_most_the_cap_and_credibility_falls(m: Market) -> None:
    weights = []
    for _ in range(30):
        c = rumor("talk", m.symbol, "record profits, buy now")
        published = outcome(m.run(c), c)
        assert isinstance(published, ev.RumorPublished)
        weights.append(published.weight_pct)
    assert rumors.shift_bps(m.world, m.symbol, m.tick + 1) == rumors.MAX_SHIFT_BPS
    assert weights[0] == 200
    assert weights == sorted(weights, reverse=True)
    assert weights[-1] < weights[0]


def test_reputation_is_clamped_at_zero(m: Market) -> None:
    for _ in range(50 // reputation.RUMOR_COST + 5):
        m.run(rumor("a", m.symbol, "up"))
    assert m.world.accounts["a"].reputation == reputation.MIN_REPUTATION
    events = m.run(rumor("a", m.symbol, "up"))
    assert not any(isinstance(e, ev.ReputationChanged) for e in events)


def test_the_rumor_window_is_bounded(m: Market) -> None:
    for _ in range(RUMOR_WINDOW + 3):
        m.run(rumor("b", m.symbol, "up"))
    assert len(m.world.rumors) == RUMOR_WINDOW
    assert m.world.rumors[0].rumor_id == 4


def test_under_rules_version_1_social_actions_are_only_recorded() -> None:
    m = Market(CONFIG.model_copy(), 3, AGENTS)
    m.world.rules_version = 1
    c = message("a", "b")
    recorded = outcome(m.run(c), c)
    assert isinstance(recorded, ev.SocialActionRecorded)
    assert not m.world.messages


# --- refusals ---------------------------------------------------------------------------


def _image(world: World) -> dict[str, object]:
    image = snapshot(world)
    del image["version"]  # a refusal is one more event applied
    return image


def _refusals(m: Market) -> list[tuple[cmd.CommandBase, RejectReason]]:
    return [
        (message("a", "nobody"), RejectReason.UNKNOWN_TARGET),
        (message("a", "a"), RejectReason.SELF_TARGET),
        (message("a", "gone"), RejectReason.TARGET_NOT_ACTIVE),
        (message("ghost", "a"), RejectReason.UNKNOWN_AGENT),
        (message("gone", "a"), RejectReason.AGENT_NOT_ACTIVE),
        (ally("a", "a"), RejectReason.SELF_TARGET),
        (ally("a", "nobody"), RejectReason.UNKNOWN_TARGET),
        (ally("a", "gone"), RejectReason.TARGET_NOT_ACTIVE),
        (ally("a", "b"), RejectReason.ALREADY_ALLIED),
        (ally("c", "a"), RejectReason.ALREADY_PROPOSED),
        (ally("talk", "a"), RejectReason.TOO_MANY_ALLIES),
        (
            cmd.DeclineAlliance(command_id=cid(), agent_id="b", target_agent_id="c"),
            RejectReason.NO_PROPOSAL,
        ),
        (
            cmd.DeclineAlliance(command_id=cid(), agent_id="b", target_agent_id="b"),
            RejectReason.SELF_TARGET,
        ),
        (
            cmd.DissolveAlliance(command_id=cid(), agent_id="b", target_agent_id="c"),
            RejectReason.NOT_ALLIED,
        ),
        (
            cmd.DissolveAlliance(command_id=cid(), agent_id="b", target_agent_id="nobody"),
            RejectReason.UNKNOWN_TARGET,
        ),
        (rumor("a", "ZZZZ", "up"), RejectReason.UNKNOWN_SYMBOL),
    ]


def test_every_bad_social_command_gets_its_reason_and_changes_nothing(m: Market) -> None:
    m.run(ally("a", "b"))
    m.run(ally("b", "a"))  # a and b are allies
    m.run(ally("c", "a"))  # c's proposal to a stands
    # "a" reaches the cap: allies with b plus MAX_ALLIES - 1 helpers
    extra = [f"x{n}" for n in range(alliances.MAX_ALLIES - 1)]
    m.run(
        *(
            cmd.RegisterAgent(
                command_id=f"reg-{x}", agent_id=x, name=x, role=Role.QUANT, api_key_hash="0" * 64
            )
            for x in extra
        )
    )
    for x in extra:
        m.run(ally("a", x))
        m.run(ally(x, "a"))
    assert len(allies_of(m.world, "a")) == alliances.MAX_ALLIES
    m.world.accounts["gone"].status = AgentStatus.FLED  # as the legal rules will leave it
    for c, reason in _refusals(m):
        twin = restore(snapshot(m.world))  # the same tick without the bad command
        step(twin, [], context_for(twin, m.tick + 1))
        events = m.run(c)
        refused = outcome(events, c)
        assert isinstance(refused, ev.CommandRejected), (c, refused)
        assert refused.reason is reason, (c, refused)
        assert _image(m.world) == _image(twin), c


def test_a_message_too_long_is_refused_before_the_domain() -> None:
    """Longer than MAX_MESSAGE_CHARS never validates: on the log it becomes MALFORMED
    (the engine's decode; test_rejections covers that outcome), at the gateway a 422."""
    with pytest.raises(ValidationError):
        cmd.SendMessage(
            command_id="c",
            agent_id="a",
            target_agent_id="b",
            content="x" * (limits.MAX_MESSAGE_CHARS + 1),
        )
    raw = message("a", "b", "x").model_dump_json().replace('"x"', '"' + "x" * 501 + '"')
    with pytest.raises(ValidationError):
        cmd.parse_command(raw.encode())


def test_the_analytics_events_table_names_both_parties_of_a_social_event() -> None:
    message_event = ev.MessageDelivered(
        tick=3, command_id="m", agent_id="a", target_agent_id="b", message_id=1, content="x"
    )
    assert typed_columns(message_event) == ("", "a", "b", None, None)
    published = ev.RumorPublished(
        tick=3,
        command_id="r",
        agent_id="a",
        rumor_id=1,
        symbol="APEX",
        content="up",
        sentiment=20,
        weight_pct=100,
        impulse_bps=60,
    )
    assert typed_columns(published) == ("APEX", "a", "", 20, None)
