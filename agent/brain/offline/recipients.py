"""Read who a gift is for: "my 7-year-old nephew", "a toddler", "teenage girl", "for her".

A word for a person counts only where a recipient is named: after a determiner or "for"
("my mum", "for kids", "a colleague"), or opening the message ("Grandad, 80"). So "a mug
that says best mum" names no one, and "for me" or "myself" give no recipient at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from agent.brain.offline.lexicon import (
    Audience,
    Sex,
    alternation,
    default_lexicon,
)
from agent.brain.offline.numbers import word_number_pattern, word_number_value

__all__ = ["Recipient", "parse_recipient"]

# A typo of a short word is usually another word ("nice", "sun"), so only longer
# words are forgiven one slip.
_TYPO_MIN_LENGTH = 5
_OLDEST_AGE = 120
_POSSESSIVE = re.compile(r"'s\s+")
# Words that start a clause after "my 3yo", where a noun ("my 3 year old laptop") would
# make the age the thing's.
_CLAUSE_WORDS = r"(?:so|who|and|but|that|is|has|loves|likes|wants|needs|because|cos|since)"
_WINDOW = 80


class Recipient(BaseModel):
    """Who a message says a gift is for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    relation: str | None = Field(
        default=None, description="How the shopper knows them: 'nephew', 'boss', 'sister-in-law'"
    )
    age: float | None = Field(default=None, description="Age in years; months as a fraction")
    age_min: float | None = Field(default=None, description="Youngest, from words like 'toddler'")
    age_max: float | None = Field(default=None, description="Oldest, from words like 'toddler'")
    sex: Sex | None = None
    audience: Audience | None = Field(default=None, description="baby, child, teen or adult")
    span: tuple[int, int] = Field(description="Characters of the text that named them")


@dataclass(frozen=True)
class _Head:
    """What one person word tells, before it is merged with its neighbours."""

    relation: str | None = None
    sex: Sex | None = None
    audience: Audience | None = None
    age_min: float | None = None
    age_max: float | None = None


def _key(word: str) -> str:
    return re.sub(r"[\s-]+", " ", word.lower())


def _heads() -> dict[str, _Head]:
    lex = default_lexicon()
    table: dict[str, _Head] = {}
    for person in lex.people:
        for word in person.words:
            table[word] = _Head(sex=person.sex, audience=person.audience)
    for age_word in lex.age_words:
        for word in age_word.words:
            sex = next((p.sex for p in lex.people if word.split()[-1] in p.words), None)
            table[word] = _Head(
                sex=sex,
                audience=age_word.audience,
                age_min=age_word.age_min,
                age_max=age_word.age_max,
            )
    for relation in lex.relations:
        for word in relation.words:
            table[word] = _Head(
                relation=relation.relation, sex=relation.sex, audience=relation.audience
            )
    return table


_HEADS = _heads()
# Single words long enough to forgive a slip in, by first letter (see _typo_of).
_TYPO_TARGETS: dict[str, list[str]] = {}
for _word in sorted(_HEADS):
    if " " not in _word and len(_word) >= _TYPO_MIN_LENGTH:
        _TYPO_TARGETS.setdefault(_word[0], []).append(_word)


def _compile() -> dict[str, re.Pattern[str]]:
    lex = default_lexicon()
    number = rf"(?:\d{{1,3}}(?:\.\d)?|{word_number_pattern()})"
    units = alternation(lex.age_units)
    age = rf"(?P<age>{number})[\s-]*(?P<unit>{units})(?:[\s-]*old)?(?![\w/])"
    determiner = alternation(lex.recipient_determiners)
    preposition = alternation(lex.recipient_prepositions)
    gap = r"(?:\s+|(?='))"  # between words, or before "'d" and "'s into"
    adjective = alternation(lex.recipient_adjectives)
    age_word = alternation(w for a in lex.age_words for w in a.words)
    modifier = rf"(?:{adjective}|{age_word}|\d{{1,3}}(?:\.\d)?[\s-]*{units}(?:[\s-]*old)?|"
    modifier += rf"{word_number_pattern()}[\s-]*{units}(?:[\s-]*old)?)"
    lead = rf"(?:(?<![\w']){preposition}\s+(?:{determiner}\s+)?|(?<![\w']){determiner}\s+|^\W*)"
    leads = alternation(lex.age_leads)
    # "for my nephew, 7 quid" states a price, not an age.
    currency_words = alternation(w for c in lex.currencies for w in c.words)
    not_money = rf"(?![\w£$€%]|[.,]\d|\s*(?:{currency_words}|p)(?!\w))"
    return {
        "head": re.compile(
            rf"(?<![\w'])(?P<word>{alternation(_HEADS)})(?:'s|s'|s)?(?![\w'])", re.IGNORECASE
        ),
        "word": re.compile(r"(?<![\w'])[a-z]+(?![\w'])", re.IGNORECASE),
        "prefix": re.compile(
            rf"{lead}(?P<mods>(?:{modifier}[\s,]+)*)$",
            re.IGNORECASE,
        ),
        "age": re.compile(age, re.IGNORECASE),
        "age_only": re.compile(
            rf"{lead}(?:(?:{adjective})\s+)*{age}(?!\s+(?!{_CLAUSE_WORDS}\b)[a-z])", re.IGNORECASE
        ),
        "age_after": re.compile(
            rf"(?:\s*[,(]\s*(?:(?:{leads})\s+){{0,2}}|(?:\s+(?:{leads}))+\s+|(?<='s)\s+(?=\d+\s*(?:[,.!?;)]|$|\s+(?:next|this|on|in|today|tomorrow|soon|and|so|but|now)\b)))"
            # A number in words needs a lead: "she's just turned two", not "…, two of them".
            rf"(?:(?P<age>\d{{1,3}}(?:\.\d)?)|(?<=[a-z] )(?P<word_age>{word_number_pattern()}))"
            rf"(?:[\s-]*(?P<unit>{units})(?:[\s-]*old)?)?\s*\)?{not_money}",
            re.IGNORECASE,
        ),
        "age_after_unit": re.compile(rf"\s+{age}", re.IGNORECASE),
        "birthday": re.compile(
            rf"(?<![\w])(?P<n>\d{{1,3}})(?:st|nd|rd|th)[\s-]+{alternation(lex.birthday_words)}",
            re.IGNORECASE,
        ),
        "link": re.compile(r"[\s-]+$"),
        "pronoun": re.compile(
            rf"(?<![\w']){preposition}\s+(?P<pronoun>{alternation(lex.pronoun_sex)})(?![\w'])",
            re.IGNORECASE,
        ),
        # "i reckon she'd love a lantern": someone the shopper is choosing for.
        "fond_subject": re.compile(
            rf"(?<![\w'])(?P<pronoun>{alternation(lex.subject_pronoun_sex)})"
            rf"(?:{gap}{alternation(lex.fond_verb_leads)})*{gap}{alternation(lex.fond_verbs)}"
            r"(?![\w'])",
            re.IGNORECASE,
        ),
    }


_PATTERNS = _compile()


def _osa_distance(a: str, b: str) -> int:
    """Edits between two words, counting a swap of neighbours as one ("neice" → "niece")."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


@lru_cache(maxsize=4096)
def _typo_of(word: str) -> str | None:
    """The single-word head ``word`` is one slip away from, if any.

    The first letter must agree: typos rarely hit it, and it keeps "other" from reading
    as "mother" and "piece" as "niece". Real words listed as near misses never match.
    """
    lower = word.lower()
    if len(lower) < _TYPO_MIN_LENGTH or lower in default_lexicon().near_misses:
        return None
    for head in _TYPO_TARGETS.get(lower[0], ()):
        if abs(len(head) - len(lower)) <= 1 and _osa_distance(lower, head) <= 1:
            return head
    return None


def _candidates(text: str) -> list[tuple[int, int, str]]:
    """Every person word in ``text`` as (start, end, lexicon entry), typos mended."""
    found = [(m.start(), m.end(), _key(m.group("word"))) for m in _PATTERNS["head"].finditer(text)]
    taken = [(start, end) for start, end, _ in found]
    for match in _PATTERNS["word"].finditer(text):
        if any(start <= match.start() < end for start, end in taken):
            continue
        head = _typo_of(match.group())
        if head is not None:
            found.append((match.start(), match.end(), head))
    return sorted(found)


def _age_value(raw: str, unit: str | None) -> float | None:
    number = float(raw) if raw[0].isdigit() else word_number_value(raw)
    years = number * default_lexicon().age_units.get((unit or "years").lower(), 1.0)
    if not 0 < years < _OLDEST_AGE:
        return None
    return round(years, 2)


def _merge(heads: list[_Head], words: list[str]) -> _Head:
    relation = next((h.relation for h in heads if h.relation), None)
    if relation is not None:
        # "my baby brother" is a younger brother, not an infant.
        fond = default_lexicon().fond_age_words
        heads = [h for h, w in zip(heads, words, strict=True) if w not in fond]
    # A plain person word ("girl") says more about sex than a relation does.
    sex = next((h.sex for h in reversed(heads) if h.sex), None)
    ranged = next((h for h in heads if h.age_min is not None), None)
    audience = ranged.audience if ranged else None
    if audience is None:
        audience = next((h.audience for h in reversed(heads) if h.audience), None)
    return _Head(
        relation=relation,
        sex=sex,
        audience=audience,
        age_min=ranged.age_min if ranged else None,
        age_max=ranged.age_max if ranged else None,
    )


def _from_heads(text: str) -> Recipient | None:
    candidates = _candidates(text)
    for index, (start, end, word) in enumerate(candidates):
        prefix = _PATTERNS["prefix"].search(text[max(0, start - _WINDOW) : start])
        if prefix is None:
            continue
        span_start = max(0, start - _WINDOW) + prefix.start()
        # "my daughter's teacher" is for the teacher.
        while index + 1 < len(candidates) and _POSSESSIVE.fullmatch(
            text[end - 2 : candidates[index + 1][0]]
        ):
            index += 1
            start, end, word = candidates[index]
        heads = [_HEADS[word]]
        words = [word]
        span_end = end
        # Person words side by side ("teenage girl", "baby boy") describe one person.
        for next_start, next_end, next_word in candidates[index + 1 :]:
            gap = text[span_end:next_start]
            if not gap or not _PATTERNS["link"].fullmatch(gap):
                break
            heads.append(_HEADS[next_word])
            words.append(next_word)
            span_end = next_end
        merged = _merge(heads, words)
        age = None
        mods = prefix.group("mods") or ""
        before_age = _PATTERNS["age"].search(mods)
        if before_age:
            age = _age_value(before_age.group("age"), before_age.group("unit"))
        if age is None:
            after = _PATTERNS["age_after"].match(text, span_end) or _PATTERNS[
                "age_after_unit"
            ].match(text, span_end)
            if after:
                said = after.group("age") or after.groupdict().get("word_age")
                age = _age_value(said, after.group("unit")) if said else None
                if age is not None:
                    span_end = after.end()
        if age is None:
            birthday = _PATTERNS["birthday"].search(text)
            if birthday:
                age = _age_value(birthday.group("n"), None)
        return _recipient(merged, age, (span_start, span_end))
    return None


def _recipient(head: _Head, age: float | None, span: tuple[int, int]) -> Recipient:
    audience = head.audience
    if age is not None:
        audience = default_lexicon().audience_for_age(age)
    return Recipient(
        relation=head.relation,
        age=age,
        age_min=head.age_min,
        age_max=head.age_max,
        sex=head.sex,
        audience=audience,
        span=span,
    )


def parse_recipient(text: str) -> Recipient | None:
    """Who ``text`` says the gift is for, or None when it names no one else.

    "my 7-year-old nephew" gives relation "nephew", age 7, sex "male", audience "child";
    "a toddler" gives ages 1 to 3; "my neice" is read as "niece"; "for him" gives only
    the sex, as does "she'd love …". "for me" and "myself" are the shopper, so they
    give None.
    """
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    found = _from_heads(text)
    if found is not None:
        return found
    aged = _PATTERNS["age_only"].search(text)
    if aged:
        age = _age_value(aged.group("age"), aged.group("unit"))
        if age is not None:
            return _recipient(_Head(), age, aged.span())
    lex = default_lexicon()
    for pattern, sexes in (("pronoun", lex.pronoun_sex), ("fond_subject", lex.subject_pronoun_sex)):
        pronoun = _PATTERNS[pattern].search(text)
        if pronoun:
            return Recipient(sex=sexes[pronoun.group("pronoun").lower()], span=pronoun.span())
    return None
