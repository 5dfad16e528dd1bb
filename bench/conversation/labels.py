"""The utterance set's labels, and how ``Understanding`` members read as them."""

from __future__ import annotations

from typing import Any

from agent.brain.intents import (
    Answer,
    Confirm,
    Correction,
    DataRequest,
    Personalization,
    Refine,
    Request,
    Understanding,
)

#: Every label an utterance may carry, in the order the report lists them.
LABELS: tuple[str, ...] = (
    "request",
    "refine",
    "answer_for_me",
    "answer_for_someone",
    "ask_why_asked",
    "decline_answer",
    "like",
    "dislike",
    "budget",
    "why",
    "personalization_off",
    "personalization_on",
    "handoff",
    "sensitive",
    "feedback",
    "owned",
    "mode_switch",
    "forget",
    "data_profile",
    "data_export",
    "data_erase",
    "confirm_yes",
    "confirm_no",
    "call_off",
    "greeting",
    "thanks",
    "goodbye",
    "smalltalk",
    "unclear",
)

#: Labels that put a person on the conversation.
HANDOVER = frozenset({"handoff", "sensitive"})

#: Labels whose slots are scored for exact match.
SEARCHES = frozenset({"request", "refine"})

#: The slots each label's gold line must carry.
REQUIRED_SLOTS: dict[str, frozenset[str]] = {
    "request": frozenset(
        {"query", "budget_min", "budget_max", "recipient", "audience", "exclude", "mode"}
    ),
    "refine": frozenset(
        {"change", "query", "budget_min", "budget_max", "recipient", "audience", "exclude", "mode"}
    ),
    "answer_for_someone": frozenset({"recipient"}),
    "like": frozenset({"subject"}),
    "dislike": frozenset({"subject"}),
    "budget": frozenset({"amount"}),
    "why": frozenset({"position"}),
    "sensitive": frozenset({"topic"}),
    "feedback": frozenset({"value", "position"}),
    "owned": frozenset({"position"}),
    "mode_switch": frozenset({"mode"}),
    "forget": frozenset({"what"}),
}

CHANGES = frozenset(
    {"cheaper", "pricier", "exclude_shown", "more_like", "among_shown", "different"}
)
AUDIENCES = frozenset({"baby", "child", "teen", "adult"})

# The reader keeps the shopper's own word for who it is for; the set names one relation
# per person, so the same person under another word is not counted as a miss.
_RELATION = {
    "mum": "mother",
    "mom": "mother",
    "mummy": "mother",
    "mommy": "mother",
    "dad": "father",
    "daddy": "father",
    "grandma": "grandmother",
    "granny": "grandmother",
    "nana": "grandmother",
    "nan": "grandmother",
    "grandpa": "grandfather",
    "grandad": "grandfather",
    "granddad": "grandfather",
    "sis": "sister",
    "bro": "brother",
    "kids": "child",
    "children": "child",
    "twins": "child",
    "boy": "child",
    "girl": "child",
    "toddler": "child",
    "teen": "teenager",
    "coworker": "colleague",
    "co-worker": "colleague",
    "manager": "boss",
    "neighbor": "neighbour",
    "auntie": "aunt",
    "aunty": "aunt",
    "best friend": "friend",
    "grandkids": "grandchild",
    "grandchildren": "grandchild",
    "grandson": "grandchild",
    "granddaughter": "grandchild",
    "fiancée": "fiance",
    "fiancé": "fiance",
    "flatmate": "roommate",
    "housemate": "roommate",
}


def label_of(reading: Understanding) -> str:
    """The label a reading counts as."""
    match reading:
        case Answer(about_me=about_me):
            return "answer_for_me" if about_me else "answer_for_someone"
        case Correction(polarity=polarity):
            return "like" if polarity == 1 else "dislike"
        case Personalization(on=on):
            return "personalization_on" if on else "personalization_off"
        case DataRequest(action=action):
            return f"data_{action}"
        case Confirm(yes=yes):
            return "confirm_yes" if yes else "confirm_no"
    return reading.kind


def relation_of(recipient: str | None) -> str | None:
    """The relation in a reader's recipient text ("niece, 8" → "niece")."""
    if not recipient:
        return None
    who = recipient.split(",", 1)[0].strip().lower()
    return _RELATION.get(who, who)


def searched_slots(reading: Understanding) -> dict[str, Any]:
    """The scored slots of a search-like reading, in the utterance set's terms."""
    if not isinstance(reading, Request | Refine):
        return {}
    return {
        "change": reading.change if isinstance(reading, Refine) else None,
        "budget_max": reading.budget_max,
        "budget_min": reading.budget_min,
        "recipient.relation": relation_of(reading.recipient),
        "query": reading.query,
    }


def gold_slots(slots: dict[str, Any]) -> dict[str, Any]:
    """The same scored slots from a gold line."""
    recipient = slots.get("recipient")
    return {
        "change": slots.get("change"),
        "budget_max": slots.get("budget_max"),
        "budget_min": slots.get("budget_min"),
        "recipient.relation": recipient.get("relation") if recipient else None,
        "query": slots.get("query", ""),
    }
