"""Seeded randomness: one generator per (season seed, tick, purpose), integers only.

Only ``Random`` methods whose results are defined by integer arithmetic are used
(``randrange``, ``getrandbits``), so every machine draws the same numbers.
"""

import hashlib
from random import Random


def generator(seed: int, tick: int, purpose: str) -> Random:
    digest = hashlib.sha256(f"{seed}:{tick}:{purpose}".encode()).digest()
    return Random(int.from_bytes(digest[:16], "big"))


def bell_bps(rng: Random, scale_bps: int) -> int:
    """A bell-shaped integer draw with standard deviation ~ ``scale_bps``.

    Sum of three uniform draws on [-s, s] has variance s^2, so s = scale gives sd = scale.
    """
    if scale_bps <= 0:
        return 0
    return sum(rng.randrange(-scale_bps, scale_bps + 1) for _ in range(3))
