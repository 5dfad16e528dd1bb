"""Who may do what: every route tried with no credentials, an expired token, another
shopper's token and a key of the wrong kind; none of it reads or changes anyone's data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from agent.api.deps import CallerKind
from tests.api.conftest import OTHER_SHOPPER, Api

VICTIM = "16915"  # the demo's shopper; the attacker is OTHER_SHOPPER
ITEM = "22749"
SHOP, STAFF, SHOPPER = CallerKind.SHOP, CallerKind.STAFF, CallerKind.SHOPPER


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    allowed: frozenset[CallerKind]
    body: dict[str, Any] | None = None
    params: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _routes() -> Iterator[Route]:
    own = frozenset({SHOP, SHOPPER})
    everyone = frozenset({SHOP, SHOPPER, STAFF})
    team = frozenset({SHOP, STAFF})
    shopper_path = f"/v1/shoppers/{VICTIM}"
    yield Route("POST", "/v1/chat", own, {"shopper_id": VICTIM, "message": "hello"})
    yield Route("POST", "/v1/chat/stream", own, {"shopper_id": VICTIM, "message": "hello"})
    yield Route(
        "POST",
        "/v1/chat/completions",
        own,
        {"messages": [{"role": "user", "content": "hello"}], "user": VICTIM},
    )
    yield Route("POST", "/v1/recommendations", own, {"shopper_id": VICTIM, "k": 3})
    yield Route("GET", f"/v1/recommendations/{ITEM}/why", everyone, params={"shopper_id": VICTIM})
    event = {"event_id": "x-1", "shopper_id": VICTIM, "item_id": ITEM, "kind": "purchase"}
    yield Route("POST", "/v1/events", own, {"events": [event]})
    yield Route("GET", f"{shopper_path}/profile", everyone)
    yield Route("POST", f"{shopper_path}/facts", own, {"text": "likes owls"})
    yield Route("PUT", f"{shopper_path}/facts/f-any", everyone, {"text": "likes owls"})
    yield Route("DELETE", f"{shopper_path}/facts/f-any", everyone)
    yield Route("PUT", f"{shopper_path}/personalization", own, {"personalized": False})
    yield Route("POST", f"{shopper_path}/feedback", own, {"value": "down", "item_id": ITEM})
    yield Route("POST", f"{shopper_path}/ratings", own, {"conversation_id": "c-1", "score": 1})
    yield Route("POST", f"{shopper_path}/escalations", own, {"conversation_id": "c-1"})
    yield Route("GET", f"{shopper_path}/export", own)
    yield Route("GET", f"{shopper_path}/conversations/c-1/live", own)
    yield Route("GET", f"{shopper_path}/audit", team)
    yield Route("GET", "/v1/shoppers", team, params={"q": VICTIM[:3]})
    yield Route("DELETE", shopper_path, own)
    item = {"item_id": "EVIL", "title": "Injected item"}
    yield Route("PUT", "/v1/catalog/items", frozenset({SHOP}), {"items": [item]})
    yield Route("POST", "/v1/tokens", frozenset({SHOP}), {"shopper_id": VICTIM})
    yield Route("GET", "/v1/escalations", team)
    yield Route("GET", "/v1/escalations/watch", team)
    yield Route("GET", "/v1/escalations/e-any", team)
    for move in ("claim", "hand-back", "resolve"):
        yield Route("POST", f"/v1/escalations/e-any/{move}", team)
    yield Route("POST", "/v1/escalations/e-any/messages", team, {"text": "hello"})


ROUTES = list(_routes())


def send(api: Api, route: Route, secret: str | None) -> Any:
    return api.call(route.method, route.path, secret, json=route.body, params=route.params)


def snapshot(api: Api, shopper_id: str) -> dict[str, Any]:
    data = api.tactful.export(shopper_id)
    return {key: value for key, value in data.items() if key != "audit"}


@pytest.fixture(scope="module")
def before(shared_api: Api) -> dict[str, Any]:
    return snapshot(shared_api, VICTIM)


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_route_refuses_a_request_without_credentials(shared_api: Api, route: Route) -> None:
    response = send(shared_api, route, None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_route_refuses_an_unknown_key_and_a_forged_token(
    shared_api: Api, route: Route
) -> None:
    assert send(shared_api, route, "tfk_shop_guessed").status_code == 401
    forged = shared_api.token(VICTIM)[:-4] + "0000"
    assert send(shared_api, route, forged).status_code == 401


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_route_refuses_an_expired_shopper_token(
    shared_api: Api, route: Route, before: dict[str, Any]
) -> None:
    response = send(shared_api, route, shared_api.expired_token(VICTIM))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_another_shoppers_token_cannot_reach_this_shopper(
    shared_api: Api, route: Route, before: dict[str, Any]
) -> None:
    response = send(shared_api, route, shared_api.token(OTHER_SHOPPER))
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "forbidden"
    assert VICTIM not in response.text


@pytest.mark.parametrize("route", [r for r in ROUTES if not {SHOP, STAFF} <= r.allowed], ids=str)
def test_a_key_of_the_wrong_kind_is_refused(shared_api: Api, route: Route) -> None:
    kind_refused = STAFF if STAFF not in route.allowed else SHOP
    secret = shared_api.staff_key if kind_refused is STAFF else shared_api.shop_key
    response = send(shared_api, route, secret)
    assert response.status_code == 403, response.text


def test_none_of_the_refused_requests_changed_the_shoppers_data(
    shared_api: Api, before: dict[str, Any]
) -> None:
    assert snapshot(shared_api, VICTIM) == before
    assert shared_api.tactful.records.get_event("x-1") is None
    assert "EVIL" not in shared_api.tactful.index.catalog


def test_a_shopper_token_ignores_no_shopper_id_it_is_sent(shared_api: Api) -> None:
    # The id in the body must be the token's own; it is never taken from the body.
    token = shared_api.token(OTHER_SHOPPER)
    mine = send(shared_api, Route("POST", "/v1/recommendations", frozenset(), {"k": 2}), token)
    assert mine.status_code == 200 and mine.json()["shopper_id"] == OTHER_SHOPPER
    me = shared_api.call("GET", "/v1/shoppers/me/profile", token)
    assert me.json()["shopper"]["shopper_id"] == OTHER_SHOPPER


def test_a_shopper_cannot_continue_another_shoppers_conversation(shared_api: Api) -> None:
    victim = shared_api.tactful.chat("17602", "hello")  # not VICTIM: their data stays as it was
    response = shared_api.call(
        "POST",
        "/v1/chat",
        shared_api.token(OTHER_SHOPPER),
        json={"message": "what did I say?", "conversation_id": victim.conversation_id},
    )
    assert response.status_code == 404
    assert "hello" not in response.text


def test_a_revoked_key_stops_working(shared_api: Api) -> None:
    new = shared_api.state.keys.create(shared_api.state.keys.list()[0].kind, "temp")
    assert shared_api.call("GET", "/v1/escalations", new.secret).status_code == 200
    shared_api.state.keys.revoke(new.key.key_id)
    assert shared_api.call("GET", "/v1/escalations", new.secret).status_code == 401
