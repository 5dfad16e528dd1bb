""" "What do you know about me?" — one honest answer, for the chat and ``tactful profile``.

It lists everything held, never "nothing" when anything is: stated and staff facts with
their source and date, the strongest items of the shopper's own history with how old
they are (or that it has faded), events held behind a question, what was bought for
others, the personalization switch, the mode and any hand-over, each with a line on
how it is used.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime

import prompts
from agent import wording
from agent.domain import (
    BehaviourEvent,
    BehaviourSignal,
    EscalationStatus,
    EventKind,
    FactStatus,
    Profile,
    QuestionStatus,
)
from tools.catalog_index import CatalogIndex
from tools.taste import TasteSignal

#: How many history items to name.
SHOWN_SIGNALS = 5
#: Which of several things done with one item says most ("bought" over "viewed").
_KIND_STRENGTH = [
    EventKind.PURCHASE,
    EventKind.RATING,
    EventKind.LIKE,
    EventKind.CART,
    EventKind.VIEW,
]
#: How many history items a profile keeps.
MAX_SIGNALS = 20

#: How a held event is listed, by where its question stands.
HELD_LINES = {
    QuestionStatus.DECLINED: "profile/held_declined_line",
    QuestionStatus.UNASKED: "profile/held_unasked_line",
}


def behaviour_signals(
    events: Sequence[BehaviourEvent],
    taste: TasteSignal,
    catalog: CatalogIndex,
    held_event_ids: Collection[str],
) -> list[BehaviourSignal]:
    """The shopper's own items, strongest in today's taste first, then the most recent.

    Events bought for someone else and events held behind a question are left out:
    they are listed on their own, because they do not (yet) speak for the shopper.
    """
    by_item: dict[str, list[BehaviourEvent]] = {}
    for event in events:
        if event.recipient or event.event_id in held_event_ids:
            continue
        if event.kind in _KIND_STRENGTH:
            by_item.setdefault(event.item_id, []).append(event)
    signals: list[BehaviourSignal] = []
    for item_id, item_events in by_item.items():
        kind = min((e.kind for e in item_events), key=_KIND_STRENGTH.index)
        of_kind = [e for e in item_events if e.kind is kind]
        row = catalog.row(item_id)
        signals.append(
            BehaviourSignal(
                item_id=item_id,
                title=catalog.items[row].title if row is not None else item_id,
                kind=kind,
                last_at=max(e.at for e in of_kind),
                events=len(of_kind),
                weight=taste.item_weights.get(row, 0.0) if row is not None else 0.0,
            )
        )
    signals.sort(key=lambda s: (-s.weight, -s.last_at.timestamp()))
    return signals[:MAX_SIGNALS]


def what_i_know(profile: Profile, now: datetime, *, with_ids: bool = False) -> list[str]:
    """The answer as lines of plain text; ``with_ids`` adds fact ids (for the CLI's forget)."""
    facts = [f for f in profile.facts if f.status is FactStatus.ACTIVE]
    retracted = len(profile.facts) - len(facts)
    forgotten = (
        [prompts.render("profile/retracted", count=wording.count(retracted, "facts"))]
        if retracted
        else []
    )
    open_handovers = [e for e in profile.escalations if e.status.open]
    if not (facts or profile.event_count or profile.held or open_handovers):
        # With nothing held the switch only matters when it is off.
        switch = [] if profile.shopper.personalized else [_switch(profile)]
        empty = prompts.render("profile/empty")
        return [empty, *forgotten, *switch, prompts.render("profile/controls")]

    lines: list[str] = []
    if facts:
        lines.append(prompts.render("profile/facts"))
        for fact in facts:
            line = prompts.render(
                "profile/fact",
                text=fact.text,
                source=prompts.render(f"profile/source_{fact.source.value}"),
                date=wording.day(fact.created_at),
            )
            lines.append(f"{line} [{fact.fact_id}]" if with_ids else line)
    lines.extend(forgotten)
    lines.extend(_history(profile, now))
    if profile.held:
        lines.append(prompts.render("profile/held"))
        for question in profile.held:
            lines.append(
                prompts.render(
                    HELD_LINES.get(question.status, "profile/held_line"),
                    item=question.item_title,
                    age=wording.age(question.created_at, now),
                    question=question.text,
                )
            )
    if profile.for_others:
        lines.append(
            prompts.render("profile/for_others", count=wording.count(profile.for_others, "events"))
        )
    for escalation in open_handovers:
        state = (
            prompts.render("profile/handover_with_staff", staff=escalation.staff or "someone")
            if escalation.status is EscalationStatus.WITH_STAFF
            else prompts.render("profile/handover_waiting")
        )
        lines.append(
            prompts.render("profile/handover", age=wording.age(escalation.at, now), state=state)
        )
    if profile.mode is not None:
        lines.append(prompts.render("profile/mode", mode=profile.mode.value))
    lines.append(_switch(profile))
    lines.append(prompts.render("profile/controls"))
    return lines


def _history(profile: Profile, now: datetime) -> list[str]:
    if not profile.event_count or profile.last_event_at is None:
        return []
    kinds = Counter(profile.events_by_kind)
    counted = wording.counts(dict(kinds.most_common()))
    live = [s for s in profile.signals if s.weight > 0]
    if not live:
        # A dismissal is no taste, and it has not faded because the taste has: "not for
        # me" said just now still holds.
        dismissed = kinds.pop(EventKind.DISMISS.value, 0)
        lines = []
        faded = wording.counts(dict(kinds.most_common()))
        if kinds and dismissed:
            # The latest event may be a dismissal: how old the faded ones are is not known.
            lines.append(prompts.render("profile/history_faded_undated", counts=faded))
        elif kinds:
            age = wording.age(profile.last_event_at, now)
            lines.append(prompts.render("profile/history_faded", counts=faded, age=age))
        if dismissed:
            turned_down = wording.count(dismissed, "suggestion")
            them = "it" if dismissed == 1 else "them"
            lines.append(prompts.render("profile/dismissed", count=turned_down, them=them))
        return lines
    first = profile.first_event_at or profile.last_event_at
    lines = [
        prompts.render(
            "profile/history",
            counts=counted,
            span=wording.span(first, profile.last_event_at),
        )
    ]
    for signal in live[:SHOWN_SIGNALS]:
        lines.append(
            prompts.render(
                "profile/signal",
                title=signal.title,
                what=wording.did(signal.kind.value, signal.events),
                age=f"last {wording.age(signal.last_at, now)}",
            )
        )
    return lines


def _switch(profile: Profile) -> str:
    on = profile.shopper.personalized
    return prompts.render("profile/personalization_on" if on else "profile/personalization_off")
