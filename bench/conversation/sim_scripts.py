"""What the simulated shopper says: a first request and one follow-up, from templates.

A script is written from the category's own keywords and a handful of templates, never
from the titles of the items the customer really bought: those are the answer, and a
message quoting them would test string matching rather than understanding. The one
thing taken from the real purchase is its price, and only to keep a stated budget
honest (a budget below what she bought would make the task impossible, not harder).
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

from tools.types import CatalogItem

#: Keywords per category a shopper may use: the ones naming most catalog items.
VOCABULARY_SIZE = 6
#: Round amounts a shopper states as a budget.
BUDGETS = (5, 10, 15, 20, 25, 30, 50)
TYPO_RATE = 0.15
TWO_KEYWORD_RATE = 0.3
AMERICAN_RATE = 0.3

# Words that read wrongly with a plural "s" ("tinsels", "childrens").
_UNCOUNTABLE = frozenset(
    {"bunting", "confetti", "tinsel", "jewellery", "glitter", "storage", "children", "art", "tea"}
)
# A keyword that is the category's own name ("kitchen", "garden") is not a thing one buys,
# so a shopper says "kitchen things".
_STUFF = ("things", "bits", "stuff", "bits and pieces")
_WORD = re.compile(r"[a-z]+")

#: register → first-turn templates; ``{cat}`` is the keyword phrase.
FIRST: dict[str, tuple[str, ...]] = {
    "terse": (
        "got any {cat}?",
        "{cat}?",
        "{cat} please",
        "show me {cat}",
        "any {cat}",
    ),
    "casual": (
        "hi! looking for some {cat}",
        "do you sell {cat}?",
        "any nice {cat} in at the moment?",
        "looking for some {cat} for the house",
        "what {cat} have you got",
        "i need some new {cat}",
    ),
    "polite": (
        "Could you recommend some {cat}, please?",
        "Hello, I would like to see your {cat}.",
        "I'm after some {cat}, what would you suggest?",
        "Please could you show me a few {cat}?",
    ),
    "trade": (
        "restocking {cat} for my shop, what have you got?",
        "we need {cat} for the store, show me what you have",
        "I run a small gift shop and want some {cat}",
    ),
}
#: Templates that state a budget, used only when the real purchase fits under it. The
#: shopper asks for themselves: the purchase that scores is their own, and saying it is a
#: present for someone else would rightly set their own taste aside.
BUDGETED: tuple[str, ...] = (
    "looking for {cat}, no more than {money}",
    "cheap {cat} under {money}?",
    "any {cat} for less than {money}?",
    "{cat} under {money} please",
)
FOLLOW_UP: tuple[str, ...] = (
    "anything cheaper?",
    "show me more",
    "any others?",
    "more like the first one",
    "got anything else?",
    "what else have you got?",
    "more please",
    "something a bit different?",
    "cheaper ones?",
)
_CURRENCY = {"british": "£", "american": "$"}


@dataclass(frozen=True)
class Script:
    """One simulated shopper's two messages and the bare query they boil down to."""

    shopper_id: str
    category: str
    keywords: tuple[str, ...]
    query: str
    first: str
    follow_up: str
    follow_up_kind: str
    register: str
    dialect: str
    budget: float | None
    typo: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "shopper_id": self.shopper_id,
            "category": self.category,
            "query": self.query,
            "first": self.first,
            "follow_up": self.follow_up,
            "register": self.register,
            "dialect": self.dialect,
            "budget": self.budget,
            "typo": self.typo,
        }


def category_keywords() -> dict[str, list[str]]:
    """Each category's strong keywords, as ``agent/ingest/categories.json`` lists them."""
    text = resources.files("agent.ingest").joinpath("categories.json").read_text("utf-8")
    table = json.loads(text)
    return {
        entry["name"]: [str(k).lower() for k in entry["keywords"]] for entry in table["categories"]
    }


def vocabulary(
    items: Iterable[CatalogItem], keywords: Mapping[str, list[str]], size: int = VOCABULARY_SIZE
) -> dict[str, tuple[str, ...]]:
    """The words a shopper would use for each category: its keywords naming most items.

    Ranking by use across the whole catalog keeps the table's spelling variants of the
    source data ("neckl", "braclet") out of a shopper's mouth without a hand-made list.
    A keyword counts only where it names the thing, not where it describes another
    keyword ("spaceboy lunch box", "tea towel"): nobody asks for "spaceboys".
    """
    every = {k for words in keywords.values() for k in words}
    heads = {word for k in every for word in _forms(k.split()[0])}
    counts: dict[str, Counter[str]] = {name: Counter() for name in keywords}
    patterns = {
        name: [
            (k, re.compile(rf"(?<![\w']){re.escape(k)}(?:s|es)?(?![\w'])(?:\W+(\w+))?"))
            for k in words
            if _usable(k)
        ]
        for name, words in keywords.items()
    }
    for item in items:
        if item.category not in patterns:
            continue
        text = (item.description or item.title).lower()
        for keyword, pattern in patterns[item.category]:
            match = pattern.search(text)
            if match and match.group(1) not in heads:
                counts[item.category][keyword] += 1
    out: dict[str, tuple[str, ...]] = {}
    for name, counter in counts.items():
        ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        words = _without_plural_twins([k for k, _ in ranked])[:size]
        if words:
            out[name] = tuple(words)
    return out


def write_script(
    rng: random.Random,
    shopper_id: str,
    category: str,
    words: tuple[str, ...],
    price: float | None,
) -> Script:
    """A first message and a follow-up asking for ``category`` in one of many voices."""
    dialect = "american" if rng.random() < AMERICAN_RATE else "british"
    count = 2 if len(words) > 1 and rng.random() < TWO_KEYWORD_RATE else 1
    chosen = tuple(rng.sample(words, count))
    phrases = [_phrase(k, category, rng) for k in chosen]
    cat = " or ".join(phrases)
    budget = _budget(rng, price)
    if budget is not None:
        register, template = "budget", rng.choice(BUDGETED)
    else:
        register = rng.choice(sorted(FIRST))
        template = rng.choice(FIRST[register])
    money = f"{_CURRENCY[dialect]}{budget:g}" if budget is not None else ""
    filled = template
    typo = rng.random() < TYPO_RATE
    if typo:
        filled = _typo(filled, rng)
    first = filled.replace("{money}", money).replace("{cat}", cat)
    follow_up_kind = rng.choice(FOLLOW_UP)
    follow_up = _typo(follow_up_kind, rng) if rng.random() < TYPO_RATE else follow_up_kind
    return Script(
        shopper_id=shopper_id,
        category=category,
        keywords=chosen,
        query=" ".join(chosen),
        first=first,
        follow_up=follow_up,
        follow_up_kind=follow_up_kind,
        register=register,
        dialect=dialect,
        budget=float(budget) if budget is not None else None,
        typo=typo,
    )


def _usable(keyword: str) -> bool:
    return bool(re.fullmatch(r"[a-z]+(?: [a-z]+)?", keyword)) and len(keyword) >= 3


def _without_plural_twins(words: list[str]) -> list[str]:
    """Drop "cards" when "card" is there too (or the other way round): one word, one slot."""
    kept: list[str] = []
    seen: set[str] = set()
    for word in words:
        forms = _forms(word)
        if forms & seen:
            continue
        kept.append(word)
        seen |= forms
    return kept


def _forms(word: str) -> set[str]:
    forms = {word, word + "s", word + "es"}
    if word.endswith("s"):
        forms.add(word[:-1])
    if word.endswith("es"):
        forms.add(word[:-2])
    return forms


def _phrase(keyword: str, category: str, rng: random.Random) -> str:
    """How a shopper says a keyword: "candles", "kitchen things", "bunting"."""
    if keyword in set(category.replace("&", " ").split()):
        return f"{keyword} {rng.choice(_STUFF)}"
    if keyword in _UNCOUNTABLE or keyword.endswith("s"):
        return keyword
    if keyword.endswith(("x", "ch", "sh")):
        return keyword + "es"
    if keyword.endswith("y") and keyword[-2:-1] not in set("aeiou"):
        return keyword[:-1] + "ies"
    return keyword + "s"


def _budget(rng: random.Random, price: float | None) -> int | None:
    """Sometimes a budget, and then one the real purchase fits under."""
    if price is None or rng.random() >= 0.25:
        return None
    fitting = [b for b in BUDGETS if b >= price]
    return rng.choice(fitting[:2]) if fitting else None


def _typo(template: str, rng: random.Random) -> str:
    """Swap two letters or drop one in a template word (never in a slot)."""
    spans = list(re.finditer(r"(?<![{\w])[a-z]{4,}(?![}\w])", template))
    if not spans:
        return template
    match = rng.choice(spans)
    word = match.group()
    i = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        broken = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    else:
        broken = word[:i] + word[i + 1 :]
    return template[: match.start()] + broken + template[match.end() :]


def words_of(text: str) -> set[str]:
    """Lower-case alphabetic words of a text."""
    return set(_WORD.findall(text.lower()))
