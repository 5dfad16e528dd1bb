"""What every SQL table module shares: one ``MetaData``, the column types, time and JSON."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()

ID = sa.String(128)
KIND = sa.String(32)
# Stays under every database's bound-parameter limit (SQLite's used to be 999).
IN_CHUNK = 500


def sqlite_file(url: sa.URL) -> str | None:
    """The file of a SQLite database URL; None for another database or one in memory."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return url.database


class Commits:
    """How many times anyone has committed to one SQLite file, as far as telling that
    it changed goes: ``PRAGMA data_version`` on a connection kept for asking, which
    changes with every commit made through any other connection, in this process or
    another, and costs a few microseconds to read."""

    def __init__(self, file: str) -> None:
        # Asked under its user's lock, from whichever thread asks.
        self._connection = sqlite3.connect(file, check_same_thread=False)

    def count(self) -> int:
        return int(self._connection.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        self._connection.close()


def create_tables(
    tables: sa.MetaData, engine: sa.Engine, only: Sequence[sa.Table] | None = None
) -> None:
    """``create_all`` that survives another process creating the same table meanwhile.

    ``create_all`` checks for a table, then creates it; the workers of one server open the
    same database at once, and the slower of two finds the table already made. A second
    pass checks again and skips it; any other failure repeats there and is raised.
    ``only`` limits it to those tables.
    PostgreSQL says so as a ProgrammingError, or, when both CREATEs reach its catalog at
    once, as an IntegrityError on the table's row type (``pg_type_typname_nsp_index``).
    """
    try:
        tables.create_all(engine, tables=only)
    except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError):
        tables.create_all(engine, tables=only)


def utc(value: datetime) -> datetime:
    """Naive UTC, so values compare equal after an SQL round trip."""
    if value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def dump_json(value: Any) -> str:
    # sort_keys: the same dict always gives the same text; ensure_ascii (the default) keeps
    # the encoding of an id predictable for the LIKE searches of erasure.
    return json.dumps(value, sort_keys=True)
