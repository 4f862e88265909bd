"""One answer for every reader: a company's fair value is private (docs/rules.md)."""

import json

from gateway.webhook_mail import Mailboxes
from projections.visibility import PRIVATE_COMPANY_FIELDS, channels_of, public_company, views
from schemas import events as ev
from schemas.events import EarningsReported


def test_earnings_on_the_public_feeds_carry_no_fair_value() -> None:
    event = EarningsReported(
        tick=3, symbol="APEX", quarter=1, revenue=10, profit=2, eps=7, surprise_bps=120,
        fair_value=12_345,
    )  # fmt: skip
    [view] = views(event, event.model_dump_json())
    assert "news" in view.channels
    shown = json.loads(view.data)
    assert "fair_value" not in shown
    assert (shown["symbol"], shown["eps"], shown["surprise_bps"]) == ("APEX", 7, 120)


def test_a_company_row_loses_its_private_fields_and_keeps_the_rest() -> None:
    row = {"symbol": "APEX", "last_price": 100, "fair_value": 99, "eps": 3}
    assert public_company(row) == {"symbol": "APEX", "last_price": 100, "eps": 3}
    assert set(PRIVATE_COMPANY_FIELDS) == {"fair_value"}


def test_social_events_reach_the_right_channels() -> None:
    message = ev.MessageDelivered(
        tick=1, command_id="m", agent_id="a", target_agent_id="b", message_id=1, content="x"
    )
    assert channels_of(message) == {"agent:a", "agent:b"}  # private to the two
    proposed = ev.AllianceProposed(
        tick=1, command_id="p", agent_id="a", target_agent_id="b", proposal="x", expires_tick=61
    )
    assert channels_of(proposed) == {"agent:a", "agent:b"}
    formed = ev.AllianceFormed(
        tick=1, command_id="f", agent_id="b", target_agent_id="a", proposal="y"
    )
    assert channels_of(formed) == {"news", "agent:a", "agent:b"}  # public
    rumor = ev.RumorPublished(
        tick=1,
        command_id="r",
        agent_id="a",
        rumor_id=1,
        symbol="APEX",
        content="up",
        sentiment=20,
        weight_pct=100,
        impulse_bps=60,
    )
    assert channels_of(rumor) == {"news", "market:APEX", "agent:a"}


def test_the_target_gets_messages_and_proposals_in_its_webhook_mail() -> None:
    boxes = Mailboxes(start_tick=0)
    boxes.add(
        ev.MessageDelivered(
            tick=1, command_id="m", agent_id="a", target_agent_id="b", message_id=7, content="hi"
        )
    )
    boxes.add(
        ev.AllianceProposed(
            tick=1, command_id="p", agent_id="a", target_agent_id="b", proposal="team",
            expires_tick=61,
        )
    )  # fmt: skip
    boxes.add(  # rules version 1: the same entry as before the v2 events existed
        ev.SocialActionRecorded(
            tick=1, command_id="s", agent_id="a", action="BRIBE", target_agent_id="b",
            amount=5, note="recorded",
        )
    )  # fmt: skip
    boxes.close_tick()
    mail = boxes.take_all()
    assert list(mail["b"].messages) == [
        {"tick": 1, "from_agent_id": "a", "action": "MESSAGE", "message_id": 7, "text": "hi"},
        {"tick": 1, "from_agent_id": "a", "action": "AllianceProposed", "text": "team"},
        {"tick": 1, "from_agent_id": "a", "action": "BRIBE", "text": "", "amount": 5},
    ]
    assert [a["alert"] for a in mail["a"].alerts] == [
        "MessageDelivered",
        "AllianceProposed",
        "SocialActionRecorded",
    ]
