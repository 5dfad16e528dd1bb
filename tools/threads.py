"""One BLAS thread for the catalog-sized products of a ranking or a chat turn.

Every product there is a catalog's vectors times one or a few vectors: memory-bound work
that a second thread does not speed up, while handing it over and the helper threads
spinning afterwards cost more than the product on a small machine busy with anything
else (the embedding model, another request). It also keeps the numbers the same
whatever the process's own setting: on some CPUs OpenBLAS sums a matrix product in
another order when it splits the work over threads.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import Any

from threadpoolctl import ThreadpoolController, threadpool_limits


class _OneBlasThread:
    """``with one_blas_thread:`` runs a block on one BLAS thread, then puts back what it
    was. Nested and concurrent blocks share one setting, restored by the last to leave."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._controller: ThreadpoolController | None = None
        self._modules = 0
        self._limit: Any = None
        self._inside = 0

    def __enter__(self) -> None:
        with self._lock:
            if self._inside == 0:
                # Found on first use, and again after more modules were imported: one may
                # have loaded another BLAS (scipy.linalg brings its own OpenBLAS), which
                # the libraries found before would leave unlimited.
                if self._controller is None or len(sys.modules) != self._modules:
                    self._controller = ThreadpoolController()
                    self._modules = len(sys.modules)
                self._limit = self._controller.limit(limits=1, user_api="blas")
            self._inside += 1

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        with self._lock:
            self._inside -= 1
            if self._inside == 0 and self._limit is not None:
                self._limit.restore_original_limits()
                self._limit = None


one_blas_thread = _OneBlasThread()


def keep_one_blas_thread() -> None:
    """Run BLAS on one thread for the rest of this process: for a server, from the thread
    that starts its app.

    threadpoolctl lets only one live thread change OpenBLAS's setting: in a server's pool
    of request threads, ``one_blas_thread`` changes nothing on all but the first of them,
    so rankings there ran on two BLAS threads, whose helper then spun between requests
    and took the CPU they needed. A server's worker processes are how it uses more cores.
    """
    threadpool_limits(limits=1, user_api="blas")
