"""Mistyped function words put right: "pease" → "please", "less tahn £5" → "less than £5".

Only words the reader itself relies on are ever written in (stop-words, cue words, the
parsers' lexicon), and only in place of a word that is no English word at all (not in
the embedding model's own vocabulary). A product name the shopper typed, rightly or
wrongly, is never turned into something else: it is either a known word, or no
function word is one keystroke away from it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

from agent.brain.intents import MAX_CHARS
from agent.brain.offline.cues import default_cues
from agent.brain.offline.lexicon import default_lexicon
from agent.english import english_words
from tools.vocabulary import deletions, edit

_WORD = re.compile(r"[a-z]+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_SPACES = re.compile(r"\s+")
#: "w/" and "w/o" as people type them for "with" and "without" ("mugs w/ lids"); not
#: inside a path or a web address.
_WITH = re.compile(r"(?<![\w/.])w/(o\b)?[ ]*")
#: Shorter words are too close to too many others for one keystroke to say which.
MIN_LENGTH = 3
#: One letter changed for another is only believed in words this long.
MIN_SUBSTITUTION = 6
_ENDINGS = ("s", "es", "ed", "d", "ing", "er", "ers", "ly", "y")


@cache
def _known() -> frozenset[str]:
    """Every word the reader's lists are made of, slang like "pls" included."""
    stop = resources.files("agent.brain").joinpath("stopwords.txt").read_text("utf-8")
    words = {line.split("#", 1)[0].strip() for line in stop.splitlines()}
    for model in (default_cues(), default_lexicon()):
        words |= set(_WORD.findall(model.model_dump_json().lower()))
    return frozenset(w for w in words if w)


@cache
def _targets() -> frozenset[str]:
    """The words a typo may be put right to: known ones long enough to tell apart."""
    return frozenset(w for w in _known() if len(w) > MIN_LENGTH)


@cache
def _by_deletion() -> dict[str, frozenset[str]]:
    """Each target and each form of it with one letter dropped → the targets."""
    index: dict[str, set[str]] = {}
    for word in _targets():
        for form in {word, *deletions(word)}:
            index.setdefault(form, set()).add(word)
    return {form: frozenset(words) for form, words in index.items()}


def _inflected(word: str) -> bool:
    """Whether ``word`` is a known word with an ending: "santas", "complains", "wrapped"."""
    known = english_words() | _known()
    for ending in _ENDINGS:
        stem = word.removesuffix(ending)
        doubled = len(stem) > 2 and stem[-1] == stem[-2]  # "wrapped" → "wrap"
        if stem != word and (
            stem in known or stem + "e" in known or (doubled and stem[:-1] in known)
        ):
            return True
    return False


def _counts(kind: str, word: str, meant: str) -> bool:
    """Whether this edit of ``word`` is a believable slip. One letter for another only
    counts in longer words: the model's vocabulary lacks some real short words
    ("abort"), and a changed letter of those makes another word. Three letters are only
    ever a dropped one ("hve")."""
    if len(word) == MIN_LENGTH:
        return len(meant) > len(word)
    same_length = len(word) == len(meant)
    # Asking for a person matters more than a rare misread word: "humen" is "human".
    lenient = meant in default_cues().handover_words and len(word) > MIN_LENGTH + 1
    return kind == "swap" or not same_length or len(word) >= MIN_SUBSTITUTION or lenient


def correction(word: str) -> str | None:
    """The one target ``word`` is a typo of, or None."""
    if len(word) < MIN_LENGTH or word in english_words() or word in _known():
        return None
    if _inflected(word):
        return None  # "complains" is a word the vocabulary lacks, not "complaint" mistyped
    index = _by_deletion()
    candidates = set(index.get(word, ()))
    for form in deletions(word):
        candidates |= index.get(form, frozenset())
    edits = {c: edit(word, c) for c in candidates}
    found = {c: e for c, e in edits.items() if e and _counts(e, word, c)}
    # Two letters swapped is the commonest slip: "frined" is "friend" before "fried".
    swaps = [c for c, e in found.items() if e == "swap"]
    if len(swaps) == 1:
        return swaps[0]
    # A slip from an English word before one from slang: "somthing" is "something",
    # not "sumthing".
    english = [c for c in found if c in english_words()]
    if len(found) > 1 and len(english) == 1:
        return english[0]
    return next(iter(found)) if len(found) == 1 else None


def correct(text: str) -> str:
    """``text`` (lower case) with each mistyped function word put right, and "w/" and
    "w/o" written out."""
    text = _WITH.sub(lambda m: "without " if m.group(1) else "with ", text).rstrip()
    return _WORD.sub(lambda m: correction(m.group()) or m.group(), text)


def tidy(message: str) -> str:
    """The capped message with quotes, odd Unicode forms and spacing made plain."""
    text = unicodedata.normalize("NFKC", message[:MAX_CHARS]).translate(_QUOTES)
    return _SPACES.sub(" ", text).strip()


def plain(message: str) -> str:
    """What the reader reads: ``message`` tidied, lower-cased, with typos put right."""
    return correct(tidy(message).lower())
