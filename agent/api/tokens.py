"""Shopper tokens: a shopper id and an expiry, signed with HMAC-SHA256.

``tfs1.<base64url(shopper id)>.<expiry, unix seconds>.<hex HMAC-SHA256>``, where the
HMAC is over ``"<shopper id>.<expiry>"`` with the server's signing secret. The shop's
backend gets one from ``POST /v1/tokens``, or makes it itself with the same secret
(as Chatbase's identity verification does), without a round trip:

    sig = hmac.new(secret, f"{shopper_id}.{expires}".encode(), hashlib.sha256).hexdigest()
    token = f"tfs1.{urlsafe_b64encode(shopper_id.encode()).decode().rstrip('=')}.{expires}.{sig}"

The expiry is the last field and digits only, so a shopper id with dots in it cannot be
read two ways.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from agent.settings import Settings
from tools.types import valid_identifier

PREFIX = "tfs1."
SECRET_FILE = "api-secret"


class BadToken(ValueError):
    """Not a shopper token this server signed (or it was tampered with)."""


class ExpiredToken(ValueError):
    """A genuine shopper token whose time is up."""


@dataclass(frozen=True)
class ShopperToken:
    shopper_id: str
    expires: int

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires, UTC)


class TokenSigner:
    """Makes and checks shopper tokens with one secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _signature(self, shopper_id: str, expires: int) -> str:
        message = f"{shopper_id}.{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def issue(self, shopper_id: str, expires: int) -> str:
        encoded = base64.urlsafe_b64encode(shopper_id.encode("utf-8")).decode().rstrip("=")
        return f"{PREFIX}{encoded}.{expires}.{self._signature(shopper_id, expires)}"

    def verify(self, token: str, now: float) -> ShopperToken:
        """The token's shopper, or :class:`BadToken` / :class:`ExpiredToken`."""
        if not token.startswith(PREFIX):
            raise BadToken("not a shopper token")
        parts = token[len(PREFIX) :].split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            raise BadToken("malformed shopper token")
        encoded, expiry, signature = parts
        try:
            shopper_id = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise BadToken("malformed shopper token") from None
        expires = int(expiry)
        # The signature is checked before anything else is believed, the expiry included.
        if not hmac.compare_digest(signature, self._signature(shopper_id, expires)):
            raise BadToken("bad signature")
        if not valid_identifier(shopper_id):
            raise BadToken("bad shopper id")
        if expires <= now:
            raise ExpiredToken("expired")
        return ShopperToken(shopper_id=shopper_id, expires=expires)


def signing_secret(settings: Settings) -> bytes:
    """The configured secret, or one made once and kept (owner-only) in the data folder,
    so tokens outlive a restart of a single server."""
    configured = settings.api.signing_secret
    if configured is not None:
        return configured.get_secret_value().encode("utf-8")
    path = settings.home / SECRET_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    settings.home.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another server process made it first: use theirs
        return Path(path).read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret)
    return secret
