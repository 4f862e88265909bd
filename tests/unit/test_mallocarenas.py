"""``wss run`` caps glibc's malloc arenas from inside the process (``mallopt``)."""

from __future__ import annotations

import os
import subprocess
import sys

from wss.mallocarenas import ARENAS

# Eight threads allocate at once, then glibc's malloc_info counts the arenas ("heaps").
PROBE = """
import ctypes, ctypes.util, sys, tempfile, threading
from wss.mallocarenas import limit_malloc_arenas
if sys.argv[1] == "limit":
    limit_malloc_arenas()
barrier = threading.Barrier(8)
def work():
    barrier.wait()
    blocks = [bytearray(2000) for _ in range(5000)]
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.fopen.restype = ctypes.c_void_p
with tempfile.NamedTemporaryFile("r") as out:
    fp = ctypes.c_void_p(libc.fopen(out.name.encode(), b"w"))
    libc.malloc_info(0, fp)
    libc.fclose(fp)
    print(out.read().count("<heap nr="))
"""


def _arenas(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], env=env, capture_output=True, text=True, check=True
    )
    return int(done.stdout)


def test_malloc_arenas_are_capped_for_threads_allocating_at_once() -> None:
    assert _arenas("limit") <= ARENAS
    assert _arenas("free") > ARENAS  # the probe would see more without the cap
