"""Where the data lives: ``--home``, the settings, and opening tactful on them.

The stores can fail under a command that was right (a full disk, a locked or damaged
database); that becomes one line naming the problem, not a traceback.
"""

from __future__ import annotations

import errno
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


def check_stores(settings: Settings) -> None:
    """Open the stores the settings name and close them again, translating a failure as
    :func:`open_tactful` does; also brings an old data folder up to date, once, before
    several processes open it at the same time."""
    from agent.stores.migration import migrate
    from agent.stores.records import RecordStore
    from agent.stores.vectors import ChromaVectorStore, make_chroma_client

    _make_home(settings.home)
    with _store_errors(settings.home), RecordStore(settings.sql_url) as records:
        vectors = ChromaVectorStore(make_chroma_client(settings))
        try:
            migrate(records, vectors)
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


def _store_failure(exc: Exception, home: Path) -> StoreUnavailable:
    cause = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's error
    reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0][:300]
    try:
        free = shutil.disk_usage(home).free
    except OSError:
        free = None
    room = (
        f"; the disk holding {home} has only {free / 1e6:.1f} MB free"
        if free is not None and free < _LOW_SPACE_BYTES
        else ""
    )
    return StoreUnavailable(
        f"Storing or reading data failed ({reason}){room}. What was stored before this is "
        "kept; run the command again once the problem is fixed."
    )
