"""Read what a shopper does not want: "nothing with hearts", "no candles please".

A cue ("not", "without", "already has") opens a scope; the content words after it, up
to a break ("but", a comma, "something else"), are the exclusions. Cues that open no
scope ("not sure", "no thanks") and price talk ("not too expensive", which money
reads) give nothing.
"""

from __future__ import annotations

import re

from agent.brain.offline.lexicon import alternation, default_lexicon

__all__ = ["cue_spans", "negated_words", "parse_exclusions"]

# Past this many content words a scope is a sentence, not a list of things.
_MOST_WORDS_PER_CUE = 3
_WORD = r"[^\W\d_]+(?:['-][^\W\d_]+)*"


def _compile() -> dict[str, re.Pattern[str]]:
    neg = default_lexicon().negation
    return {
        "cue": re.compile(rf"(?<![\w']){alternation(neg.cues)}(?![\w'])", re.IGNORECASE),
        # A scope is words and the spaces between them; anything else closes it.
        "token": re.compile(rf"\s*(?:(?P<word>{_WORD})|(?P<other>\S))"),
        "filler": re.compile(rf"\s*{alternation(neg.fillers)}(?![\w'])", re.IGNORECASE),
    }


_PATTERNS = _compile()


def _scope(text: str, position: int) -> list[tuple[str, bool]]:
    """The words under the cue at ``position``, each with whether it is ruled out (an
    empty noun or a shape word, "ones", "shaped", is in the scope but rules out nothing)."""
    neg = default_lexicon().negation
    while True:
        filler = _PATTERNS["filler"].match(text, position)
        if not filler:
            break
        position = filler.end()
    words: list[tuple[str, bool]] = []
    for token in _PATTERNS["token"].finditer(text, position):
        if token.start() != position:
            break
        position = token.end()
        word = (token.group("word") or "").lower()
        if not word or word in neg.breakers or word in neg.price_words:
            break
        if _PATTERNS["cue"].match(text, token.start("word")):
            break  # the next cue opens its own scope
        if word in neg.joiners:
            continue
        if word in neg.skip_words:
            words.append((word, False))
            continue
        # "heart-shaped" rules out hearts, as "heart shaped" does.
        head, _, tail = word.rpartition("-")
        if head and tail in neg.skip_words:
            words += [(head, True), (tail, False), (word, False)]
        else:
            words.append((word, True))
        if sum(kept for _, kept in words) == _MOST_WORDS_PER_CUE:
            break
    return words


def _opens_scope(text: str, end: int) -> bool:
    neg = default_lexicon().negation
    following = _PATTERNS["token"].match(text, end)
    if following is None or following.group("word") is None:
        return False
    word = following.group("word").lower()
    return word not in neg.no_scope and word not in neg.price_words


def parse_exclusions(text: str) -> list[str]:
    """The content words ``text`` puts under a negation, lower case, in order, once each.

    "…but nothing with hearts" gives ``["hearts"]``; "she already has loads of dolls,
    something else" ``["dolls"]``; "not sure", "no thanks" and "not too expensive" ``[]``.
    """
    return [word for word, kept in negated_words(text) if kept]


def cue_spans(text: str) -> list[tuple[int, int]]:
    """Where the cues that open a scope are: "steer clear of" in "steer clear of glass"
    is the shopper's way of saying no, not something to look for."""
    text = text.replace("’", "'")
    return [cue.span() for cue in _PATTERNS["cue"].finditer(text) if _opens_scope(text, cue.end())]


def negated_words(text: str) -> list[tuple[str, bool]]:
    """Every word under a negation, once each, with whether it is ruled out: "not heart
    shaped ones" gives ``[("heart", True), ("shaped", False), ("ones", False)]``. None
    of them is something asked for."""
    # One apostrophe for the other keeps every offset, and the cues need only one form.
    text = text.replace("’", "'")
    found: dict[str, bool] = {}
    for cue in _PATTERNS["cue"].finditer(text):
        if not _opens_scope(text, cue.end()):
            continue
        for word, kept in _scope(text, cue.end()):
            found.setdefault(word, kept)
    return list(found.items())
