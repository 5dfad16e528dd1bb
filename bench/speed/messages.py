"""A realistic chat-turn mix: requests with budgets, gifts, "why?", corrections, feedback.

Each conversation follows the arc of a real session with the widget: ask for something
(often with a budget), ask why the first or second suggestion, correct an assumption,
switch to a gift for someone, react to what is shown, state a budget. Words are drawn
per conversation, so nearly every request is new text and pays for a real query
embedding, as a live shop's traffic would. Only one piece of negative feedback per
conversation, and always about one suggestion: a bare "not for me" applies to every
suggestion shown, which records one negative per item and trips the frustration rule
at once (reported as a product issue), turning later turns into cheap "a person will
reply" answers that would flatter the latencies.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: Nouns that name products in Online Retail and in the synthetic vocabulary alike.
NOUNS = (
    "mug",
    "candle",
    "bag",
    "cushion",
    "clock",
    "sign",
    "notebook",
    "frame",
    "lantern",
    "tin",
    "doormat",
    "teapot",
    "necklace",
    "bunting",
    "apron",
    "umbrella",
    "jar",
    "bowl",
    "box",
    "basket",
    "bottle",
    "plate",
    "cake stand",
    "coaster",
    "tea towel",
    "purse",
    "mirror",
    "wreath",
    "ornament",
    "lunch box",
    "pencil case",
)
STYLES = [
    "vintage",
    "retro",
    "spotty",
    "floral",
    "heart",
    "owl",
    "glitter",
    "christmas",
    "rustic",
    "paisley",
]
COLOURS = ["red", "pink", "blue", "green", "white", "black", "gold", "silver"]
RECIPIENTS = [
    "niece",
    "nephew",
    "dad",
    "mum",
    "sister",
    "brother",
    "friend",
    "grandma",
    "colleague",
]
CHILDREN = ["niece", "nephew", "son", "daughter", "grandson", "granddaughter"]
BUDGETS = (3, 5, 8, 10, 15, 20, 25, 30, 40)

OPENERS = (
    "I'm looking for a {noun} under £{budget}",
    "show me {colour} {nouns}",
    "any {style} {noun} for the kitchen?",
    "something nice for the living room under £{budget}",
    "do you have a {colour} {noun} between £{low} and £{budget}?",
    "{nouns} please",
)
WHYS = ("why the first one?", "why the second one?", "why did you suggest the first one?")
CORRECTIONS = (
    "I'm not into {nouns}",
    "I don't like {style} things",
    "I love {style} stuff",
    "that's wrong, I don't like {colour}",
)
GIFTS = (
    "a gift for my {recipient} under £{budget}",
    "something for my {recipient}, they like {nouns}",
    "birthday present for my {recipient}",
    "a present for my {age} year old {child}",
)
FEEDBACK = (
    "the second one is not for me",
    "👍",
    "thumbs down on the second one",
    "I like the first one",
    "the third one is great",
)
STATED_BUDGETS = ("my budget is around £{budget}", "I usually spend about £{budget}")


@dataclass(frozen=True)
class Turn:
    """One shopper message and the family it belongs to (for per-family latencies)."""

    family: str
    text: str


def plural(noun: str) -> str:
    """English plural, enough for the nouns above ("boxes", "lanterns")."""
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


def conversation(rng: random.Random) -> list[Turn]:
    """Six turns of one session, with words and amounts drawn from ``rng``."""
    noun, other = rng.sample(NOUNS, 2)
    budget = rng.choice(BUDGETS)
    words = {
        "noun": noun,
        "nouns": plural(noun),
        "style": rng.choice(STYLES),
        "colour": rng.choice(COLOURS),
        "recipient": rng.choice(RECIPIENTS),
        "budget": budget,
        "low": max(1, budget // 3),
        "child": rng.choice(CHILDREN),
        "age": rng.randint(3, 12),
    }
    second = {**words, "noun": other, "nouns": plural(other), "budget": rng.choice(BUDGETS)}
    return [
        Turn("request", rng.choice(OPENERS).format(**words)),
        Turn("why", rng.choice(WHYS)),
        Turn("correction", rng.choice(CORRECTIONS).format(**second)),
        Turn("gift", rng.choice(GIFTS).format(**second)),
        Turn("feedback", rng.choice(FEEDBACK)),
        Turn("budget", rng.choice(STATED_BUDGETS).format(**second)),
    ]
