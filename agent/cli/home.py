"""Where the data lives: ``--home``, the settings, and opening tactful on them.

The stores can fail under a command that was right (a full disk, a locked or damaged
database); that becomes one line naming the problem, not a traceback.
"""

from __future__ import annotations

import errno
import os
import resource
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from agent.cli.logs import logging_to
from agent.cli.render import err
from agent.errors import InvalidInput, StoreUnavailable
from agent.facade import Tactful
from agent.ingest.readers import explain_validation_error
from agent.settings import Settings
from agent.stores.vectors import index_failure

if TYPE_CHECKING:
    from rich.progress import Progress

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="Data folder (default: $TACTFUL_HOME or ~/.tactful)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (see README).")]

# A write that fails for lack of room; EFBIG is what a file size limit gives.
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_LOW_SPACE_BYTES = 64 << 20


def settings_for(home: Path | None) -> Settings:
    """The settings from ``TACTFUL_*``, with ``--home`` over ``TACTFUL_HOME``."""
    try:
        return Settings(home=home) if home is not None else Settings()
    except ValidationError as exc:
        raise InvalidInput(
            f"Bad setting ({explain_validation_error(exc)}); check the TACTFUL_* variables."
        ) from None


@contextmanager
def open_tactful(settings: Settings) -> Iterator[Tactful]:
    """Tactful on ``settings`` for the length of a ``with`` block; a store failure inside
    the block becomes :class:`StoreUnavailable`."""
    _make_home(settings.home)
    with _store_errors(settings.home), logging_to(settings.home):
        with err.status("Loading tactful…"):
            tactful = Tactful.open(settings)
        with tactful:
            yield tactful


@contextmanager
def guarded(settings: Settings) -> Iterator[None]:
    """For a command that opens the stores itself: the data folder made, the log kept
    there, and a store failure inside the block turned into one line, as in
    :func:`open_tactful`."""
    _make_home(settings.home)
    with _store_errors(settings.home), logging_to(settings.home):
        yield


def check_stores(settings: Settings) -> None:
    """Open the stores the settings name and close them again, translating a failure as
    :func:`open_tactful` does; also brings an old data folder up to date, once, before
    several processes open it at the same time."""
    from agent.stores.migration import copy_catalog, migrate
    from agent.stores.records import RecordStore
    from agent.stores.sql.items import ItemStore
    from agent.stores.vectors import ChromaVectorStore, make_chroma_client

    _make_home(settings.home)
    with _store_errors(settings.home), RecordStore(settings.sql_url) as records:
        vectors = ChromaVectorStore(make_chroma_client(settings))
        try:
            migrate(records, vectors)
            copy_catalog(ItemStore(records.engine), vectors)
        finally:
            vectors.close()


@contextmanager
def _store_errors(home: Path) -> Iterator[None]:
    """A store failure (or a full disk) inside the block becomes :class:`StoreUnavailable`."""
    try:
        yield
    except _store_errors_known() as exc:
        raise _store_failure(exc, home) from None
    except OSError as exc:
        if exc.errno not in _NO_ROOM:
            raise
        raise _store_failure(exc, home) from None
    except BaseException as exc:
        # A panic in Chroma's Rust core is no Exception: anything else goes on as it was.
        damaged = index_failure(exc)
        if damaged is None:
            raise
        raise damaged from None


def _store_errors_known() -> tuple[type[Exception], ...]:
    """What a failing store raises. Chroma's errors only once chromadb is loaded: a
    command that never reached Chroma cannot have met one, and need not import it."""
    chroma = sys.modules.get("chromadb.errors")
    return (SQLAlchemyError, sqlite3.Error, *([chroma.ChromaError] if chroma else []))


def progress() -> Progress:
    """Progress bars on stderr, so stdout stays the command's answer (imported here:
    most commands show none)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


def _make_home(home: Path) -> None:
    try:
        home.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InvalidInput(
            f"The data folder {home} is a file; point TACTFUL_HOME or --home at a folder."
        ) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = getattr(exc, "strerror", None) or exc
        raise InvalidInput(f"Cannot make the data folder {home} ({reason}).") from None
    if not os.access(home, os.W_OK):
        # Every command writes there (the database's log, tactful.log), reads included;
        # SQLite would only say it is "unable to open database file".
        raise StoreUnavailable(
            f"The data folder {home} is read-only; tactful needs to write there. Make it "
            "writable, or point TACTFUL_HOME or --home at a folder that is."
        )


def _store_failure(exc: Exception, home: Path) -> StoreUnavailable:
    low = _low_space(home)
    damaged = index_failure(exc)  # the index is damaged: `tactful reindex` repairs it
    if damaged is not None:
        # A disk that filled up is what damaged it, and a rebuild needs room: say so first.
        return StoreUnavailable(f"{low[0].upper()}{low[1:]}. {damaged.message}") if low else damaged
    cause = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's error
    reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0][:300]
    if isinstance(cause, sqlite3.OperationalError) and "locked" in reason:
        # Another process held the write lock past SQLite's busy timeout: nothing is
        # wrong, and the same command succeeds once that process is done.
        return StoreUnavailable(
            f"The data folder {home} is busy: another tactful process is writing to it "
            f"({reason}). Try again in a moment; what was stored before this is kept."
        )
    room = f"; {low}" if low else _file_size_limit()
    return StoreUnavailable(
        f"Storing or reading data failed ({reason}){room}. What was stored before this is "
        "kept; run the command again once the problem is fixed."
    )


def _low_space(home: Path) -> str:
    """How little room is left on the disk holding ``home``, when that is little; else
    an empty string."""
    try:
        free = shutil.disk_usage(home).free
    except OSError:
        return ""
    if free >= _LOW_SPACE_BYTES:
        return ""
    return f"the disk holding {home} has only {free / 1e6:.1f} MB free"


def _file_size_limit() -> str:
    """Where a file size limit is set, what it is: SQLite reports the EFBIG of a write
    past it only as a "disk I/O error"."""
    limit, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    if limit == resource.RLIM_INFINITY:
        return ""
    return f"; a file size limit of {limit / 1e6:.1f} MB applies to this process (ulimit -f)"
