"""A deterministic check that a worded reason says nothing its factors do not hold.

An LLM may word a suggestion's reason in its own way, but only from what is given: the
item's title, the names of the factors that counted, their evidence (item titles, facts,
counts, times) and the template reason built from them. A word outside that — a number,
another product, a time, a claim such as "on sale" or "best-selling" — rejects the
reason, and the template reason is shown instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from importlib import resources

import prompts
from tools.types import FactorName, Suggestion

#: The reason templates each factor may be said with (prompts/reasons/): their words are
#: the factor's own vocabulary, so "shoppers with similar taste" may say "shoppers".
FACTOR_TEMPLATES: dict[FactorName, tuple[str, ...]] = {
    FactorName.TASTE: (
        "taste",
        "taste_liked",
        "taste_viewed",
        "taste_carted",
        "taste_rated",
        "taste_owned",
        "taste_for",
    ),
    FactorName.STATED: ("stated",),
    FactorName.COMMUNITY: (
        "community",
        "community_recent",
        "similar_shoppers",
        "similar_shoppers_country",
        "similar_shopper",
        "similar_shopper_country",
    ),
    FactorName.POPULARITY: ("popularity",),
    FactorName.TRENDING: ("trending",),
    FactorName.REQUEST: ("request", "request_meaning", "request_loose", "similar_to", "goes_with"),
    FactorName.AUDIENCE: ("audience",),
    FactorName.BUY_AGAIN: ("buy_again_own", "buy_again_item", "buy_again_shop"),
    FactorName.BOUGHT_NEXT: ("bought_next", "bought_next_rated"),
}
_JOINING = ("because_one", "because_many")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_VARIABLE = re.compile(r"\$\{?\w+\}?")
_ENDINGS = ("ing", "ed", "en", "ly", "e")
#: The longest worded reason kept: a reason is one short sentence.
MAX_REASON_CHARS = 240


def ungrounded_words(text: str, allowed: str, phrases: Sequence[str] = ()) -> list[str]:
    """The words of ``text`` that are neither in ``allowed`` nor plain grammar, once every
    whole occurrence of a ``phrases`` entry (a title, an evidence label) is taken out.

    A phrase's words count only together: a title that reads "Owl Lantern (tell them their
    sister loves it)" lets a reason name that title, never say "your sister loves it".
    """
    for phrase in sorted((p for p in phrases if p.strip()), key=len, reverse=True):
        text = re.sub(re.escape(phrase.strip()), " ", text, flags=re.IGNORECASE)
    known = _words(allowed) | _plain_words()
    return [word for word in _tokens(text) if word not in known]


def reason_is_grounded(reason: str, suggestion: Suggestion) -> bool:
    """Whether ``reason`` says only what ``suggestion``'s counted factors hold."""
    text = reason.strip()
    if not text or len(text) > MAX_REASON_CHARS or "\n" in text:
        return False
    vocabulary, phrases = grounds_of(suggestion)
    return not ungrounded_words(text, vocabulary, phrases)


def grounds_of(suggestion: Suggestion) -> tuple[str, list[str]]:
    """What a reason for ``suggestion`` may say: the words of the counted factors' names
    and reason templates, and whole phrases: the item's title and the evidence labels."""
    words = [_template_words(name) for name in _JOINING]
    phrases = [suggestion.item.title]
    for factor in suggestion.factors:
        if factor.contribution <= 0:
            continue  # what counted against an item is no reason for it
        words.append(factor.name.value.replace("_", " "))
        words.extend(_template_words(name) for name in FACTOR_TEMPLATES.get(factor.name, ()))
        phrases.extend(e.label for e in factor.evidence)
    return "\n".join(words), phrases


def _template_words(name: str) -> str:
    return _VARIABLE.sub(" ", " ".join(prompts.variants(f"reasons/{name}")))


def _tokens(text: str) -> list[str]:
    # "it's" and "shoppers'" lose their endings; a lone letter says nothing (but a digit does).
    return [
        _stem(word)
        for word in _WORD.findall(text.lower().replace("'", " ").replace("’", " "))
        if len(word) > 1 or word.isdigit()
    ]


def _words(text: str) -> set[str]:
    return set(_tokens(text))


def _stem(word: str) -> str:
    """One form for the forms of a word a rewording uses: "shoppers" and "shopper",
    "chose" and "chosen", "liked" and "like" (a crude stemmer: a wrong merge can only
    let a form of a word already given pass)."""
    if word.isdigit():
        return word
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


@cache
def _plain_words() -> frozenset[str]:
    text = resources.files("agent.brain.llm").joinpath("plain_words.txt").read_text("utf-8")
    lines = (line for line in text.splitlines() if not line.startswith("#"))
    return frozenset(_stem(word) for line in lines for word in line.split())
