"""The lexicon behind the offline parsers: well-formed data, and parsers that never break."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.brain.offline import parse_exclusions, parse_money, parse_position, parse_recipient
from agent.brain.offline.lexicon import default_lexicon


def test_every_word_in_the_lexicon_is_lower_case_so_matching_can_ignore_case() -> None:
    lex = default_lexicon()
    words = [w for r in lex.relations for w in r.words] + [w for p in lex.people for w in p.words]
    words += [w for a in lex.age_words for w in a.words] + list(lex.negation.cues)
    assert [w for w in words if w != w.lower()] == []


def test_no_word_names_two_different_relations() -> None:
    seen: dict[str, str] = {}
    clashes = []
    for relation in default_lexicon().relations:
        for word in relation.words:
            if seen.setdefault(word, relation.relation) != relation.relation:
                clashes.append(word)
    assert clashes == []


def test_age_ranges_run_forwards_and_audience_bands_rise() -> None:
    lex = default_lexicon()
    assert all(a.age_min < a.age_max for a in lex.age_words)
    limits = [b.below for b in lex.audiences if b.below is not None]
    assert limits == sorted(limits)
    assert [lex.audience_for_age(age) for age in (0.5, 7, 15, 40)] == [
        "baby",
        "child",
        "teen",
        "adult",
    ]


def test_a_near_miss_is_a_real_word_never_read_as_a_relation() -> None:
    for word in ("fiend", "fried", "brothel", "feather"):
        assert parse_recipient(f"a {word}") is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.integers(min_value=0, max_value=12))
def test_the_parsers_accept_any_text_and_keep_their_promises(text: str, shown: int) -> None:
    money = parse_money(text)
    assert all(0 <= start < end <= len(text) for start, end in money.spans)
    assert money.low is None or money.high is None or money.low <= money.high
    recipient = parse_recipient(text)
    assert recipient is None or 0 <= recipient.span[0] <= recipient.span[1] <= len(text)
    position = parse_position(text, shown)
    assert position is None or 1 <= position <= shown
    assert all(word == word.lower() for word in parse_exclusions(text))
