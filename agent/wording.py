"""Counting and ages in words: "179 purchases", "1 stated preference", "9 days ago".

Sentences live in ``prompts/``; these are the small pieces of grammar that fill them
(plurals depend on the number, so they cannot be fixed template text).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import overload

#: Singular and plural of each countable thing a shopper may have stored.
NOUNS: dict[str, tuple[str, str]] = {
    "conversations": ("conversation", "conversations"),
    "messages": ("message", "messages"),
    "turns": ("message", "messages"),
    "facts": ("stated preference", "stated preferences"),
    "stated_preferences": ("stated preference", "stated preferences"),
    "preferences": ("preference", "preferences"),
    "purchase": ("purchase", "purchases"),
    "view": ("product view", "product views"),
    "cart": ("basket addition", "basket additions"),
    "rating": ("rating", "ratings"),
    "like": ("like", "likes"),
    "dismiss": ("dismissed suggestion", "dismissed suggestions"),
    "return": ("return", "returns"),
    "own": ("item you said you have", "items you said you have"),
    "events": ("event", "events"),
    "questions": ("question", "questions"),
    "feedback": ("piece of feedback", "pieces of feedback"),
    "satisfaction": ("satisfaction rating", "satisfaction ratings"),
    "escalations": ("request for a person", "requests for a person"),
    "exports": ("data export", "data exports"),
    "exposures": ("list shown in an experiment", "lists shown in an experiment"),
    "assignments": ("experiment you were part of", "experiments you were part of"),
}

#: What the shopper did, by event kind, for "bought 3 times, last 9 days ago".
VERBS: dict[str, str] = {
    "purchase": "bought",
    "view": "viewed",
    "cart": "added to your basket",
    "rating": "rated",
    "like": "liked",
    "dismiss": "dismissed",
    "return": "returned",
    "own": "said you have",
}


def count(n: int, what: str) -> str:
    """``count(1, "purchase")`` → "1 purchase"; unknown kinds use their own name."""
    singular, plural = NOUNS.get(what, (what.replace("_", " "), what.replace("_", " ")))
    return f"{n:,} {singular if n == 1 else plural}"


def counts(values: Mapping[str, int]) -> str:
    """Non-zero counts joined in order: "3 conversations, 1 stated preference and 179 purchases"."""
    parts = [count(n, what) for what, n in values.items() if n]
    if len(parts) <= 1:
        return "".join(parts) or "nothing"
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def titles(names: list[str], total: int) -> str:
    """Item titles in a sentence: "Tea Towel Owl and Tea Towel Hen"; "A, B, C and
    others" when there are ``total`` in all, more than those named."""
    if total > len(names):
        return ", ".join(names) + " and others"
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n:,} times")


def did(kind: str, n: int) -> str:
    """ "bought twice", "viewed once"."""
    return f"{VERBS.get(kind, kind)} {times(n)}"


def age(then: datetime, now: datetime) -> str:
    """How long ago, roughly: "just now", "3 hours ago", "9 days ago", "14 years ago"."""
    delta = now - then
    if delta < timedelta(minutes=1):
        return "just now"
    for unit, size in (
        ("year", timedelta(days=365)),
        ("month", timedelta(days=30)),
        ("week", timedelta(days=7)),
        ("day", timedelta(days=1)),
        ("hour", timedelta(hours=1)),
        ("minute", timedelta(minutes=1)),
    ):
        if delta >= size:
            n = int(delta / size)
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    return "just now"


def span(first: datetime, last: datetime) -> str:
    """ "Dec 2010 – Dec 2011", or one month when both fall in it."""
    start, end = f"{first:%b %Y}", f"{last:%b %Y}"
    return start if start == end else f"{start} – {end}"


def day(value: datetime) -> str:
    return f"{value.day} {value:%b %Y}"


def money(amount: float) -> str:
    """£30, £4.50: whole pounds without pence."""
    return f"£{amount:,.0f}" if amount == int(amount) else f"£{amount:,.2f}"


def person(recipient: str) -> str:
    """A recipient as the conversation keeps it ("nephew, 9") as a reply says it
    ("9-year-old nephew", "6-month-old baby"); one without an age is unchanged."""
    relation, _, years = recipient.partition(",")
    try:
        age = float(years)
    except ValueError:
        return recipient.strip()
    if age < 1:
        return f"{round(age * 12)}-month-old {relation.strip()}"
    return f"{age:g}-year-old {relation.strip()}"


#: Recipients known only by an age band are nobody's in particular: a reply says "a
#: baby", never "your baby", when the shopper asked for "a newborn".
_NOBODYS = {
    **dict.fromkeys(("child", "teenager", "baby", "boy", "girl"), "a"),
    **dict.fromkeys(("teenage boy", "teenage girl", "baby boy", "baby girl"), "a"),
    "children": "the",
    "twins": "the",
}


#: "A 6 year old boy" is kept as "child, 6" and sex "m", and said as it was said.
_BY_SEX = {
    ("child", "m"): "boy",
    ("child", "f"): "girl",
    ("teenager", "m"): "teenage boy",
    ("teenager", "f"): "teenage girl",
    ("baby", "m"): "baby boy",
    ("baby", "f"): "baby girl",
}


@overload
def with_sex(recipient: str, sex: str | None) -> str: ...
@overload
def with_sex(recipient: None, sex: str | None) -> None: ...
def with_sex(recipient: str | None, sex: str | None) -> str | None:
    """``recipient`` as a reply names them when their sex is known: "child, 6" and "m"
    → "boy, 6"; a named relation ("niece, 8") stays as it is."""
    if recipient is None or sex is None:
        return recipient
    relation, comma, age = recipient.partition(",")
    said = _BY_SEX.get((relation.strip(), sex))
    return recipient if said is None else f"{said}{comma}{age}"


def someone(recipient: str) -> str:
    """A recipient as a reply names them, with the right determiner: "your 9-year-old
    nephew", "a baby", "an 8-year-old child", "the children"."""
    said = person(recipient)
    determiner = _NOBODYS.get(recipient.partition(",")[0].strip(), "your")
    if determiner == "a" and re.match(r"(?:8|11|18)\b|8\d\b", said):
        determiner = "an"
    return f"{determiner} {said}"
