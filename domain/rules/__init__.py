"""The game's rules, one module per family: each owns its logic and its numbers.

docs/ARCHITECTURE.md ("Where each rule lives") lists which module owns which rule, and
docs/rules.md states the numbers for agent authors. ``domain.rules.versions`` bundles
them into the rule set a season runs under.
"""
