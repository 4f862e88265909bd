"""Fewer glibc malloc arenas for the long-running ``wss run``.

glibc gives each thread that allocates concurrently its own arena (up to 8 per core), and
freed memory in one is not reused by another: with chDB's, aiosqlite's and asyncio's
worker threads a server's RSS creeps up on fragmentation alone. Two arenas is what
``MALLOC_ARENA_MAX=2`` would set, but that variable must be in the environment before the
process starts; ``mallopt`` sets the same limit from inside, before the threads exist.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

__all__ = ["ARENAS", "limit_malloc_arenas"]

ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's arenas unless ``MALLOC_ARENA_MAX`` already says; False off glibc."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    mallopt = getattr(libc, "mallopt", None)
    return mallopt is not None and bool(mallopt(_M_ARENA_MAX, arenas))
