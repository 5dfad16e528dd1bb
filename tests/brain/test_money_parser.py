"""Money: price limits in digits and words, and the counts, ages and sizes that are not."""

from __future__ import annotations

import pytest

from agent.brain.offline.money import Money, parse_money

# (message, low, high, around, currency)
CASES: list[tuple[str, float | None, float | None, bool, str | None]] = [
    ("under £20", None, 20, False, "£"),
    ("less than 20 quid", None, 20, False, "£"),
    ("a tenner", None, 10, False, "£"),
    ("a fiver", None, 5, False, "£"),
    ("twenty pounds", None, 20, False, "£"),
    ("£1,250", None, 1250, False, "£"),
    ("50p", None, 0.5, False, "£"),
    ("between 10 and 20", 10, 20, False, None),
    ("£10–£20", 10, 20, False, "£"),
    ("10-20 euros", 10, 20, False, "€"),
    ("around £5", 5, 5, True, "£"),
    ("about a fiver", 5, 5, True, "£"),
    ("no more than $30", None, 30, False, "$"),
    ("over 15", 15, None, False, None),
    ("at least £8", 8, None, False, "£"),
    ("UNDER 20 QUID!!", None, 20, False, "£"),
    ("Under £20 please 🙏", None, 20, False, "£"),
    ("max 25 dollars", None, 25, False, "$"),
    ("$40 or less", None, 40, False, "$"),
    ("up to 30 bucks", None, 30, False, "$"),
    ("20 quid tops", None, 20, False, "£"),
    ("£20ish", 20, 20, True, "£"),
    ("£20+", 20, None, False, "£"),
    ("in the region of £200", 200, 200, True, "£"),
    ("roughly 30 euros", 30, 30, True, "€"),
    ("a hundred quid", None, 100, False, "£"),
    ("one hundred and fifty pounds", None, 150, False, "£"),
    ("twenty-five quid", None, 25, False, "£"),
    ("under twenty", None, 20, False, None),
    ("£19.99", None, 19.99, False, "£"),
    ("€20,50", None, 20.5, False, "€"),
    ("99c", None, 0.99, False, "$"),
    ("two tenners", None, 20, False, "£"),
    ("over £10 but under £20", 10, 20, False, "£"),
    ("between £15 and £25 for my mum", 15, 25, False, "£"),
    ("20 to 30 pounds", 20, 30, False, "£"),
    ("from £10 up to £20", 10, 20, False, "£"),
    ("gift for my 7 year old under £15", None, 15, False, "£"),
    ("something with 3 stars under 10 quid", None, 10, False, "£"),
    ("2 for £5", None, 5, False, "£"),
    ("my budget is 40", None, 40, False, None),
    ("I'd spend about 50 dollars", 50, 50, True, "$"),
    ("£1k", None, 1000, False, "£"),
    ("under 5 grand", None, 5000, False, None),
    ("under 20 for a 7 year old", None, 20, False, None),
    ("over £20 but under £10", 10, 20, False, "£"),
    ("candles under a pound", None, 1, False, "£"),
    ("anything for about a euro", 1, 1, True, "€"),
    ("a quid or less", None, 1, False, "£"),
    # Not money at all.
    ("a pound of coffee beans", None, None, False, None),
    ("cheap", None, None, False, None),
    ("something cheap and cheerful", None, None, False, None),
    ("not too expensive", None, None, False, None),
    ("2 for 1", None, None, False, None),
    ("set of 6", None, None, False, None),
    ("3 pack", None, None, False, None),
    ("age 5", None, None, False, None),
    ("5 year old", None, None, False, None),
    ("size 10", None, None, False, None),
    ("toys for under 5s", None, None, False, None),
    ("about 5 year olds", None, None, False, None),
    ("over 15 years", None, None, False, None),
    ("between 3 and 5 years", None, None, False, None),
    ("from 3 to 5", None, None, False, None),
    ("more than two", None, None, False, None),
    ("more than 3 colours", None, None, False, None),
    ("5.50", None, None, False, None),
    ("the 2nd one", None, None, False, None),
    ("a grand day out", None, None, False, None),
    ("10k steps", None, None, False, None),
    # Absurd figures are refused rather than trusted.
    ("£99999999999", None, None, False, None),
    ("under £1e9", None, None, False, None),
    ("9" * 400 + " pounds", None, None, False, None),
    ("", None, None, False, None),
]


@pytest.mark.parametrize(("text", "low", "high", "around", "currency"), CASES)
def test_money_reads_the_stated_limits_and_nothing_else(
    text: str, low: float | None, high: float | None, around: bool, currency: str | None
) -> None:
    money = parse_money(text)
    assert (money.low, money.high, money.around, money.currency) == (
        low,
        high,
        around,
        currency,
    )


def test_spans_cover_the_cue_and_the_amount_so_they_can_be_cut_from_a_query() -> None:
    text = "mug for dad under £20 please"
    money = parse_money(text)
    assert money.spans == ((12, 21),)
    assert text[12:21] == "under £20"


def test_a_range_is_one_span_from_its_opening_word() -> None:
    text = "Something between 10 and 20 euros?"
    (span,) = parse_money(text).spans
    assert text[span[0] : span[1]] == "between 10 and 20 euros"


def test_a_message_without_money_has_no_spans_and_reports_nothing_found() -> None:
    money = parse_money("a scarf in green")
    assert money == Money()
    assert not money.found


def test_spans_stay_true_to_the_original_text_after_unusual_capitals() -> None:
    text = "İstanbul mug under £5"
    (span,) = parse_money(text).spans
    assert text[span[0] : span[1]] == "under £5"
