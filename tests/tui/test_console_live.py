"""The console driven by Pilot against a real ``tactful serve`` on loopback: a shopper's
escalation reaches the queue, staff claim it, reply, retract a wrong fact, hand back and
resolve; and an unreachable server, a refused staff token and a shopper erased while open
each show a clear message without a crash."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from agent.cli.processes import free_port
from tests.tui.conftest import Server
from tui.app import ConsoleApp
from tui.client import StaffClient
from tui.widgets.queue import QueueList
from tui.widgets.transcript import Transcript

pytestmark = pytest.mark.anyio
SIZE = (120, 40)
#: Long enough for the server on a busy machine; each wait ends as soon as it holds.
PATIENCE = 600


async def until(pilot: Pilot[None], holds: Callable[[], bool]) -> None:
    """Let the app run until ``holds()``; fail if it never does."""
    for _ in range(PATIENCE):
        if holds():
            return
        await pilot.pause(0.1)
    raise AssertionError("the console never got there")


def toasts(app: ConsoleApp) -> str:
    return " ".join(str(toast.render()) for toast in app.screen.query("Toast"))


def active_facts(app: ConsoleApp) -> int:
    return sum(f.active for f in app.profile.facts) if app.profile is not None else -1


def transcript_text(app: ConsoleApp) -> str:
    return " ".join(str(s.render()) for s in app.query_one(Transcript).query("Static"))


def escalate(server: Server, shopper: str, message: str = "hello") -> tuple[str, str]:
    reply = server.as_shopper(shopper, "POST", "/v1/chat", json={"message": message})
    opened = server.as_shopper(
        shopper,
        "POST",
        "/v1/shoppers/me/escalations",
        json={"conversation_id": reply["conversation_id"]},
    )
    return opened["escalation_id"], reply["conversation_id"]


def status_of(server: Server, escalation_id: str) -> str:
    detail = server.as_shop("GET", f"/v1/escalations/{escalation_id}").json()
    return str(detail["escalation"]["status"])


async def open_in_console(pilot: Pilot[None], app: ConsoleApp, escalation_id: str) -> None:
    await until(pilot, lambda: escalation_id in [e.escalation.escalation_id for e in app.entries])
    queue = app.query_one(QueueList)
    queue.focus()
    queue.highlighted = next(
        i for i, e in enumerate(app.entries) if e.escalation.escalation_id == escalation_id
    )
    await pilot.press("enter")
    await until(pilot, lambda: app.detail is not None and app.open_id == escalation_id)


def staff_turns(server: Server, shopper: str, conversation_id: str) -> list[tuple[str, str]]:
    """What staff said in the conversation, as the shopper's own export has it."""
    export = server.as_shopper(shopper, "GET", "/v1/shoppers/me/export")
    turns = next(
        c["turns"] for c in export["conversations"] if c["conversation_id"] == conversation_id
    )
    return [(t["text"], t["staff"]) for t in turns if t["role"] == "staff"]


def recommended(server: Server, shopper: str) -> list[str]:
    found = server.as_shopper(shopper, "POST", "/v1/recommendations", json={"k": 5})
    return [s["item"]["item_id"] for s in found["suggestions"]]


async def test_staff_take_a_hand_over_from_queue_to_resolution(server: Server) -> None:
    shopper = "17611"
    client = StaffClient(server.url, server.staff_key)
    app = ConsoleApp(client)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.known is not None)
        # 1. An escalation made through the shopper API appears in the queue, with a notice.
        escalation_id, conversation_id = escalate(server, shopper)
        await until(pilot, lambda: escalation_id in (app.known or set()))
        await until(pilot, lambda: "New escalation" in toasts(app))
        await open_in_console(pilot, app, escalation_id)

        # 2. Staff claim it.
        await pilot.press("c")
        await until(
            pilot, lambda: app.detail is not None and app.detail.escalation.staff is not None
        )
        assert app.detail is not None and app.detail.escalation.staff == "Priya"
        assert status_of(server, escalation_id) == "with_staff"

        # 3. Staff reply; the shopper's side of the API has it.
        await pilot.press("r")
        await pilot.press(*"Hello from Priya")
        await pilot.press("enter")
        await until(pilot, lambda: app.query_one("#reply", Input).value == "")
        assert staff_turns(server, shopper, conversation_id) == [("Hello from Priya", "Priya")]

        # 4. Staff retract a wrong fact, with a reason; the next recommendation changes.
        server.as_shopper(shopper, "POST", "/v1/shoppers/me/facts", json={"text": "loves candles"})
        before = recommended(server, shopper)
        app.load_open()
        await until(pilot, lambda: active_facts(app) > 0)
        await pilot.press("escape")
        await pilot.press("f")
        await until(pilot, lambda: len(app.screen_stack) > 1)
        await pilot.press("enter")  # no new wording: retract
        await pilot.press(*"the candles were a gift")
        await pilot.press("enter")
        await until(pilot, lambda: active_facts(app) == 0)
        assert recommended(server, shopper) != before
        assert any(r.detail.get("why") == "the candles were a gift" for r in app.audit)

        # 5. Staff hand back; the agent answers again.
        await pilot.press("b")
        await until(pilot, lambda: status_of(server, escalation_id) == "handed_back")
        answer = server.as_shopper(
            shopper,
            "POST",
            "/v1/chat",
            json={"message": "candle holders", "conversation_id": conversation_id},
        )
        assert answer["suggestions"] and "Priya" not in answer["text"]

        # 6. A new hand-over in the same conversation; staff resolve it with a note.
        again = server.as_shopper(
            shopper,
            "POST",
            "/v1/shoppers/me/escalations",
            json={"conversation_id": conversation_id},
        )["escalation_id"]
        await open_in_console(pilot, app, again)
        await pilot.press("x")
        await until(pilot, lambda: len(app.screen_stack) > 1)
        await pilot.press(*"sorted by phone")
        await pilot.press("enter")
        await until(pilot, lambda: status_of(server, again) == "resolved")
        await until(pilot, lambda: all(e.escalation.escalation_id != again for e in app.entries))
        trail = server.as_shop("GET", f"/v1/shoppers/{shopper}/audit").json()
        moves = [(r["actor"], r["action"]) for r in trail if r["target"] in (escalation_id, again)]
        assert moves == [
            ("staff:Priya", "handover.claim"),
            ("staff:Priya", "handover.reply"),
            ("staff:Priya", "handover.hand_back"),
            ("staff:Priya", "handover.resolve"),
        ]
    await client.aclose()


async def test_an_unreachable_server_is_a_toast_and_the_console_keeps_trying() -> None:
    client = StaffClient(f"http://127.0.0.1:{free_port()}", "tfk_staff_anything")
    app = ConsoleApp(client)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: "Cannot reach the tactful server" in toasts(app))
        await until(pilot, lambda: "retrying" in app.connection)
        assert app.is_running
        await pilot.press("c")  # an action with nothing open says so, and nothing breaks
        await until(pilot, lambda: "Open a hand-over" in toasts(app))
    await client.aclose()


async def test_a_refused_staff_token_says_to_get_a_new_one(server: Server) -> None:
    secret = server.revoked_staff_key("Sam")
    client = StaffClient(server.url, secret)
    app = ConsoleApp(client)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: "Staff token refused" in toasts(app))
        assert "tactful keys create --kind staff" in toasts(app)
        assert "refused" in app.connection
        assert app.is_running
    await client.aclose()


async def test_a_shopper_erased_while_open_is_said_plainly(server: Server) -> None:
    shopper = "17602"
    client = StaffClient(server.url, server.staff_key)
    app = ConsoleApp(client)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        escalation_id, _ = escalate(server, shopper)
        await open_in_console(pilot, app, escalation_id)
        erased = server.as_shop("DELETE", f"/v1/shoppers/{shopper}")
        assert erased.status_code == 200, erased.text
        await until(pilot, lambda: "has been erased" in transcript_text(app))
        assert app.open_id is None and app.is_running
        await until(pilot, lambda: "has been erased" in toasts(app))
    await client.aclose()


def test_the_shoppers_live_stream_carries_the_hand_over_and_what_staff_say(
    server: Server,
) -> None:
    shopper = "16915"
    escalation_id, conversation_id = escalate(server, shopper)
    token = server.as_shop("POST", "/v1/tokens", json={"shopper_id": shopper}).json()["token"]
    path = f"{server.url}/v1/shoppers/me/conversations/{conversation_id}/live"
    events: list[tuple[str, Any]] = []
    with httpx.stream(
        "GET", path, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as response:
        assert response.status_code == 200
        name = ""
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line[5:])))
                if name == "handover" and events[-1][1]["status"] == "waiting":
                    server.as_shop("POST", f"/v1/escalations/{escalation_id}/claim")
                elif name == "handover" and events[-1][1]["status"] == "with_staff":
                    server.as_shop(
                        "POST",
                        f"/v1/escalations/{escalation_id}/messages",
                        json={"text": "Hi, I'm here."},
                    )
                elif name == "turn":
                    break
    assert [(n, d["status"]) for n, d in events if n == "handover"] == [
        ("handover", "waiting"),
        ("handover", "with_staff"),
    ]
    assert events[-1][1]["text"] == "Hi, I'm here."
    assert events[-1][1]["staff"] == "test shop"
