"""Curated lists, experiments, exposures and the readout over HTTP."""

from __future__ import annotations

from tests.api.conftest import OTHER_SHOPPER, Api


def items(api: Api, n: int) -> list[str]:
    return [item.item_id for item in api.tactful.index.catalog.items[200 : 200 + n]]


def test_staff_make_a_list_and_run_an_experiment_that_serves_it(
    api: Api, demo_shopper: str
) -> None:
    ids = items(api, 6)
    body = {
        "name": "Winter warmers",
        "items": [{"item_id": ids[0], "note": "staff favourite"}]
        + [{"item_id": i} for i in ids[1:]],
    }
    made = api.client.post("/v1/curated-lists", json=body, headers=api.as_staff())
    assert made.status_code == 201, made.text
    assert made.json()["list_id"] == "winter-warmers"
    assert (
        api.client.post("/v1/curated-lists", json=body, headers=api.as_staff()).status_code == 409
    )
    experiment = {"key": "winter", "weights": {"ai": 0, "curated": 1}, "start": True}
    started = api.client.post("/v1/experiments", json=experiment, headers=api.as_staff())
    assert started.status_code == 201 and started.json()["status"] == "running"

    answer = api.client.post(
        "/v1/recommendations", json={"k": 3}, headers=api.as_shopper(demo_shopper)
    ).json()
    assert [s["item"]["item_id"] for s in answer["suggestions"]] == ids[:3]
    assert (
        answer["suggestions"][0]["reason"]
        == "Because a person on our team chose it: staff favourite."
    )
    exposure = answer["exposure_id"]
    assert exposure
    other = api.client.post(
        f"/v1/exposures/{exposure}/shown", headers=api.as_shopper(OTHER_SHOPPER)
    )
    assert other.status_code == 400
    seen = api.client.post(f"/v1/exposures/{exposure}/shown", headers=api.as_shopper(demo_shopper))
    assert seen.status_code == 204

    report = api.client.get("/v1/experiments/winter/report", headers=api.as_staff()).json()
    assert report["shoppers"] == {"ai": 0, "curated": 1}
    assert report["verdict"].startswith("Not enough data yet")
    png = api.client.get("/v1/experiments/winter/report.png", headers=api.as_staff())
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"


def test_a_chat_reply_carries_the_exposure_to_confirm(api: Api, demo_shopper: str) -> None:
    api.client.post("/v1/experiments", json={"key": "chat", "start": True}, headers=api.as_staff())
    reply = api.client.post(
        "/v1/chat", json={"message": "show me something nice"}, headers=api.as_shopper(demo_shopper)
    ).json()
    assert reply["suggestions"] and reply["exposure_id"]


def test_shoppers_cannot_touch_lists_or_experiments(api: Api, demo_shopper: str) -> None:
    shopper = api.as_shopper(demo_shopper)
    assert api.client.get("/v1/curated-lists", headers=shopper).status_code == 403
    assert api.client.post("/v1/experiments", json={"key": "x"}, headers=shopper).status_code == 403


def test_bad_lists_and_experiments_get_clear_errors(api: Api) -> None:
    staff = api.as_staff()
    unknown = api.client.post(
        "/v1/curated-lists", json={"name": "x", "items": [{"item_id": "nope"}]}, headers=staff
    )
    assert unknown.status_code == 404 and "nope" in unknown.json()["error"]["message"]
    empty = api.client.post("/v1/curated-lists", json={"name": "x", "items": []}, headers=staff)
    assert empty.status_code == 422
    bad_key = api.client.post("/v1/experiments", json={"key": "Bad Key"}, headers=staff)
    assert bad_key.status_code == 422
    assert api.client.get("/v1/experiments/none/report", headers=staff).status_code == 404
    assert api.client.delete("/v1/curated-lists/none", headers=staff).status_code == 404
