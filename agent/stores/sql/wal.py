"""SQLite's write-ahead log moved into the database file off the request path.

By default SQLite copies its log into the database file (a checkpoint) inside whichever
commit takes the log past 1,000 pages, and that commit waits for the copy and a sync:
60–75 ms in one chat turn out of every few hundred on the Online Retail data. Automatic
checkpoints are switched off instead (see ``_make_engine``), and a daemon thread runs a
PASSIVE checkpoint every few seconds on a connection of its own. A PASSIVE checkpoint
never waits for readers or writers, and Python's sqlite3 releases the interpreter while
SQLite works, so turns go on meanwhile. Whatever is left when the last connection
closes, SQLite checkpoints itself.
"""

from __future__ import annotations

import logging
import threading
import weakref

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

#: Seconds between checkpoints: the log stays small, and one checkpoint copies little.
CHECKPOINT_EVERY = 5.0

log = logging.getLogger(__name__)


class WalCheckpoints:
    """A daemon thread checkpointing one engine's database every ``every`` seconds until
    :meth:`stop`, or until the engine is gone (the thread holds it weakly)."""

    def __init__(self, engine: Engine, every: float | None = None) -> None:
        self._stopped = threading.Event()
        threading.Thread(
            target=_checkpoints,
            args=(weakref.ref(engine), every or CHECKPOINT_EVERY, self._stopped),
            name="tactful-wal-checkpoints",
            daemon=True,
        ).start()

    def stop(self) -> None:
        self._stopped.set()


def _checkpoints(engine_ref: weakref.ref[Engine], every: float, stopped: threading.Event) -> None:
    while not stopped.wait(every):
        engine = engine_ref()
        if engine is None:
            return
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except SQLAlchemyError as exc:
            # A missed checkpoint only leaves the log longer until the next one.
            log.debug("WAL checkpoint skipped: %s", exc)
        del engine
