"""Handing memory back to the system once a big build has let go of it."""

from __future__ import annotations

import ctypes
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
    trim = _glibc_function("malloc_trim", ctypes.c_size_t)
    if trim is not None:
        trim(0)


@functools.cache
def map_large_blocks_apart() -> None:
    """Have glibc give every block of 1 MiB or more its own mapping, returned on free.

    glibc does so from 128 KiB at first, but raises that bar to the size of each such
    block freed, up to 32 MiB; after a few index rebuilds the large arrays then came
    from the heap, where what was freed lay scattered between live blocks that neither
    reuse nor ``malloc_trim`` could give back. A process rebuilding its shop-wide index
    beside the answers grew by about 7 MB a rebuild that way at the full Online Retail
    shop (230 to 288 MB over eight); with the bar held, it stayed at 230 MB.
    """
    mallopt = _glibc_function("mallopt", ctypes.c_int, ctypes.c_int)
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, 1 << 20)


#: mallopt's parameter number for the mmap threshold, from glibc's malloc.h.
_M_MMAP_THRESHOLD = -3


@functools.cache
def _glibc_function(name: str, *argtypes: type) -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (musl, for one, has neither function)
        return None
    function = getattr(libc, name, None)
    if function is None:
        return None
    function.argtypes = list(argtypes)
    function.restype = ctypes.c_int
    return function
