"""The real-label clarification check reads the magazine reviews as the datasets README
says: its counts are the README's own."""

from __future__ import annotations

from collections import Counter

from bench.tact.magazines import label, load


def test_the_label_rule_checks_received_before_other_before_self() -> None:
    assert label("Great gift", "I renewed this for my husband again") == "other"
    assert label("", "Bought it as a Christmas present for the family") == "other"
    assert label("Loved it", "I received this as a gift from my aunt for my birthday") == "received"
    assert label("", "A treat: I bought it for myself") == "self"
    assert label("Good read", "Lots of articles every month") == "unlabelled"


def test_the_reviews_load_deduplicated_with_the_readme_s_counts() -> None:
    items, reviews = load()
    assert len(reviews) == 2331
    assert len({r.shopper_id for r in reviews}) == 348
    assert len(items) == 157
    assert Counter(r.label for r in reviews)["other"] == 69
    assert Counter(r.label for r in reviews)["received"] == 7
    assert Counter(r.label for r in reviews)["self"] == 4
    assert [r.at for r in reviews] == sorted(r.at for r in reviews)
    # The broken titles are never used: every item reads as its publisher or description.
    assert not any(i.title.startswith("<span") for i in items)
