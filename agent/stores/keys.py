"""API keys for the shop's backend and its support staff, kept hashed in SQL.

A key is shown once, when it is created; the database holds only the SHA-256 of it, so a
copy of the database grants nothing. The table lives in its own ``MetaData`` on the same
database as the records: keys are credentials, not data about shoppers, so erasure and
export never touch them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import uuid
from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError

from agent.errors import InvalidInput, StoreUnavailable
from agent.stores.sql.base import Commits, create_tables, sqlite_file

#: Every key starts with this, so a leaked one is easy to recognise (and to scan for).
KEY_PREFIX = "tfk_"
MAX_NAME = 100

key_metadata = sa.MetaData()

api_keys = sa.Table(
    "api_keys",
    key_metadata,
    sa.Column("key_id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("name", sa.String(MAX_NAME), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("revoked_at", sa.DateTime, nullable=True),
)


class KeyKind(StrEnum):
    """What a key may do: ``shop`` acts for any shopper and loads the catalog; ``staff``
    reads profiles and handles hand-overs."""

    SHOP = "shop"
    STAFF = "staff"


class ApiKey(BaseModel):
    """A key as listed: never its secret."""

    key_id: str
    kind: KeyKind
    name: str = Field(description="who or what holds it, e.g. 'web backend' or 'Priya'")
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class NewKey(BaseModel):
    """A key just created: ``secret`` is the bearer token, shown this once."""

    key: ApiKey
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class KeyStore:
    """Create, find, list and revoke API keys in the database at ``url``.

    Every API request finds its key. In a SQLite file a key found is kept until anyone,
    in any process, commits to the database (see :class:`Commits`), so a revoked key is
    refused from the next request on while most requests skip the query.
    """

    def __init__(self, url: str) -> None:
        connect_args = {"timeout": 30} if url.startswith("sqlite") else {}
        self.engine = sa.create_engine(url, connect_args=connect_args)
        try:
            create_tables(key_metadata, self.engine)
        except OperationalError as exc:
            self.engine.dispose()
            raise StoreUnavailable(f"Cannot open the key table: {exc.orig}") from exc
        file = sqlite_file(self.engine.url)
        self._commits = Commits(file) if file else None
        #: Keys found by secret digest, valid while the commit count is the one kept.
        self._found: dict[str, ApiKey] = {}
        self._found_at: int | None = None
        self._guard = threading.Lock()

    def close(self) -> None:
        if self._commits is not None:
            with self._guard:
                self._commits.close()
        self.engine.dispose()

    def create(self, kind: KeyKind, name: str | None = None) -> NewKey:
        """A new key of ``kind``; its secret is returned here and never again."""
        label = " ".join((name or "").split()) or f"{kind.value} key"
        if len(label) > MAX_NAME or not label.isprintable():
            raise InvalidInput(f"A key name is visible text of at most {MAX_NAME} characters.")
        key = ApiKey(
            key_id=uuid.uuid4().hex[:12],
            kind=kind,
            name=label,
            created_at=datetime.now(UTC).replace(tzinfo=None),
        )
        secret = f"{KEY_PREFIX}{kind.value}_{secrets.token_urlsafe(32)}"
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(api_keys).values(**key.model_dump(), secret_hash=hash_secret(secret))
            )
        return NewKey(key=key, secret=secret)

    def find(self, secret: str) -> ApiKey | None:
        """The active key whose secret this is, or None."""
        if not secret.startswith(KEY_PREFIX):
            return None
        digest = hash_secret(secret)
        with self._guard:
            commits = self._commits.count() if self._commits is not None else None
            if commits is not None and commits == self._found_at and digest in self._found:
                return self._found[digest]
        query = sa.select(api_keys).where(
            api_keys.c.secret_hash == digest, api_keys.c.revoked_at.is_(None)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        # The lookup is by an index; compare again in constant time all the same.
        if row is None or not hmac.compare_digest(row.secret_hash, digest):
            return None
        key = _key(row)
        if commits is not None:
            # Counted before the read: a revocation committed during it is seen next time.
            with self._guard:
                if self._found_at != commits:
                    self._found, self._found_at = {}, commits
                self._found[digest] = key
        return key

    def list(self) -> list[ApiKey]:
        """Every key, revoked ones too, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(api_keys).order_by(api_keys.c.created_at)).all()
        return [_key(row) for row in rows]

    def revoke(self, key_id: str) -> ApiKey:
        """Stop a key working from its next request on."""
        now = datetime.now(UTC).replace(tzinfo=None)
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(api_keys)
                .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            row = conn.execute(sa.select(api_keys).where(api_keys.c.key_id == key_id)).first()
        if row is None:
            raise InvalidInput(f"No key with id {key_id!r}; `tactful keys list` shows them.")
        return _key(row)


def _key(row: sa.Row[object]) -> ApiKey:
    return ApiKey(
        key_id=row.key_id,
        kind=KeyKind(row.kind),
        name=row.name,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
