"""Messages that ask for nothing: "thanks, bye", "lol", "ok cool", "hmmm".

A message is small talk only when every word of it is: one goodbye, laugh or
acknowledgement, with at most fillers like "thanks" around it. Anything else in it
("ok, now show me lamps") makes it something to act on, so it is left to the rest
of the reader.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Literal

from agent.brain.offline.lexicon import default_lexicon

__all__ = ["SmallTalkKind", "small_talk"]

SmallTalkKind = Literal["goodbye", "laughter", "acknowledgement"]

#: Longest phrase in the lists, in words.
_LONGEST = 4
_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*|[^\w\s]", re.UNICODE)
_STRETCHED = re.compile(r"(.)\1{2,}")  # "byeee", "hmmmm", "sooo"
_LAUGH = re.compile(r"^(?:(?:ha|he|hi)+h?|a?(?:ha)+|(?:lo)+l|lmf?a+o+)$")
_HUM = re.compile(r"^h+m+$")  # "hm", "hmm", "hmmm"


@cache
def _phrases() -> dict[str, SmallTalkKind | None]:
    """Every phrase mapped to its kind; fillers map to None."""
    table = default_lexicon().small_talk
    phrases: dict[str, SmallTalkKind | None] = {p: None for p in table.fillers}
    kinds: tuple[tuple[SmallTalkKind, tuple[str, ...]], ...] = (
        ("acknowledgement", table.acknowledgement),
        ("laughter", table.laughter),
        ("goodbye", table.goodbye),
    )
    for kind, words in kinds:
        for phrase in words:
            phrases[phrase] = kind
    return phrases


def _tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    words = []
    for token in _WORD.findall(text):
        if unicodedata.category(token[0]).startswith("P"):
            continue  # punctuation carries nothing here
        token = _STRETCHED.sub(r"\1", token)
        if _LAUGH.match(token):
            token = "haha"
        elif _HUM.match(token):
            token = "hm"
        words.append(token)
    return words


def small_talk(text: str) -> SmallTalkKind | None:
    """What kind of small talk the whole message is, or None if it asks for anything.

    A goodbye wins over a laugh, and a laugh over an acknowledgement ("ok lol bye" is a
    goodbye); fillers alone ("thanks") are not small talk here, since thanks has its own
    reply.
    """
    words = _tokens(text)
    phrases = _phrases()
    found: set[SmallTalkKind] = set()
    at = 0
    while at < len(words):
        for size in range(min(_LONGEST, len(words) - at), 0, -1):
            phrase = " ".join(words[at : at + size])
            if phrase in phrases:
                kind = phrases[phrase]
                if kind is not None:
                    found.add(kind)
                at += size
                break
        else:
            return None  # a word that is not small talk: the message asks for something
    strongest: tuple[SmallTalkKind, ...] = ("goodbye", "laughter", "acknowledgement")
    return next((kind for kind in strongest if kind in found), None)
