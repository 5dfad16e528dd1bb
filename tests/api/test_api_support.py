"""The staff side of a hand-over over HTTP: claim, speak in the shopper's conversation,
correct the profile with a reason, hand back, resolve; each recorded with who, when,
what and why, in the audit trail staff read and in the shopper's own export."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api


def open_hand_over(api: Api, shopper_id: str) -> tuple[str, str]:
    me = api.as_shopper(shopper_id)
    conversation = api.client.post("/v1/chat", json={"message": "hello"}, headers=me).json()
    opened = api.client.post(
        "/v1/shoppers/me/escalations",
        json={"conversation_id": conversation["conversation_id"]},
        headers=me,
    )
    assert opened.status_code == 201, opened.text
    return opened.json()["escalation_id"], conversation["conversation_id"]


def trail(api: Api, shopper_id: str) -> list[dict[str, Any]]:
    response = api.client.get(f"/v1/shoppers/{shopper_id}/audit", headers=api.as_staff())
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def test_staff_reply_reaches_the_shoppers_conversation_while_the_agent_stays_quiet(
    api: Api, demo_shopper: str
) -> None:
    escalation_id, conversation_id = open_hand_over(api, demo_shopper)
    staff = api.as_staff()
    early = api.client.post(
        f"/v1/escalations/{escalation_id}/messages", json={"text": "hi"}, headers=staff
    )
    assert early.status_code == 400  # nobody may speak for the team before claiming it
    api.client.post(f"/v1/escalations/{escalation_id}/claim", headers=staff)

    posted = api.client.post(
        f"/v1/escalations/{escalation_id}/messages",
        json={"text": "Hello, Priya here. Which order is it?"},
        headers=staff,
    )

    assert posted.status_code == 201, posted.text
    assert posted.json()["staff"] == "Priya"
    me = api.as_shopper(demo_shopper)
    reply = api.client.post(
        "/v1/chat",
        json={"message": "candles please", "conversation_id": conversation_id},
        headers=me,
    ).json()
    assert reply["suggestions"] == []  # the agent does not answer while a person holds it
    assert "Priya" in reply["text"]
    detail = api.client.get(f"/v1/escalations/{escalation_id}", headers=staff).json()
    said = [(t["role"], t["text"], t["staff"]) for t in detail["transcript"]]
    assert ("staff", "Hello, Priya here. Which order is it?", "Priya") in said
    assert said[-2][:2] == ("shopper", "candles please")


def test_staff_must_say_why_they_change_a_fact_and_the_reason_is_audited(
    api: Api, demo_shopper: str
) -> None:
    fact = api.tactful.remember(demo_shopper, "loves candles")
    staff = api.as_staff()
    path = f"/v1/shoppers/{demo_shopper}/facts/{fact.fact_id}"

    unexplained = api.client.delete(path, headers=staff)
    assert unexplained.status_code == 400
    assert "reason" in unexplained.json()["error"]["message"]
    assert api.tactful.profile(demo_shopper).facts[-1].status.value == "active"

    retracted = api.client.delete(
        path, params={"reason": "bought them for a friend"}, headers=staff
    )

    assert retracted.status_code == 200, retracted.text
    assert retracted.json()["status"] == "retracted"
    row = [r for r in trail(api, demo_shopper) if r["target"] == fact.fact_id][-1]
    assert row["actor"] == "staff:Priya"
    assert row["action"] == "fact.forgotten"
    assert row["detail"]["why"] == "bought them for a friend"


def test_a_staff_correction_is_a_staff_fact_with_the_reason_in_the_trail(
    api: Api, demo_shopper: str
) -> None:
    fact = api.tactful.remember(demo_shopper, "buys for a niece, 8")
    corrected = api.client.put(
        f"/v1/shoppers/{demo_shopper}/facts/{fact.fact_id}",
        json={"text": "buys for a niece, 9", "reason": "she had a birthday"},
        headers=api.as_staff(),
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["source"] == "staff"
    added = [r for r in trail(api, demo_shopper) if r["target"] == corrected.json()["fact_id"]]
    assert added[0]["detail"]["why"] == "she had a birthday"
    # The shopper's own corrections need no reason.
    mine = api.client.put(
        f"/v1/shoppers/me/facts/{corrected.json()['fact_id']}",
        json={"text": "buys for a niece, ten"},
        headers=api.as_shopper(demo_shopper),
    )
    assert mine.status_code == 200, mine.text


def test_every_staff_move_is_in_the_trail_and_in_the_shoppers_export(
    api: Api, demo_shopper: str
) -> None:
    escalation_id, _ = open_hand_over(api, demo_shopper)
    staff = api.as_staff()
    api.client.post(f"/v1/escalations/{escalation_id}/claim", headers=staff)
    api.client.post(
        f"/v1/escalations/{escalation_id}/messages", json={"text": "On it."}, headers=staff
    )
    resolved = api.client.post(
        f"/v1/escalations/{escalation_id}/resolve",
        json={"note": "refund arranged"},
        headers=staff,
    )
    assert resolved.json()["status"] == "resolved"

    moves = [
        (r["actor"], r["action"], r["detail"].get("why"))
        for r in trail(api, demo_shopper)
        if r["target"] == escalation_id
    ]
    assert moves == [
        ("staff:Priya", "handover.claim", None),
        ("staff:Priya", "handover.reply", None),
        ("staff:Priya", "handover.resolve", "refund arranged"),
    ]
    exported = api.client.get("/v1/shoppers/me/export", headers=api.as_shopper(demo_shopper)).json()
    assert [a["action"] for a in exported["audit"] if a["target"] == escalation_id] == [
        "handover.claim",
        "handover.reply",
        "handover.resolve",
    ]
    assert all("On it." not in str(a) for a in exported["audit"])  # words stay in the chat


def test_the_hand_over_lists_the_suggestions_shown_with_their_reasons(
    api: Api, demo_shopper: str
) -> None:
    me = api.as_shopper(demo_shopper)
    shown = api.client.post("/v1/chat", json={"message": "candles please"}, headers=me).json()
    assert shown["suggestions"]
    opened = api.client.post(
        "/v1/shoppers/me/escalations",
        json={"conversation_id": shown["conversation_id"]},
        headers=me,
    ).json()

    detail = api.client.get(
        f"/v1/escalations/{opened['escalation_id']}", headers=api.as_staff()
    ).json()

    latest = detail["suggestions"][0]["suggestions"]
    assert [s["item"]["item_id"] for s in latest] == [
        s["item"]["item_id"] for s in shown["suggestions"]
    ]
    assert latest[0]["reason"] == shown["suggestions"][0]["reason"]
    assert {f["name"] for f in latest[0]["factors"]}


def test_staff_look_a_shopper_up_by_the_start_of_their_id(api: Api, demo_shopper: str) -> None:
    escalation_id, _ = open_hand_over(api, demo_shopper)
    found = api.client.get(
        "/v1/shoppers", params={"q": demo_shopper[:4]}, headers=api.as_staff()
    ).json()
    match = next(m for m in found if m["shopper_id"] == demo_shopper)
    assert [e["escalation_id"] for e in match["open_escalations"]] == [escalation_id]
    assert all(m["shopper_id"].startswith(demo_shopper[:4]) for m in found)
    nobody = api.client.get("/v1/shoppers", params={"q": "%"}, headers=api.as_staff())
    assert nobody.json() == []  # a wildcard is just a character
