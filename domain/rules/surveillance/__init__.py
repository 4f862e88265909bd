"""The SEC's surveillance (rules version 2): bounded windows of what happened, and one
detector per offence that reads them once a tick and raises ``SuspicionRaised``.

``windows`` is fed by ``domain.evolve`` (so the windows are the fold of the log) and
``phase.surveil`` runs inside ``step`` after the close (phase 5b). docs/rules.md, "The
SEC's surveillance", states every threshold.
"""
