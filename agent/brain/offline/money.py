"""Read a price limit out of a message: "under £20", "a tenner", "between 10 and 20".

A number is money when it carries a currency ("£5", "20 quid", "50p", "a fiver") or sits
next to a price cue ("under 15", "20 or less"). Counts, ages and sizes ("2 for 1",
"set of 6", "age 5", "size 10") are neither, so they never become a budget.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.brain.offline.lexicon import alternation, default_lexicon
from agent.brain.offline.numbers import word_number_pattern, word_number_value

__all__ = ["MAX_AMOUNT", "Money", "parse_money"]

#: A larger figure is no shopping budget (and hundreds of digits would read as infinity).
MAX_AMOUNT = 1e9
# "more than two" and "no more than one" are nearly always counts, not money, when no
# currency is named; from five up ("under twenty") a spelled-out figure is a price.
_SMALLEST_BARE_WORD_AMOUNT = 5
# Cues sit right beside their amount; looking further back only costs time.
_CUE_WINDOW = 40

Bound = Literal["max", "min", "around"]


class Money(BaseModel):
    """The price limits a message states; every field is empty when it states none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    low: float | None = Field(default=None, description="Lowest price wanted")
    high: float | None = Field(default=None, description="Highest price wanted")
    around: bool = Field(
        default=False, description="The figure is approximate ('about £5'): low and high hold it"
    )
    currency: str | None = Field(default=None, description="£, $ or € when one was named")
    spans: tuple[tuple[int, int], ...] = Field(
        default=(), description="Character spans of the text that stated the money"
    )

    @property
    def found(self) -> bool:
        """Whether the message stated any price limit."""
        return self.low is not None or self.high is not None


@dataclass(frozen=True)
class _Amount:
    start: int
    end: int
    value: float
    currency: str | None
    spelled: bool


def _compile() -> dict[str, re.Pattern[str]]:
    lex = default_lexicon()
    word_number = word_number_pattern()
    currency_words = alternation(w for c in lex.currencies for w in c.words)
    minors = "".join(re.escape(c.minor) for c in lex.currencies if c.minor)
    symbols = "".join(re.escape(c.symbol) for c in lex.currencies)
    number = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?![\d,.]\d|[eE][+-]?\d)"
    slang = alternation(lex.money_nouns)
    multipliers = alternation(lex.multipliers)

    def times(name: str) -> str:
        return rf"(?:\s?(?P<{name}>{multipliers})(?![a-z]))?"

    amount = (
        rf"(?P<sym>[{symbols}])\s*(?P<n1>{number}){times('m1')}(?:\s*(?P<w1>{currency_words})\b)?"
        rf"|(?<![\w.,])(?P<n2>{number}){times('m2')}\s*(?:(?P<sym2>[{symbols}])"
        rf"|(?P<w2>{currency_words})\b|(?P<minor>[{minors}])\b)"
        rf"|\b(?P<word>{word_number})\s+(?P<w3>{currency_words})\b"
        # "under a pound", "a quid each"; "a pound of coffee" weighs it.
        rf"|\b(?P<one>an?)\s+(?P<w5>{currency_words})\b(?!\s+of\b)"
        rf"|\b(?:(?P<count>a|an|{alternation(lex.numbers)}|\d)\s+)?(?P<slang>{slang})\b"
        rf"|(?<![\w.,£$€])(?P<n4>{number}){times('m4')}(?![\w£$€])"
        rf"|\b(?P<word2>{word_number})\b"
    )
    cues = lex.money_cues
    before = (
        rf"(?:(?<![\w])|(?<=~))(?:(?P<max>{alternation(cues.max_before)})"
        rf"|(?P<min>{alternation(cues.min_before)})"
        rf"|(?P<around>{alternation(cues.around_before)}))\s*$"
    )
    after = (
        rf"^\s*-?\s*(?:(?P<max>{alternation(cues.max_after)})"
        rf"|(?P<min>{alternation(cues.min_after)})"
        rf"|(?P<around>{alternation(cues.around_after)}))(?![a-z])"
    )
    return {
        "amount": re.compile(amount, re.IGNORECASE),
        "before": re.compile(before, re.IGNORECASE),
        "after": re.compile(after, re.IGNORECASE),
        "range_before": re.compile(
            rf"(?<![\w])(?P<cue>{alternation(cues.range_before)})\s+$", re.IGNORECASE
        ),
        "joiner": re.compile(rf"^\s*{alternation(cues.range_joiners)}\s*$", re.IGNORECASE),
        "not_before": re.compile(
            rf"(?<![\w]){alternation(lex.not_money_before)}\s*$", re.IGNORECASE
        ),
        "not_after": re.compile(
            rf"\s*(?:-\s*)?{alternation(lex.not_money_after)}(?![a-z0-9])", re.IGNORECASE
        ),
    }


_PATTERNS = _compile()
_SYMBOL_OF_WORD = {
    word: currency.symbol for currency in default_lexicon().currencies for word in currency.words
}
_SYMBOL_OF_MINOR = {c.minor: c.symbol for c in default_lexicon().currencies if c.minor}


def _digits_value(raw: str) -> float:
    if re.fullmatch(r"\d+,\d{1,2}", raw):  # "20,50": a decimal comma, as across Europe
        raw = raw.replace(",", ".")
    return float(raw.replace(",", ""))


def _read(match: re.Match[str]) -> _Amount | None:
    lex = default_lexicon()
    group = match.group
    currency: str | None = None
    spelled = False
    if group("sym") or group("sym2"):
        currency = group("sym") or group("sym2")
    elif group("w1") or group("w2") or group("w3") or group("w5"):
        word = group("w1") or group("w2") or group("w3") or group("w5")
        currency = _SYMBOL_OF_WORD[word.lower()]
    if group("slang"):
        count = (group("count") or "a").lower()
        times = 1 if count in ("a", "an") else lex.numbers.get(count, None)
        value = (
            float(times if times is not None else int(count))
            * lex.money_nouns[group("slang").lower()]
        )
        currency = lex.money_nouns_currency
    elif group("one"):
        value = 1.0
        spelled = True
    elif group("word") or group("word2"):
        value = word_number_value(group("word") or group("word2"))
        spelled = True
    else:
        value = _digits_value(group("n1") or group("n2") or group("n4"))
        multiplier = group("m1") or group("m2") or group("m4")
        if multiplier:
            value *= lex.multipliers[multiplier.lower()]
        if group("minor"):
            currency = _SYMBOL_OF_MINOR[group("minor").lower()]
            value /= 100
    if not (math.isfinite(value) and 0 < value < MAX_AMOUNT):
        return None
    return _Amount(match.start(), match.end(), value, currency, spelled)


def _amounts(text: str) -> list[_Amount]:
    found = []
    for match in _PATTERNS["amount"].finditer(text):
        amount = _read(match)
        if amount is None:
            continue
        if amount.currency is None:
            # Only a figure without a currency can be an age, a size or a count.
            before = text[max(0, amount.start - _CUE_WINDOW) : amount.start]
            if _PATTERNS["not_before"].search(before):
                continue
            if _PATTERNS["not_after"].match(text, amount.end):
                continue
        found.append(amount)
    return found


def _cue_before(text: str, amount: _Amount) -> tuple[Bound, int] | None:
    window_start = max(0, amount.start - _CUE_WINDOW)
    match = _PATTERNS["before"].search(text[window_start : amount.start])
    if not match:
        return None
    kind: Bound = "max" if match.group("max") else "min" if match.group("min") else "around"
    return kind, window_start + match.start()


def _cue_after(text: str, amount: _Amount) -> tuple[Bound, int] | None:
    match = _PATTERNS["after"].match(text[amount.end : amount.end + _CUE_WINDOW])
    if not match:
        return None
    kind: Bound = "max" if match.group("max") else "min" if match.group("min") else "around"
    return kind, amount.end + match.end()


def _bare_word_without_cue_or_currency(amount: _Amount) -> bool:
    return amount.spelled and amount.currency is None


_NOTHING_BEFORE = re.compile(
    r"\b(?:nothing|nowt|nout|none|not\s+anything|no\s+more|never)\s*$"
    # "don't show me anything over £50": a ceiling said as what not to show
    r"|\b(?:don'?t|do\s+not|never)\s+(?:show|give|suggest|recommend|send)\s+(?:me\s+|us\s+)?"
    r"(?:anything|something|stuff|things|items|ones)?\s*$"
)


def parse_money(text: str) -> Money:
    """The price limits ``text`` states, with the spans that stated them.

    "under £20" gives ``high=20``; "over 15" ``low=15``; "between 10 and 20" both;
    "about a fiver" ``low=high=5`` with ``around``; a bare priced amount ("twenty pounds")
    is read as a ceiling. Counts, ages and sizes, and words like "cheap", give nothing.
    """
    amounts = _amounts(text)
    low: float | None = None
    high: float | None = None
    around = False
    currency: str | None = None
    spans: list[tuple[int, int]] = []
    bare: list[_Amount] = []
    index = 0
    while index < len(amounts):
        amount = amounts[index]
        following = amounts[index + 1] if index + 1 < len(amounts) else None
        if following and _PATTERNS["joiner"].match(text[amount.end : following.start]):
            window_start = max(0, amount.start - _CUE_WINDOW)
            opener = _PATTERNS["range_before"].search(text[window_start : amount.start])
            priced = amount.currency or following.currency
            # "from 3 to 5" is far more often ages than money; "between 10 and 20" is money.
            bare_opener = (
                opener is not None
                and opener.group("cue").lower()
                in default_lexicon().money_cues.range_before_without_currency
            )
            if priced or bare_opener:
                start = window_start + opener.start() if opener else amount.start
                cue = _cue_before(text, amount)
                if cue and not opener:
                    start = cue[1]
                    around = around or cue[0] == "around"
                low, high = sorted((amount.value, following.value))
                currency = currency or amount.currency or following.currency
                spans.append((start, following.end))
                index += 2
                continue
        cue = _cue_before(text, amount)
        span_start, span_end = amount.start, amount.end
        kind: Bound | None = None
        if cue:
            kind, span_start = cue
        else:
            after = _cue_after(text, amount)
            if after:
                kind, span_end = after
        if kind is None or (
            _bare_word_without_cue_or_currency(amount) and amount.value < _SMALLEST_BARE_WORD_AMOUNT
        ):
            if amount.currency is not None:
                bare.append(amount)
            index += 1
            continue
        if kind == "min" and _NOTHING_BEFORE.search(text[:span_start]):
            kind = "max"  # "nothing over a tenner" caps the price
        if kind == "max":
            high = amount.value if high is None else min(high, amount.value)
        elif kind == "min":
            low = amount.value
        else:
            low = high = amount.value
            around = True
        currency = currency or amount.currency
        spans.append((span_start, span_end))
        index += 1
    if low is not None and high is not None and low > high:
        # "over £20 but under £10" cannot both hold; the likelier meaning is the range.
        low, high = high, low
    if low is None and high is None and bare:
        first = bare[0]
        high, currency = first.value, first.currency
        spans.append((first.start, first.end))
    return Money(low=low, high=high, around=around, currency=currency, spans=tuple(spans))
