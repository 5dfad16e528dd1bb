"""Read which shown suggestion a message points at: "the 3rd", "#2", "that last one".

Bare numbers are left alone unless they are the whole message ("2", "two please"), so
"2 for 1", "set of 3" and "under £2" point at nothing.
"""

from __future__ import annotations

import re

from agent.brain.offline.lexicon import alternation, default_lexicon
from agent.brain.offline.numbers import word_number_pattern, word_number_value

__all__ = ["parse_position"]


def _compile() -> dict[str, re.Pattern[str]]:
    lex = default_lexicon()
    nouns = alternation(lex.position_nouns)
    ordinal = alternation(lex.ordinals)
    plain_ordinal = alternation(set(lex.ordinals) - set(lex.noun_only_ordinals))
    number = rf"(?:\d{{1,2}}|{word_number_pattern()})"
    # An ordinal points at a suggestion when something like "one" follows it, or the
    # sentence ends or moves on: "the first one", "the second.", "third is lovely".
    closes = (
        rf"(?=\s+{nouns}(?!\w)|\s*$|\s*[^\w\s]|\s+{alternation(lex.position_followers)}"
        r"(?![\w'])|'s(?!\w))"
    )
    # "a second" and "a third" are a moment and a fraction.
    not_after_a = r"(?<!\ba\s)(?<!\ban\s)"
    return {
        "from_end": re.compile(
            rf"(?<![\w])(?P<ord>{ordinal}|\d{{1,2}})(?:\s+{nouns})?\s+"
            rf"{alternation(lex.from_end_phrases)}(?![\w])",
            re.IGNORECASE,
        ),
        "before_last": re.compile(
            rf"(?<![\w]){alternation(lex.one_before_last_words)}(?![\w])", re.IGNORECASE
        ),
        "last": re.compile(
            rf"(?<![\w]){not_after_a}{alternation(lex.last_words)}{closes}", re.IGNORECASE
        ),
        "middle": re.compile(
            rf"(?<![\w]){alternation(lex.middle_words)}(?:\s+{nouns}(?!\w)|\s*$|\s*[^\w\s])",
            re.IGNORECASE,
        ),
        "label": re.compile(
            rf"(?:(?<![\w]){alternation(lex.position_labels)}|#)\s*#?\s*(?P<n>{number})"
            r"(?![\w.,]\d|\s*(?:%|[£$€]))(?![\w])",
            re.IGNORECASE,
        ),
        "keycap": re.compile(r"(?P<n>\d)\ufe0f?\u20e3"),
        # "why no 3": "no" without its dot labels a digit only ("no two are alike" and
        # "no, 3 is fine" point at nothing).
        "no_digit": re.compile(r"(?<![\w])no\s+(?P<n>\d{1,2})(?![\w.,%£$€])", re.IGNORECASE),
        "ordinal": re.compile(
            rf"(?<![\w]){not_after_a}(?:(?P<ord>{plain_ordinal}){closes}"
            rf"|(?P<noun_ord>{ordinal})(?=\s+{nouns}(?!\w)))",
            re.IGNORECASE,
        ),
        "alone": re.compile(
            rf"^\s*(?:(?:the|number)\s+)?(?P<n>{number})(?:\s+(?:one|please|pls))?"
            r"[^\w£$€%]*$",
            re.IGNORECASE,
        ),
    }


_PATTERNS = _compile()


def _number(raw: str) -> int:
    return int(raw) if raw.isdigit() else int(word_number_value(raw))


def _within(position: int, shown: int) -> int | None:
    return position if 1 <= position <= shown else None


def parse_position(text: str, shown: int) -> int | None:
    """The 1-based position among ``shown`` suggestions that ``text`` points at.

    "the 3rd" is 3, "that last one" is ``shown``, "the one before last" is ``shown - 1``
    and "2nd from the end" also ``shown - 1``. None when nothing points, or it points
    past the suggestions shown.
    """
    lex = default_lexicon()
    from_end = _PATTERNS["from_end"].search(text)
    if from_end:
        raw = from_end.group("ord").lower()
        count = lex.ordinals[raw] if raw in lex.ordinals else int(raw)
        return _within(shown - count + 1, shown)
    if _PATTERNS["before_last"].search(text):
        return _within(shown - 1, shown)
    for name in ("keycap", "label", "no_digit"):
        match = _PATTERNS[name].search(text)
        if match:
            return _within(_number(match.group("n")), shown)
    ordinal = _PATTERNS["ordinal"].search(text)
    if ordinal:
        word = (ordinal.group("ord") or ordinal.group("noun_ord")).lower()
        return _within(lex.ordinals[word], shown)
    if _PATTERNS["last"].search(text):
        return _within(shown, shown)
    if shown % 2 == 1 and _PATTERNS["middle"].search(text):
        return shown // 2 + 1
    alone = _PATTERNS["alone"].match(text)
    if alone:
        return _within(_number(alone.group("n")), shown)
    return None
