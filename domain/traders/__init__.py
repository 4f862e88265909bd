"""The built-in traders that make the market live, one module per strategy.

``domain.traders.registry`` maps each ``Strategy`` to its trader. A trader reads the
world and returns commands; they then go through the same decisions as any external
agent's. No price is ever set here.
"""
