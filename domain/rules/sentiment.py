"""A rumor's sentiment, scored from its text by a small lexicon: integers only.

The text is lower-cased and split into words (runs of ``a-z``, digits and apostrophes).
Each word in ``LEXICON`` adds its weight (-3..3); a negator (``not``, ``no``, ``never``,
...) flips the sign of the next lexicon word within ``NEGATION_REACH`` words. The
sentiment is ``clamp(total * POINTS_PER_WEIGHT, -100, 100)``: "APEX will soar" scores 60,
"record profits, buy now" 100, "APEX is not going to crash" 60, "fraud" -60.
"""

import re

MIN_SENTIMENT, MAX_SENTIMENT = -100, 100
POINTS_PER_WEIGHT = 20
NEGATION_REACH = 3  # a negator flips the next lexicon word at most this many words on

_WORD = re.compile(r"[a-z0-9']+")
NEGATORS = frozenset({"not", "no", "never", "isn't", "won't", "don't", "doesn't", "nothing"})
LEXICON: dict[str, int] = {
    # up
    "soar": 3, "soars": 3, "skyrocket": 3, "moon": 3, "breakthrough": 3, "record": 2,
    "surge": 3, "surges": 3, "boom": 2, "beat": 2, "beats": 2, "buy": 2, "bullish": 2,
    "rally": 2, "profit": 1, "profits": 1, "growth": 1, "strong": 1, "gain": 1, "gains": 1,
    "up": 1, "rise": 1, "rises": 1, "win": 1, "wins": 1, "upgrade": 2, "acquisition": 1,
    "approval": 2, "approved": 2, "merger": 1, "undervalued": 2,
    # down
    "crash": -3, "crashes": -3, "collapse": -3, "fraud": -3, "bankrupt": -3,
    "bankruptcy": -3, "scandal": -2, "sell": -2, "bearish": -2, "plunge": -3,
    "plunges": -3, "dump": -2, "miss": -2, "misses": -2, "loss": -1, "losses": -1,
    "weak": -1, "down": -1, "fall": -1, "falls": -1, "drop": -1, "drops": -1,
    "downgrade": -2, "lawsuit": -2, "investigation": -2, "recall": -2, "overvalued": -2,
    "default": -2, "layoffs": -1,
}  # fmt: skip


def score(text: str) -> int:
    """The sentiment of ``text``, -100 (very negative) .. 100 (very positive)."""
    total, flip_within = 0, 0
    for word in _WORD.findall(text.lower()):
        if word in NEGATORS:
            flip_within = NEGATION_REACH
            continue
        weight = LEXICON.get(word, 0)
        if weight and flip_within:
            weight, flip_within = -weight, 0
        elif flip_within:
            flip_within -= 1
        total += weight
    return max(MIN_SENTIMENT, min(MAX_SENTIMENT, total * POINTS_PER_WEIGHT))
