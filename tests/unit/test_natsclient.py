"""Our header parser returns exactly what nats-py's does, only faster."""

import pytest
from nats.aio.client import Client as NatsPyClient

from wss.natsclient import Client

BLOCKS = [
    b"Nats-Msg-Id: s1:1:2\r\nNats-Batch-Id: s1:1:0\r\nNats-Sequence: 5\r\n\r\n",
    b"Weird Key: v\r\nNoColon\r\n \t Spaced:  val \t\r\n: empty\r\nA:b:c\r\n\r\n",
    b"K\xc3\xa9y: 1\r\nBad: \xff\xfe\r\nNbsp: \xc2\xa0x\xc2\xa0\r\nTab\tIn: x\r\n\r\n",
    b"Only: one",
    b"",
]


@pytest.mark.parametrize("raw", BLOCKS)
def test_same_headers_as_nats_py(raw: bytes) -> None:
    assert Client._parse_header_lines(raw) == NatsPyClient._parse_header_lines(raw)
