"""Frustration, read with VADER's maintained sentiment lexicon rather than a hand list."""

from __future__ import annotations

import re
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

#: VADER's compound score runs from -1 to 1; below this a message is angry, not just
#: disappointed ("meh" scores near zero, "stupid bot" near -0.53).
FURIOUS = -0.45
# Censored swearing ("f***ing", "sh*t") is anger VADER cannot see in its lexicon.
_MASKED_SWEAR = re.compile(r"\b[a-z]\*+[a-z]*\b|\b[fs]\W{2,}[a-z]*\b")
# Angry faces and gestures VADER's emoji table reads as neutral.
_ANGRY_EMOJI = re.compile("[\U0001f621\U0001f92c\U0001f624\U0001f47f\U0001f4a2\U0001f595]")


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def frustration(text: str) -> float:
    """How angry ``text`` reads, from 0 (calm) to 1 (furious)."""
    compound = float(_analyzer().polarity_scores(text)["compound"])
    masked = 0.6 if _MASKED_SWEAR.search(text.lower()) or _ANGRY_EMOJI.search(text) else 0.0
    return max(masked, -compound, 0.0)


def is_furious(text: str) -> bool:
    """Whether ``text`` is angry enough that a person should step in."""
    return frustration(text) >= -FURIOUS
