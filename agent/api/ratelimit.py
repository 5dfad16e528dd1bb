"""A token bucket per caller: in memory for one server process, in the database when
``tactful serve --workers`` runs several.

Requests of one caller land on any worker (each connection on whichever accepted it), so
a limit kept per worker would let a caller through ``workers`` times over, and dividing
it by the workers would hold a single-connection caller to a fraction. The workers
share the database already; each request spends its token there, in one short write.
Separate servers on one database (each started with one worker) still count apart:
a limit across machines belongs in front of them (a gateway).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from agent.stores.sql.base import create_tables

#: The buckets' file in the data folder, when the records are in SQLite there too.
RATE_FILE = "api-rate.db"
#: Every this many requests, rows of buckets that have refilled to the brim are deleted.
_PRUNE_EVERY = 1000


class Limiter(Protocol):
    def take(self, key: str) -> int | None:
        """Spend one request; None when allowed, else the seconds to wait before retrying."""
        ...

    def close(self) -> None: ...


def _refill(tokens: float, last: float, now: float, rate: float, burst: float) -> float:
    return min(burst, tokens + max(0.0, now - last) * rate)


def _wait(tokens: float, rate: float) -> int:
    return max(1, math.ceil((1 - tokens) / rate))


class RateLimiter:
    """``rate`` requests a second sustained, up to ``burst`` at once, per key."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, key: str) -> int | None:
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = _refill(tokens, last, now, self.rate, self.burst)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return None
            self._buckets[key] = (tokens, now)
            return _wait(tokens, self.rate)

    def close(self) -> None:
        pass


limit_metadata = sa.MetaData()

rate_buckets = sa.Table(
    "api_rate_buckets",
    limit_metadata,
    # An HMAC of the caller, never the shopper id itself: erasing a shopper must leave
    # nothing that names them, and a plain hash of an id is reversed by trying ids.
    sa.Column("bucket", sa.String(64), primary_key=True),
    sa.Column("tokens", sa.Float, nullable=False),
    sa.Column("at", sa.Float, nullable=False),  # unix seconds: every worker's clock agrees
)


class SharedRateLimiter:
    """The same buckets as :class:`RateLimiter`, kept in a table every worker reads."""

    def __init__(
        self,
        engine: Engine,
        rate: float,
        burst: int,
        secret: bytes,
        clock: Callable[[], float] = time.time,
        *,
        owns_engine: bool = False,
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._engine = engine
        self._secret = secret
        self._clock = clock
        self._takes = 0
        self._owns_engine = owns_engine
        self._lock = threading.Lock()
        create_tables(limit_metadata, engine)

    @classmethod
    def beside(cls, home: Path, rate: float, burst: int, secret: bytes) -> SharedRateLimiter:
        """Buckets in their own SQLite file in the data folder, written without waiting
        for the disk: they are worth nothing after a crash, and this way a request's
        token costs no fsync and never waits behind the records' writers."""
        engine = sa.create_engine(f"sqlite:///{home / RATE_FILE}", connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.close()

        return cls(engine, rate, burst, secret, owns_engine=True)

    def close(self) -> None:
        if self._owns_engine:
            self._engine.dispose()

    def _bucket(self, key: str) -> str:
        return hmac.new(self._secret, key.encode("utf-8"), hashlib.sha256).hexdigest()

    def take(self, key: str) -> int | None:
        bucket = self._bucket(key)
        # One writer per process: SQLite makes a waiting writer sleep and poll, and a
        # crowd of this process's own threads polling turns a 0.2 ms write into tens of ms.
        with self._lock, self._engine.begin() as conn:
            now = self._clock()
            self._takes += 1
            # Writing first takes SQLite's write lock (PostgreSQL locks the row below),
            # so two workers cannot both read the same last token.
            _insert_missing(conn, bucket, self.burst, now)
            row = conn.execute(
                sa.select(rate_buckets.c.tokens, rate_buckets.c.at)
                .where(rate_buckets.c.bucket == bucket)
                .with_for_update()
            ).one()
            tokens = _refill(row.tokens, row.at, now, self.rate, self.burst)
            allowed = tokens >= 1
            conn.execute(
                sa.update(rate_buckets)
                .where(rate_buckets.c.bucket == bucket)
                .values(tokens=tokens - 1 if allowed else tokens, at=now)
            )
            if self._takes % _PRUNE_EVERY == 0:
                # A bucket refilled to the brim is the same as no row at all.
                full_after = self.burst / self.rate
                conn.execute(sa.delete(rate_buckets).where(rate_buckets.c.at < now - full_after))
        return None if allowed else _wait(tokens, self.rate)


def _insert_missing(conn: Connection, bucket: str, burst: float, now: float) -> None:
    values = {"bucket": bucket, "tokens": burst, "at": now}
    dialect = conn.dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(rate_buckets).values(values).on_conflict_do_nothing())
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(rate_buckets).values(values).on_conflict_do_nothing())
    else:
        exists = conn.execute(
            sa.select(rate_buckets.c.bucket).where(rate_buckets.c.bucket == bucket)
        ).first()
        if exists is None:
            conn.execute(sa.insert(rate_buckets).values(values))
