"""Bad requests get a clear error in the one shape, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.clock import FixedClock
from agent.embedding import Embedder
from agent.settings import ApiConfig
from tests.api.conftest import Api, open_shop, serve


def assert_error(response: object, status: int, code: str) -> dict[str, str]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert "Traceback" not in response.text  # type: ignore[attr-defined]
    return body["error"]  # type: ignore[no-any-return]


def test_an_oversized_body_is_refused_with_413(api: Api, demo_shopper: str) -> None:
    big = {"shopper_id": demo_shopper, "message": "x" * 300_000}
    response = api.client.post("/v1/chat", json=big, headers=api.as_shop())
    assert_error(response, 413, "payload_too_large")


def test_an_oversized_chunked_body_is_refused_with_413(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(30):
            yield b"x" * 10_000

    response = api.client.post(
        "/v1/events",
        content=chunks(),
        headers={**api.as_shop(), "Content-Type": "application/json"},
    )
    assert_error(response, 413, "payload_too_large")


def test_malformed_json_is_a_422_naming_the_body(api: Api) -> None:
    response = api.client.post(
        "/v1/chat",
        content=b'{"message": "hi",',
        headers={**api.as_shop(), "Content-Type": "application/json"},
    )
    assert assert_error(response, 422, "invalid_request")["message"].startswith("body:")


def test_a_missing_or_wrong_field_is_a_422_naming_it(api: Api) -> None:
    missing = api.client.post("/v1/chat", json={"shopper_id": "16915"}, headers=api.as_shop())
    assert "message" in assert_error(missing, 422, "invalid_request")["message"]
    wrong = api.client.post(
        "/v1/events",
        json={"events": [{"event_id": "e", "item_id": "22749", "kind": "stolen"}]},
        headers=api.as_shop(),
    )
    assert "events.0.kind" in assert_error(wrong, 422, "invalid_request")["message"]
    too_many = api.client.post("/v1/recommendations", json={"k": 500}, headers=api.as_shop())
    assert "k:" in assert_error(too_many, 422, "invalid_request")["message"]


def test_a_key_must_name_the_shopper_it_acts_for(api: Api) -> None:
    response = api.client.post("/v1/recommendations", json={"k": 3}, headers=api.as_shop())
    assert_error(response, 400, "invalid_input")


@pytest.mark.parametrize(
    ("method", "path", "body", "code"),
    [
        ("GET", "/v1/shoppers/nobody-here/profile", None, "unknown_shopper"),
        ("DELETE", "/v1/shoppers/16915/facts/f-nope", None, "unknown_fact"),
        ("GET", "/v1/recommendations/NOPE/why?shopper_id=16915", None, "unknown_item"),
        ("GET", "/v1/escalations/e-nope", None, "unknown_escalation"),
        ("POST", "/v1/escalations/e-nope/claim", None, "unknown_escalation"),
        (
            "POST",
            "/v1/shoppers/16915/ratings",
            {"conversation_id": "c-x", "score": 3},
            "unknown_conversation",
        ),
        (
            "POST",
            "/v1/events",
            {
                "events": [
                    {"event_id": "e1", "shopper_id": "16915", "item_id": "NOPE", "kind": "view"}
                ]
            },
            "unknown_item",
        ),
        ("GET", "/v1/nowhere", None, "not_found"),
    ],
)
def test_unknown_ids_are_404(
    api: Api, method: str, path: str, body: dict[str, object] | None, code: str
) -> None:
    response = api.client.request(method, path, json=body, headers=api.as_shop())
    assert_error(response, 404, code)


def test_a_future_event_is_refused(api: Api) -> None:
    event = {"event_id": "e", "shopper_id": "16915", "item_id": "22749", "kind": "view"}
    response = api.client.post(
        "/v1/events",
        json={"events": [{**event, "at": "2999-01-01T00:00:00"}]},
        headers=api.as_shop(),
    )
    assert_error(response, 400, "invalid_input")


@pytest.fixture
def strict_api(demo_home: Path, clock: FixedClock, embedder: Embedder) -> Iterator[Api]:
    config = ApiConfig(rate_per_second=0.01, rate_burst=3, cors_origins=["https://shop.example"])
    yield from serve(open_shop(demo_home, clock, embedder, config), config)


def test_a_caller_over_its_rate_gets_429_with_retry_after(strict_api: Api) -> None:
    staff = strict_api.as_staff()
    answers = [strict_api.client.get("/v1/escalations", headers=staff) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert_error(answers[-1], 429, "rate_limited")
    assert int(answers[-1].headers["retry-after"]) >= 1
    # Each caller has its own bucket.
    assert strict_api.client.get("/v1/escalations", headers=strict_api.as_shop()).status_code == 200


def test_cors_allows_only_the_configured_origins(strict_api: Api) -> None:
    def preflight(origin: str) -> object:
        return strict_api.client.options(
            "/v1/chat",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )

    allowed = preflight("https://shop.example")
    assert allowed.headers.get("access-control-allow-origin") == "https://shop.example"  # type: ignore[attr-defined]
    refused = preflight("https://evil.example")
    assert "access-control-allow-origin" not in refused.headers  # type: ignore[attr-defined]
