"""Numbers spelled as words ("twenty-five", "a hundred and fifty"), for every parser."""

from __future__ import annotations

import re
from functools import cache

from agent.brain.offline.lexicon import alternation, default_lexicon

__all__ = ["word_number_pattern", "word_number_value"]


@cache
def word_number_pattern() -> str:
    """A regex (no groups) for a number written in words, up to the hundreds."""
    lex = default_lexicon()
    units = alternation(lex.numbers)
    hundreds = alternation(lex.hundred_words)
    return (
        rf"(?:(?:a|{units})[\s-]+{hundreds}(?:[\s-]+(?:and[\s-]+)?{units}(?:[\s-]+{units})?)?"
        rf"|{units}(?:[\s-]+{units})?)"
    )


def word_number_value(raw: str) -> float:
    """The value of words matched by :func:`word_number_pattern` ("twenty five" is 25)."""
    lex = default_lexicon()
    total = 0.0
    for token in re.split(r"[\s-]+", raw.lower()):
        if token in lex.hundred_words:
            total = max(total, 1.0) * 100
        elif token in lex.numbers:
            total += lex.numbers[token]
    return total
