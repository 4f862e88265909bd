"""The SEC's phase of a tick (5b, after the close): every detector reads what this tick
added to the windows, and each new finding becomes a ``SuspicionRaised``.

A (suspect, offence, symbol) is raised again only on new evidence (its newest trade or
order id is newer than the last suspicion's) and at most once per ``RAISE_GAP_TICKS``.
"""

from domain import clock
from domain.context import Recorder
from domain.rules.surveillance import closing, insider, pump, spoofing, wash
from domain.rules.surveillance.findings import MAX_REFERENCES, Finding
from domain.rules.surveillance.windows import raised_key
from schemas import events as ev

RAISE_GAP_TICKS = 390  # a (suspect, offence, symbol) is raised at most once a trading day


def surveil(rec: Recorder) -> None:
    world = rec.world
    sec = world.sec
    if sec is None:
        return
    tick = rec.tick
    findings: list[Finding] = []
    findings.extend(insider.detect(sec, world, tick))
    findings.extend(wash.detect(sec, world, tick))
    findings.extend(pump.detect(sec, tick))
    findings.extend(spoofing.detect(sec, tick))
    if clock.is_closing_tick(tick, world.config) and sec.closing:
        closes = {symbol: c.last_price for symbol, c in world.companies.items()}
        findings.extend(closing.detect(sec, closes))
    for finding in findings:
        last = sec.raised.get(raised_key(finding.suspect_id, finding.offence, finding.symbol))
        if last is not None and (finding.newest_id <= last[0] or tick - last[1] < RAISE_GAP_TICKS):
            continue
        rec.emit(
            ev.SuspicionRaised(
                tick=tick,
                suspicion_id=sec.next_suspicion_id,
                offence=finding.offence,
                suspect_id=finding.suspect_id,
                accomplice_ids=finding.accomplice_ids,
                symbol=finding.symbol,
                confidence_pct=finding.confidence_pct,
                trade_ids=finding.trade_ids[-MAX_REFERENCES:],
                order_ids=finding.order_ids[-MAX_REFERENCES:],
                ticks=finding.ticks[-MAX_REFERENCES:],
                reason=finding.reason,
            )
        )
