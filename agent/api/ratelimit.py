"""A token bucket per caller: in memory for one server process, in the database when
``tactful serve --workers`` runs several.

Requests of one caller land on any worker (each connection on whichever accepted it), so
a limit kept per worker would let a caller through ``workers`` times over, and dividing
it by the workers would hold a single-connection caller to a fraction. The workers
share the database already, and the bucket lives there. A write per request, though,
cost a busy caller's requests milliseconds each and queued both workers behind one
row's lock, so a worker takes a few tokens at a time (a lease: a quarter of the burst,
divided among the workers, at least one) and spends them locally for up to a second.
A worker never admits a request without a token from the shared bucket, so the limit holds;
tokens another worker holds are not spendable here, so a caller may be refused up to a
lease early. Tokens left when a lease lapses go back to the bucket with the worker's
next request from that caller, or are forfeited if the caller stays away long enough
for the lease to be dropped: the limit errs towards refusing, never towards admitting.
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
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from agent.stores.sql.base import create_tables

#: The buckets' file in the data folder, when the records are in SQLite there too.
RATE_FILE = "api-rate.db"
#: Every this many requests (visits to the shared table), lapsed leases (rows of buckets
#: that have refilled to the brim) are dropped.
_PRUNE_EVERY = 1000
#: A worker's share of a caller's burst that it takes from the shared bucket at once.
LEASE_SHARE = 0.25
#: Seconds a worker may spend a lease for; what is left then goes back to the bucket.
LEASE_SECONDS = 1.0


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
    """The same buckets as :class:`RateLimiter`, kept in a table every worker reads, and
    spent here a lease at a time (see the module's notes)."""

    def __init__(
        self,
        engine: Engine,
        rate: float,
        burst: int,
        secret: bytes,
        clock: Callable[[], float] = time.time,
        *,
        workers: int = 1,
        owns_engine: bool = False,
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.lease = max(1, math.floor(burst * LEASE_SHARE / workers))
        self._engine = engine
        self._secret = secret
        self._clock = clock
        self._takes = 0
        self._draws = 0
        self._owns_engine = owns_engine
        self._lock = threading.Lock()
        self._leases: dict[str, _Lease] = {}
        create_tables(limit_metadata, engine)

    @classmethod
    def beside(
        cls, home: Path, rate: float, burst: int, secret: bytes, *, workers: int
    ) -> SharedRateLimiter:
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

        return cls(engine, rate, burst, secret, workers=workers, owns_engine=True)

    def close(self) -> None:
        if self._owns_engine:
            self._engine.dispose()

    def _bucket(self, key: str) -> str:
        return hmac.new(self._secret, key.encode("utf-8"), hashlib.sha256).hexdigest()

    def take(self, key: str) -> int | None:
        bucket = self._bucket(key)
        # One writer per process: SQLite makes a waiting writer sleep and poll, and a
        # crowd of this process's own threads polling turns a 0.2 ms write into tens of ms.
        with self._lock:
            now = self._clock()
            self._takes += 1
            if self._takes % _PRUNE_EVERY == 0:
                self._leases = {b: h for b, h in self._leases.items() if _live(h, now)}
            held = self._leases.pop(bucket, None)
            if held is not None and _live(held, now):
                if held.tokens > 1:
                    self._leases[bucket] = _Lease(held.tokens - 1, held.at)
                return None
            back = held.tokens if held is not None else 0
            with self._engine.begin() as conn:
                granted, wait = self._draw(conn, bucket, now, back)
            if granted > 1:
                self._leases[bucket] = _Lease(granted - 1, now)
        return wait

    def _draw(self, conn: Connection, bucket: str, now: float, back: int) -> tuple[int, int | None]:
        """Return ``back`` tokens of a lapsed lease and draw a new lease from the shared
        bucket: how many tokens it holds (0 when refused) and, if refused, the wait."""
        self._draws += 1
        # Writing first takes SQLite's write lock (PostgreSQL locks the row below), so two
        # workers cannot both read the same last token.
        _insert_missing(conn, bucket, self.burst, now)
        row = conn.execute(
            sa.select(rate_buckets.c.tokens, rate_buckets.c.at)
            .where(rate_buckets.c.bucket == bucket)
            .with_for_update()
        ).one()
        tokens = min(self.burst, _refill(row.tokens, row.at, now, self.rate, self.burst) + back)
        granted = min(self.lease, math.floor(tokens))
        conn.execute(
            sa.update(rate_buckets)
            .where(rate_buckets.c.bucket == bucket)
            .values(tokens=tokens - granted, at=now)
        )
        if self._draws % _PRUNE_EVERY == 0:
            # A bucket refilled to the brim is the same as no row at all.
            full_after = self.burst / self.rate
            conn.execute(sa.delete(rate_buckets).where(rate_buckets.c.at < now - full_after))
        return granted, None if granted else _wait(tokens, self.rate)


class _Lease(NamedTuple):
    """Tokens a worker drew from a shared bucket and has not spent (at least one), and
    when it drew them."""

    tokens: int
    at: float


def _live(lease: _Lease, now: float) -> bool:
    return now - lease.at < LEASE_SECONDS


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
