"""``POST /v1/tokens``: the shop's backend mints a short-lived token for one shopper."""

from __future__ import annotations

import time

from fastapi import APIRouter

from agent.api.deps import AgentDep, ShopOnly, StateDep
from agent.api.schemas import TokenCreate, TokenPublic
from agent.api.state import AgentGate, ApiState
from agent.domain import Shopper

router = APIRouter(prefix="/v1/tokens", tags=["auth"])


@router.post("", status_code=201)
def mint(agent: AgentDep, state: StateDep, _caller: ShopOnly, body: TokenCreate) -> TokenPublic:
    """A token the browser sends instead of the shop's key; it acts for this shopper only.

    The shopper is created if new, so a first visit can read its (empty) profile.
    """
    return issue_token(agent, state, body)


def issue_token(agent: AgentGate, state: ApiState, body: TokenCreate) -> TokenPublic:
    """A signed token for ``body.shopper_id``, who is created if new."""
    longest = state.settings.api.shopper_token_ttl_seconds
    ttl = min(body.ttl_seconds or longest, longest)
    expires = int(time.time()) + ttl
    with agent.use() as tactful:
        now = tactful.clock.now()
        tactful.add_shoppers(
            [Shopper(shopper_id=body.shopper_id, country=body.country, created_at=now)]
        )
    token = state.signer.issue(body.shopper_id, expires)
    verified = state.signer.verify(token, time.time())
    return TokenPublic(token=token, shopper_id=body.shopper_id, expires_at=verified.expires_at)
