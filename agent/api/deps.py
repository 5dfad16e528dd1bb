"""Dependencies a route asks for: the agent, and who is calling with what rights.

Three kinds of caller send ``Authorization: Bearer <secret>``:

- the shop's backend, with a ``shop`` key: acts for any shopper it names;
- support staff, with a ``staff`` key: reads profiles, handles hand-overs;
- a shopper, with a shopper token (:mod:`agent.api.tokens`): acts for the shopper in the
  token and nobody else; a shopper id sent alongside must be theirs (or ``me``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request

from agent.api.errors import Forbidden, NotAuthenticated, RateLimited, TokenExpired
from agent.api.state import AgentGate, ApiState
from agent.api.tokens import PREFIX, BadToken, ExpiredToken
from agent.errors import InvalidInput
from agent.stores.keys import KeyKind

#: The path segment a shopper token uses for its own shopper: ``/v1/shoppers/me/profile``.
ME = "me"


class CallerKind(StrEnum):
    SHOP = "shop"
    STAFF = "staff"
    SHOPPER = "shopper"


@dataclass(frozen=True)
class Caller:
    """Who sent the request: ``name`` is the key's name or the shopper id."""

    kind: CallerKind
    name: str
    shopper_id: str | None = None

    @property
    def actor(self) -> str:
        """How the audit trail names them."""
        return "shopper" if self.kind is CallerKind.SHOPPER else f"{self.kind.value}:{self.name}"

    def shopper(self, requested: str | None) -> str:
        """The shopper this request acts for: a token's own, always; a key's, as named."""
        if self.kind is CallerKind.SHOPPER:
            assert self.shopper_id is not None
            if requested not in (None, ME, self.shopper_id):
                raise Forbidden("A shopper token acts only for its own shopper.")
            return self.shopper_id
        if requested in (None, "", ME):
            raise InvalidInput("Name the shopper: a key acts for whichever shopper_id it sends.")
        return requested


# Dependencies that do no I/O are ``async``: FastAPI runs a plain ``def`` one in the thread
# pool, a hop per request that costs more than the dependency itself.
async def api_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


StateDep = Annotated[ApiState, Depends(api_state)]


async def agent_gate(state: StateDep) -> AgentGate:
    return state.agent


AgentDep = Annotated[AgentGate, Depends(agent_gate)]


def current_caller(request: Request, state: StateDep) -> Caller:
    """Authenticate the bearer secret, then spend one request of its rate."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise NotAuthenticated("Send 'Authorization: Bearer <key or shopper token>'.")
    caller = _identify(state, secret)
    wait = state.limiter.take(f"{caller.kind.value}:{caller.name}")
    if wait is not None:
        raise RateLimited(f"Too many requests; try again in {wait} s.", retry_after=wait)
    return caller


def _identify(state: ApiState, secret: str) -> Caller:
    if secret.startswith(PREFIX):
        try:
            token = state.signer.verify(secret, time.time())
        except ExpiredToken:
            raise TokenExpired("The shopper token has expired; get a new one.") from None
        except BadToken:
            raise NotAuthenticated("The shopper token is not valid.") from None
        return Caller(CallerKind.SHOPPER, token.shopper_id, token.shopper_id)
    key = state.keys.find(secret)
    if key is None:
        raise NotAuthenticated("Unknown or revoked API key.")
    kind = CallerKind.SHOP if key.kind is KeyKind.SHOP else CallerKind.STAFF
    return Caller(kind, key.name)


def allow(*kinds: CallerKind) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency admitting only callers of ``kinds``."""
    names = " or ".join(k.value for k in kinds)

    async def check(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if caller.kind not in kinds:
            raise Forbidden(f"This needs a {names} credential, not a {caller.kind.value} one.")
        return caller

    return check


#: Acts for a shopper: the shop's backend, or the shopper themselves.
ShopperSide = Annotated[Caller, Depends(allow(CallerKind.SHOP, CallerKind.SHOPPER))]
#: Reads about a shopper: the two above, and support staff.
AnyCaller = Annotated[Caller, Depends(allow(CallerKind.SHOP, CallerKind.SHOPPER, CallerKind.STAFF))]
#: Changes a shopper's facts: the shopper, the shop, and staff (audited as staff).
StaffUser = Annotated[Caller, Depends(allow(CallerKind.SHOP, CallerKind.STAFF))]
ShopOnly = Annotated[Caller, Depends(allow(CallerKind.SHOP))]
