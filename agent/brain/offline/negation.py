"""Read what a shopper does not want: "nothing with hearts", "no candles please".

A cue ("not", "without", "already has") opens a scope; the content words after it, up
to a break ("but", a comma, "something else"), are the exclusions. Cues that open no
scope ("not sure", "no thanks") and price talk ("not too expensive", which money
reads) give nothing.
"""

from __future__ import annotations

import re

from agent.brain.offline.lexicon import alternation, default_lexicon

__all__ = ["parse_exclusions"]

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


def _scope(text: str, position: int) -> list[str]:
    neg = default_lexicon().negation
    while True:
        filler = _PATTERNS["filler"].match(text, position)
        if not filler:
            break
        position = filler.end()
    words: list[str] = []
    for token in _PATTERNS["token"].finditer(text, position):
        if token.start() != position:
            break
        position = token.end()
        word = (token.group("word") or "").lower()
        if not word or word in neg.breakers or word in neg.price_words:
            break
        if _PATTERNS["cue"].match(text, token.start("word")):
            break  # the next cue opens its own scope
        if word in neg.joiners or word in neg.skip_words:
            continue
        words.append(word)
        if len(words) == _MOST_WORDS_PER_CUE:
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
    # One apostrophe for the other keeps every offset, and the cues need only one form.
    text = text.replace("’", "'")
    found: list[str] = []
    for cue in _PATTERNS["cue"].finditer(text):
        if not _opens_scope(text, cue.end()):
            continue
        for word in _scope(text, cue.end()):
            if word not in found:
                found.append(word)
    return found
