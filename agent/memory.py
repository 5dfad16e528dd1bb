"""Handing memory back to the system once a big build has let go of it."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable


def release_freed_memory() -> None:
    """Return what the C allocator holds free to the system, where that can be asked.

    Building the catalog or the interaction index frees hundreds of megabytes of
    short-lived arrays and objects at 100k items. glibc keeps much of that in its heap
    for reuse, so without this the process stays that large for the rest of its life.
    Elsewhere (another C library, another system) it does nothing.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (musl, for one, has no malloc_trim)
        return None
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim
