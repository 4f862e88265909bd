"""Limits shared by the gateway's validation and the domain's own checks."""

MIN_QUANTITY = 1
MAX_QUANTITY = 1_000_000
MIN_PRICE_CENTS = 1  # $0.01
MAX_PRICE_CENTS = 100_000_000  # $1,000,000
MAX_RUMOR_CHARS = 280
MAX_MESSAGE_CHARS = 500
MAX_PROPOSAL_CHARS = 500
MAX_EVIDENCE_CHARS = 2_000
MAX_NAME_CHARS = 40
MAX_EVIDENCE_REFS = 20  # trade or order ids one WHISTLEBLOW may name
MAX_COMMAND_ID_CHARS = 64
MAX_ORDER_ID = 2**63 - 1  # order ids are signed 64-bit integers in every read model
MAX_BRIBE_CENTS = 1_000_000_000_00  # $1bn: a sanity cap; cash decides the real limit
SYMBOL_PATTERN = r"^[A-Z]{1,5}$"
COMMAND_ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,64}$"
AGENT_ID_PATTERN = r"^[A-Za-z0-9_\-]{1,64}$"
# Free text an agent may send: no control characters (the gateway refuses them; the log
# keeps accepting what it stored before that rule).
TEXT_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
