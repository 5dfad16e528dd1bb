"""A console client that answers from fixed data, for snapshots and unit tests of the app
alone; the console's behaviour against the real server is tested in test_console_live."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from tui.client import ConsoleError
from tui.models import (
    AuditRecord,
    Escalation,
    EscalationDetail,
    Fact,
    Factor,
    HeldEvent,
    Item,
    Profile,
    QueueEntry,
    Shopper,
    ShopperMatch,
    ShownSuggestions,
    Suggestion,
    Turn,
)

NOW = datetime(2011, 12, 10, 12, 0)


def escalation(shopper: str, cause: str, minutes: int, status: str = "waiting") -> Escalation:
    return Escalation(
        escalation_id=f"e-{shopper}",
        conversation_id=f"c-{shopper}",
        shopper_id=shopper,
        cause=cause,
        detail={
            "requested": "the shopper asked for a person",
            "frustration": "the shopper was frustrated",
            "sensitive": "sensitive topic: returns",
            "no_good_answer": "the agent found nothing that fits the request",
        }[cause],
        at=NOW - timedelta(minutes=minutes),
        status=status,
        staff="Priya" if status == "with_staff" else None,
    )


QUEUE = [
    QueueEntry(escalation=escalation("16915", "requested", 42), waiting_seconds=42 * 60, turns=4),
    QueueEntry(
        escalation=escalation("17611", "frustration", 18, "with_staff"),
        waiting_seconds=18 * 60,
        turns=7,
    ),
    QueueEntry(escalation=escalation("17850", "sensitive", 3), waiting_seconds=180, turns=2),
    QueueEntry(escalation=escalation("18102", "no_good_answer", 1), waiting_seconds=61, turns=2),
]

TRANSCRIPT = [
    Turn(role="shopper", text="a gift for my sister under £10", at=NOW - timedelta(minutes=46)),
    Turn(
        role="agent",
        text="Here are three ideas for your sister, all under £10.",
        at=NOW - timedelta(minutes=46),
    ),
    Turn(
        role="shopper",
        text="none of these, I want to talk to someone",
        at=NOW - timedelta(minutes=42),
    ),
    Turn(
        role="agent",
        text="I've asked a member of the team to join. I can keep helping until they do.",
        at=NOW - timedelta(minutes=42),
    ),
]


def suggestion(item_id: str, title: str, price: float, reason: str, **factors: float) -> Suggestion:
    return Suggestion(
        item=Item(item_id=item_id, title=title, price=price),
        score=sum(factors.values()),
        factors=[Factor(name=name, contribution=value) for name, value in factors.items()],
        reason=reason,
    )


SHOWN = [
    ShownSuggestions(
        at=NOW - timedelta(minutes=46),
        suggestions=[
            suggestion(
                "22423",
                "Regency Cakestand 3 Tier",
                9.95,
                "Because you said she loves baking, and it's popular right now.",
                stated=0.61,
                popularity=0.42,
            ),
            suggestion(
                "85123A",
                "White Hanging Heart T-Light Holder",
                2.95,
                "Shoppers with similar taste chose it often.",
                community=0.55,
                request=0.2,
            ),
        ],
    )
]


def fact(fact_id: str, text: str, source: str, confidence: float, days: int) -> Fact:
    at = NOW - timedelta(days=days)
    return Fact(
        fact_id=fact_id,
        text=text,
        source=source,
        confidence=confidence,
        created_at=at,
        reinforced_at=at,
        status="active",
    )


PROFILE = Profile(
    shopper=Shopper(shopper_id="16915", country="United Kingdom"),
    facts=[
        fact("f-1", "buys gifts for their sister", "stated", 0.9, 2),
        fact("f-2", "not into candles", "stated", 0.9, 30),
        fact("f-3", "likes kitchenware", "inferred", 0.55, 90),
    ],
    held=[
        HeldEvent(question_id="q-1", item_title="Feltcraft Princess Charlotte Doll", status="asked")
    ],
    event_count=148,
)

AUDIT = [
    AuditRecord(at=NOW - timedelta(days=30), actor="shopper", action="fact.add", target="f-2"),
    AuditRecord(
        at=NOW - timedelta(minutes=5),
        actor="staff:Priya",
        action="fact.forgotten",
        target="f-9",
        detail={"why": "the doll was a gift"},
    ),
]


class FakeStaffApi:
    """Answers from the data above; ``calls`` records what the app asked for."""

    url = "http://tactful.test"

    def __init__(self, queue_failures: list[ConsoleError] | None = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.queue_failures = list(queue_failures or [])
        self.stop = asyncio.Event()

    async def queue_events(self) -> AsyncIterator[list[QueueEntry]]:
        if self.queue_failures:
            raise self.queue_failures.pop(0)
        yield QUEUE
        await self.stop.wait()

    async def escalation(self, escalation_id: str) -> EscalationDetail:
        self.calls.append(("escalation", escalation_id))
        found = next(e.escalation for e in QUEUE if e.escalation.escalation_id == escalation_id)
        return EscalationDetail(
            escalation=found,
            transcript=TRANSCRIPT,
            now=NOW,
            waiting_seconds=(NOW - found.at).total_seconds(),
            suggestions=SHOWN,
        )

    async def profile(self, shopper_id: str) -> Profile:
        return PROFILE.model_copy(update={"shopper": Shopper(shopper_id=shopper_id)})

    async def audit(self, shopper_id: str) -> list[AuditRecord]:
        return AUDIT

    async def claim(self, escalation_id: str) -> Escalation:
        self.calls.append(("claim", escalation_id))
        return QUEUE[0].escalation

    async def reply(self, escalation_id: str, text: str) -> Turn:
        self.calls.append(("reply", text))
        return Turn(role="staff", text=text, at=NOW, staff="Priya")

    async def hand_back(self, escalation_id: str) -> Escalation:
        self.calls.append(("hand_back", escalation_id))
        return QUEUE[0].escalation

    async def resolve(self, escalation_id: str, note: str | None) -> Escalation:
        self.calls.append(("resolve", note))
        return QUEUE[0].escalation

    async def retract_fact(self, shopper_id: str, fact_id: str, reason: str) -> None:
        self.calls.append(("retract", (fact_id, reason)))

    async def correct_fact(self, shopper_id: str, fact_id: str, text: str, reason: str) -> None:
        self.calls.append(("correct", (fact_id, text, reason)))

    async def find_shoppers(self, query: str) -> list[ShopperMatch]:
        return [ShopperMatch(shopper_id="16915", open_escalations=[QUEUE[0].escalation], now=NOW)]

    async def aclose(self) -> None:
        self.stop.set()
