"""Units: money is integer cents, rates are basis points."""

DOLLAR = 100  # cents
BPS = 10_000  # basis points in one
