"""A console client that answers from fixed data, for snapshots and unit tests of the app
alone; the console's behaviour against the real server is tested in test_console_live."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from tui.client import ConsoleError, Gone, Refused
from tui.models import (
    AuditRecord,
    CuratedItem,
    CuratedList,
    CuratedListDraft,
    Escalation,
    EscalationDetail,
    Experiment,
    ExperimentReport,
    Fact,
    Factor,
    HeldEvent,
    Item,
    ListTarget,
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

LISTS = [
    CuratedList(
        list_id="new-parents",
        name="New parents",
        items=[
            CuratedItem(item_id="22728", note="our bestseller for new parents"),
            CuratedItem(item_id="22727", note="soft enough for a first birthday"),
            CuratedItem(item_id="22726"),
        ],
        target=ListTarget(mode="gift", recipient="baby"),
        created_by="staff:Priya",
        created_at=NOW - timedelta(days=3),
        updated_at=NOW - timedelta(hours=5),
    ),
    CuratedList(
        list_id="christmas-baking",
        name="Christmas baking",
        items=[
            CuratedItem(item_id="22423", note="the cakestand everyone asks for"),
            CuratedItem(item_id="84991"),
        ],
        target=ListTarget(category="kitchen", occasion="christmas"),
        valid_from=datetime(2011, 12, 1),
        valid_until=datetime(2011, 12, 24, 18, 0),
        created_by="staff:Sam",
        created_at=NOW - timedelta(days=9),
        updated_at=NOW - timedelta(days=9),
    ),
]

EXPERIMENT = Experiment(
    key="dec-2011",
    status="running",
    control="ai",
    weights={"ai": 1.0, "curated": 1.0, "hybrid": 1.0},
)

REPORT = ExperimentReport(
    key="dec-2011",
    status="running",
    verdict="Not enough data yet: each arm needs 100 exposed shoppers.",
    shoppers={"ai": 41, "curated": 38, "hybrid": 44},
)

#: The items the fake's catalog has, for lists made through it.
CATALOG = {"22423", "22726", "22727", "22728", "84991", "85123A"}


class FakeStaffApi:
    """Answers from the data above; ``calls`` records what the app asked for."""

    url = "http://tactful.test"

    def __init__(self, queue_failures: list[ConsoleError] | None = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.queue_failures = list(queue_failures or [])
        self.stop = asyncio.Event()
        self.lists = {lst.list_id: lst for lst in LISTS}

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

    async def curated_lists(self) -> list[CuratedList]:
        return list(self.lists.values())

    async def create_list(self, draft: CuratedListDraft) -> CuratedList:
        self.calls.append(("create_list", draft.name))
        list_id = re.sub(r"[^a-z0-9]+", "-", draft.name.lower()).strip("-")
        if list_id in self.lists:
            raise Refused(f"A list with id {list_id!r} exists: give another name, or replace it.")
        return self._store(list_id, draft)

    async def replace_list(self, list_id: str, draft: CuratedListDraft) -> CuratedList:
        self.calls.append(("replace_list", list_id))
        if list_id not in self.lists:
            raise Gone(f"No curated list {list_id!r}.")
        return self._store(list_id, draft)

    def _store(self, list_id: str, draft: CuratedListDraft) -> CuratedList:
        missing = [i.item_id for i in draft.items if i.item_id not in CATALOG]
        if missing:
            raise Gone(f"Not in the catalog: {', '.join(repr(m) for m in missing)}.")
        old = self.lists.get(list_id)
        saved = CuratedList(
            list_id=list_id,
            created_by=old.created_by if old else "staff:Priya",
            created_at=old.created_at if old else NOW,
            updated_at=NOW,
            **draft.model_dump(),
        )
        self.lists[list_id] = saved
        return saved

    async def delete_list(self, list_id: str) -> None:
        self.calls.append(("delete_list", list_id))
        if self.lists.pop(list_id, None) is None:
            raise Gone(f"No curated list {list_id!r}.")

    async def experiments(self) -> list[Experiment]:
        return [EXPERIMENT]

    async def experiment_report(self, key: str) -> ExperimentReport:
        return REPORT

    async def aclose(self) -> None:
        self.stop.set()
