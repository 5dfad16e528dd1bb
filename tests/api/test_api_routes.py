"""Each route doing its job for the caller it is meant for, on the real demo shop."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from threadpoolctl import threadpool_info, threadpool_limits

from agent.api.app import create_app
from agent.clock import FixedClock
from agent.embedding import Embedder
from agent.settings import ApiConfig, Settings
from tests.api.conftest import OTHER_SHOPPER, Api, open_shop


def test_a_shopper_chats_with_their_token_and_gets_suggestions_with_reasons(
    api: Api, demo_shopper: str
) -> None:
    response = api.client.post(
        "/v1/chat",
        json={"message": "a gift for my sister under £10"},
        headers=api.as_shopper(demo_shopper),
    )
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["conversation_id"]
    assert reply["suggestions"] and all(s["reason"] for s in reply["suggestions"])
    follow = api.client.post(
        "/v1/chat",
        json={"message": "why the first one?", "conversation_id": reply["conversation_id"]},
        headers=api.as_shopper(demo_shopper),
    )
    assert follow.status_code == 200, follow.text
    assert follow.json()["conversation_id"] == reply["conversation_id"]


def test_the_chat_stream_sends_the_text_in_pieces_then_the_whole_reply(
    api: Api, demo_shopper: str
) -> None:
    with api.client.stream(
        "POST",
        "/v1/chat/stream",
        json={"shopper_id": demo_shopper, "message": "candle holders"},
        headers=api.as_shop(),
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = "".join(response.iter_text())
    events = [block.split("\n") for block in body.strip().split("\n\n")]
    names = [lines[0].removeprefix("event: ") for lines in events]
    data = [json.loads(lines[1].removeprefix("data: ")) for lines in events]
    assert names[-1] == "done" and set(names[:-1]) == {"delta"}
    final = data[-1]
    assert "".join(d["text"] for d in data[:-1]) == final["text"]
    assert final["suggestions"] and final["mode"]


def test_recommendations_and_why_agree_on_the_reason(api: Api, demo_shopper: str) -> None:
    response = api.client.post(
        "/v1/recommendations",
        json={"shopper_id": demo_shopper, "k": 3, "mode": "purchase"},
        headers=api.as_shop(),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "purchase" and len(body["suggestions"]) == 3
    first = body["suggestions"][0]
    why = api.client.get(
        f"/v1/recommendations/{first['item']['item_id']}/why",
        params={"mode": "purchase"},
        headers=api.as_shopper(demo_shopper),
    )
    assert why.status_code == 200, why.text
    assert why.json()["reason"] == first["reason"]
    assert why.json()["factors"]


def test_no_answer_names_the_other_shoppers_behind_a_suggestion(
    api: Api, demo_shopper: str
) -> None:
    """Similar shoppers are counted, never named: their ids would tell who bought what."""
    others = {s.shopper_id for s in api.tactful.similar_shoppers(demo_shopper, k=200)}
    shopper = api.as_shopper(demo_shopper)
    listed = api.client.post("/v1/recommendations", json={"k": 10}, headers=shopper).json()
    chat = api.client.post("/v1/chat", json={"message": "candle holders"}, headers=shopper)
    answers = [listed, chat.json()]
    community = [
        (s, f)
        for answer in answers
        for s in answer["suggestions"]
        for f in s["factors"]
        if f["name"] == "community"
    ]
    assert community, "no suggestion drew on similar shoppers"
    item_id = community[0][0]["item"]["item_id"]
    why = api.client.get(f"/v1/recommendations/{item_id}/why", headers=shopper).json()
    answers.append(why)
    assert others and not others & _strings(answers)
    for _, factor in community:
        cited = [e for e in factor["evidence"] if e["kind"] == "shopper"]
        assert len(cited) == 1 and cited[0]["label"] and cited[0]["weight"] > 0


def _strings(value: object) -> set[str]:
    """Every string anywhere in a JSON value."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value))
    return set()


def test_what_goes_with_an_item_by_its_id(api: Api, demo_shopper: str) -> None:
    shopper = api.as_shopper(demo_shopper)
    body = {"k": 5, "goes_with_item_id": "23084"}  # Rabbit Night Light
    response = api.client.post("/v1/recommendations", json=body, headers=shopper)
    assert response.status_code == 200, response.text
    suggestions = response.json()["suggestions"]
    assert suggestions and "23084" not in {s["item"]["item_id"] for s in suggestions}
    for suggestion in suggestions:
        [request] = [f for f in suggestion["factors"] if f["name"] == "request"]
        assert [e["ref"] for e in request["evidence"]] == ["with:23084"]
        assert suggestion["reason"]

    unknown = {"goes_with_item_id": "NO-SUCH-ITEM"}
    missing = api.client.post("/v1/recommendations", json=unknown, headers=shopper)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_item"


def test_new_only_recommendations_leave_out_everything_bought_before(
    api: Api, demo_shopper: str
) -> None:
    bought = {
        p["item_id"]
        for p in api.client.get(
            f"/v1/shoppers/{demo_shopper}/export", headers=api.as_shop()
        ).json()["events"]
        if p["kind"] == "purchase"
    }
    response = api.client.post(
        "/v1/recommendations",
        json={"shopper_id": demo_shopper, "k": 20, "mode": "purchase", "new_only": True},
        headers=api.as_shop(),
    )
    assert response.status_code == 200, response.text
    shown = {s["item"]["item_id"] for s in response.json()["suggestions"]}
    assert bought and shown and not shown & bought


def test_events_are_stored_once_however_often_they_are_sent(
    api: Api, demo_shopper: str, gift_item: str
) -> None:
    batch = {"events": [{"event_id": "web-1", "item_id": gift_item, "kind": "view"}]}
    headers = api.as_shopper(demo_shopper)
    first = api.client.post("/v1/events", json=batch, headers=headers)
    again = api.client.post("/v1/events", json=batch, headers=headers)
    assert first.status_code == 200, first.text
    assert (first.json()["added"], again.json()["duplicates"]) == (1, 1)
    stored = api.tactful.records.get_event("web-1")
    assert stored is not None and stored.shopper_id == demo_shopper


def test_the_shop_adds_items_that_events_can_then_name(api: Api) -> None:
    item = {"item_id": "NEW-1", "title": "Owl lantern", "category": "lighting", "price": 12.5}
    response = api.client.put("/v1/catalog/items", json={"items": [item]}, headers=api.as_shop())
    assert response.status_code == 200, response.text
    assert response.json()["added"] == 1
    unchanged = api.client.post("/v1/catalog/items", json={"items": [item]}, headers=api.as_shop())
    assert unchanged.json()["unchanged"] == 1
    event = {"event_id": "e-new", "shopper_id": "newbie", "item_id": "NEW-1", "kind": "like"}
    stored = api.client.post("/v1/events", json={"events": [event]}, headers=api.as_shop())
    assert stored.status_code == 200 and stored.json()["added"] == 1


def test_a_shopper_reads_corrects_and_forgets_their_facts(api: Api, demo_shopper: str) -> None:
    me = api.as_shopper(demo_shopper)
    added = api.client.post("/v1/shoppers/me/facts", json={"text": "likes owls"}, headers=me).json()
    profile = api.client.get("/v1/shoppers/me/profile", headers=me).json()
    fact = next(f for f in profile["facts"] if f["fact_id"] == added["fact_id"])
    assert fact["source"] == "stated" and "taste" in profile and "held" in profile

    corrected = api.client.put(
        f"/v1/shoppers/me/facts/{added['fact_id']}", json={"text": "likes barn owls"}, headers=me
    )
    assert corrected.status_code == 200 and corrected.json()["text"] == "likes barn owls"
    forgotten = api.client.delete(
        f"/v1/shoppers/{demo_shopper}/facts/{corrected.json()['fact_id']}", headers=me
    )
    assert forgotten.status_code == 200 and forgotten.json()["status"] == "retracted"


def test_staff_corrections_are_recorded_as_staff(api: Api, demo_shopper: str) -> None:
    fact = api.tactful.remember(demo_shopper, "budget around £5")
    response = api.client.put(
        f"/v1/shoppers/{demo_shopper}/facts/{fact.fact_id}",
        json={"text": "budget around £15", "reason": "the shopper said so by phone"},
        headers=api.as_staff(),
    )
    assert response.status_code == 200, response.text
    assert response.json()["source"] == "staff"


def test_personalization_off_then_feedback_and_rating(api: Api, demo_shopper: str) -> None:
    me = api.as_shopper(demo_shopper)
    off = api.client.put(
        "/v1/shoppers/me/personalization", json={"personalized": False}, headers=me
    )
    assert off.json() == {"shopper_id": demo_shopper, "personalized": False}
    assert api.tactful.profile(demo_shopper).shopper.personalized is False

    reply = api.client.post("/v1/chat", json={"message": "candles"}, headers=me).json()
    item_id = reply["suggestions"][0]["item"]["item_id"]
    feedback = api.client.post(
        "/v1/shoppers/me/feedback",
        json={
            "value": "not_for_me",
            "item_id": item_id,
            "conversation_id": reply["conversation_id"],
        },
        headers=me,
    )
    assert feedback.status_code == 201, feedback.text
    assert [f.value for f in api.tactful.records.feedback_for(demo_shopper)] == ["not_for_me"]

    rating = api.client.post(
        "/v1/shoppers/me/ratings",
        json={"conversation_id": reply["conversation_id"], "score": 4},
        headers=me,
    )
    assert rating.status_code == 201 and rating.json()["score"] == 4
    exported = api.client.get("/v1/shoppers/me/export", headers=me)
    assert exported.json()["satisfaction"][0]["score"] == 4


def test_export_downloads_as_a_json_file(api: Api, demo_shopper: str) -> None:
    response = api.client.get(f"/v1/shoppers/{demo_shopper}/export", headers=api.as_shop())
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.json()["shopper"]["shopper_id"] == demo_shopper


def test_erase_removes_the_shopper_and_reports_what_it_was(api: Api, demo_shopper: str) -> None:
    me = api.as_shopper(demo_shopper)
    report = api.client.delete("/v1/shoppers/me", headers=me)
    assert report.status_code == 200, report.text
    assert report.json()["events"]
    assert api.client.get("/v1/shoppers/me/profile", headers=me).status_code == 404
    assert api.tactful.profile(OTHER_SHOPPER).event_count > 0


def test_a_hand_over_goes_from_shopper_to_staff_and_back(api: Api, demo_shopper: str) -> None:
    me = api.as_shopper(demo_shopper)
    conversation = api.client.post("/v1/chat", json={"message": "hello"}, headers=me).json()
    opened = api.client.post(
        "/v1/shoppers/me/escalations",
        json={"conversation_id": conversation["conversation_id"], "reason": "wants a person"},
        headers=me,
    )
    assert opened.status_code == 201, opened.text
    escalation_id = opened.json()["escalation_id"]
    staff = api.as_staff()
    queue = api.client.get("/v1/escalations", headers=staff).json()
    assert [e["escalation_id"] for e in queue] == [escalation_id]
    detail = api.client.get(f"/v1/escalations/{escalation_id}", headers=staff).json()
    assert detail["transcript"][0] == {
        **detail["transcript"][0],
        "role": "shopper",
        "text": "hello",
    }

    claimed = api.client.post(f"/v1/escalations/{escalation_id}/claim", headers=staff).json()
    assert (claimed["status"], claimed["staff"]) == ("with_staff", "Priya")
    back = api.client.post(f"/v1/escalations/{escalation_id}/hand-back", headers=staff)
    assert back.json()["status"] == "handed_back"
    again = api.client.post(f"/v1/escalations/{escalation_id}/resolve", headers=staff)
    assert again.status_code == 400  # a handed-back hand-over is no longer open
    assert api.client.get("/v1/escalations", headers=staff).json() == []


def test_the_shop_mints_a_token_that_acts_for_that_shopper_only(api: Api) -> None:
    minted = api.client.post(
        "/v1/tokens", json={"shopper_id": "visitor-9", "ttl_seconds": 120}, headers=api.as_shop()
    )
    assert minted.status_code == 201, minted.text
    token = minted.json()["token"]
    profile = api.client.get("/v1/shoppers/me/profile", headers=api.auth(token))
    assert profile.status_code == 200 and profile.json()["shopper"]["shopper_id"] == "visitor-9"


def test_health_and_ready_answer_without_credentials_naming_the_worker(api: Api) -> None:
    assert api.client.get("/health").json() == {"status": "ok", "worker": os.getpid()}
    assert api.client.get("/ready").json() == {"status": "ok", "worker": os.getpid()}


def test_the_openapi_schema_documents_every_route_with_request_examples(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    assert {"/v1/chat", "/v1/chat/completions", "/v1/recommendations", "/v1/events"} <= set(
        schema["paths"]
    )
    assert schema["components"]["schemas"]["ChatCreate"]["examples"]


def test_starting_the_app_puts_blas_on_one_thread_whatever_the_process_had(
    demo_home: Path, clock: FixedClock, embedder: Embedder, api_config: ApiConfig
) -> None:
    def blas_threads() -> set[int]:
        return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}

    shop = open_shop(demo_home, clock, embedder, api_config)
    app = create_app(Settings(home=shop.home, api=api_config), shop.tactful)

    async def started() -> set[int]:
        # On this thread, as a server starts its app on its main thread.
        async with app.router.lifespan_context(app):
            return blas_threads()

    # Two threads for this test alone: the limit is put back when it leaves.
    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads() == {2}
        assert asyncio.run(started()) == {1}
    shop.tactful.close()
