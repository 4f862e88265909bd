"""One answer for every reader: a company's fair value is private (docs/rules.md)."""

import json

from projections.visibility import PRIVATE_COMPANY_FIELDS, public_company, views
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
