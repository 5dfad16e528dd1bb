"""The simulated-shopper benchmark: honest scripts, seeded, and success counted right."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from agent.clock import FixedClock
from agent.domain import BehaviourEvent, CatalogItem, EventKind, Reply, ShopperMode, Suggestion
from agent.facade import Tactful
from agent.settings import Settings
from bench.conversation.sim_score import hit, play
from bench.conversation.sim_scripts import Script, category_keywords, vocabulary, words_of
from bench.conversation.simulate import plan, play_all, summarize
from tests.fakes import HashingEmbedder

NOW = datetime(2011, 11, 1)

CANDLES, KITCHEN = "candles & lights", "kitchen & dining"
# Titles with words no template or keyword uses, so any leak would show.
ITEMS = [
    CatalogItem(item_id="c1", title="Zanzibar Quokka Candle", category=CANDLES, price=3),
    CatalogItem(item_id="c2", title="Lavender Tealight Holder", category=CANDLES, price=2),
    CatalogItem(item_id="c3", title="Glass Lantern Moroccan", category=CANDLES, price=8),
    CatalogItem(item_id="m1", title="Obsidian Walrus Mug", category=KITCHEN, price=4),
    CatalogItem(item_id="m2", title="Breakfast Cup Saucer", category=KITCHEN, price=3),
    CatalogItem(item_id="m3", title="Enamel Bowl Blue", category=KITCHEN, price=5),
    CatalogItem(item_id="b1", title="Jumbo Shopper Bag Red", category="bags", price=2),
    CatalogItem(item_id="b2", title="Velvet Coin Purse", category="bags", price=6),
    CatalogItem(item_id="x1", title="Mystery Widget", category="other", price=1),
]  # fmt: skip
TARGETS = {
    "s1": frozenset({"c1"}),
    "s2": frozenset({"m1", "x1"}),
    "s3": frozenset({"b2"}),
    "s4": frozenset({"x1"}),  # nothing in a category the table names
}
USERS = sorted(TARGETS)


def _suggestion(item_id: str) -> Suggestion:
    item = next(i for i in ITEMS if i.item_id == item_id)
    return Suggestion(item=item, score=1.0, factors=[], reason="test")


class ScriptedShop:
    """Answers with fixed item lists; the second chat turn can be made to fail."""

    def __init__(self, first: list[str], follow: list[str], keyword: list[str], fail: bool = False):
        self.first, self.follow, self.keyword, self.fail = first, follow, keyword, fail
        self.calls: list[tuple[str, str | None]] = []

    def chat(self, shopper_id: str, message: str, *, conversation_id: str | None = None) -> Reply:
        self.calls.append((message, conversation_id))
        if conversation_id is not None and self.fail:
            raise RuntimeError("reader broke")
        ids = self.first if conversation_id is None else self.follow
        return Reply(
            conversation_id="conv-1",
            text="here",
            mode=ShopperMode.BROWSING,
            mode_reason="test",
            personalized=True,
            suggestions=[_suggestion(i) for i in ids],
        )

    def recommend(
        self, shopper_id: str, *, k: int = 10, query: str | None = None
    ) -> list[Suggestion]:
        return [_suggestion(i) for i in self.keyword[:k]]


def test_only_customers_with_a_nameable_future_purchase_are_chosen() -> None:
    cases = plan(USERS, TARGETS, ITEMS, count=10, seed=1)

    assert [c.script.shopper_id for c in cases] == ["s1", "s2", "s3"]
    assert cases[1].script.category == "kitchen & dining"  # x1's "other" cannot be asked for


def test_messages_never_quote_the_bought_items_title_beyond_the_category_keywords() -> None:
    keywords = category_keywords()
    for seed in range(60):
        for case in plan(USERS, TARGETS, ITEMS, count=10, seed=seed):
            allowed = {w for k in keywords[case.script.category] for w in words_of(k)}
            allowed |= {w + s for w in allowed for s in ("s", "es")}
            titles = set().union(*(words_of(i.title) for i in ITEMS if i.item_id in case.targets))
            said = words_of(case.script.first) | words_of(case.script.follow_up)
            assert not (said & titles) - allowed, (case.script.first, case.script.follow_up)


def test_the_same_seed_writes_the_same_scripts_and_another_seed_does_not() -> None:
    def scripts(seed: int) -> list[Script]:
        return [c.script for c in plan(USERS, TARGETS, ITEMS, count=10, seed=seed)]

    assert scripts(7) == scripts(7)
    assert any(scripts(7) != scripts(s) for s in range(8, 20))


def test_vocabulary_uses_only_the_categorys_keywords_that_name_catalog_items() -> None:
    words = vocabulary(ITEMS, category_keywords())

    assert "mug" in words["kitchen & dining"]
    assert "lantern" in words["candles & lights"]
    assert "other" not in words
    assert all(w in category_keywords()[c] for c, ws in words.items() for w in ws)


def test_success_counts_a_real_purchase_in_the_first_ten_of_either_turn() -> None:
    assert hit(["a", "b", "c"], {"c"})
    assert not hit([f"i{n}" for n in range(10)] + ["target"], {"target"})

    case = plan(USERS, TARGETS, ITEMS, count=10, seed=3)[0]  # s1, who bought c1
    keyword = ["c2", "c3", "m1", "m2", "m3", "b1", "b2", "x1", "m1", "m2", "c1"]
    shop = ScriptedShop(first=["c2", "c3"], follow=["c1"], keyword=keyword)
    outcome = play(shop, case.script)

    # c1 is 11th for the bare query: missed on its first page, found on its second.
    assert outcome.success(case.targets) == {
        "chat_first": False,
        "chat_within": True,
        "keyword_first": False,
        "keyword_within": True,
    }
    assert shop.calls == [(case.script.first, None), (case.script.follow_up, "conv-1")]
    assert outcome.chat_shown == 3


def test_in_category_success_ignores_a_purchase_found_outside_the_request() -> None:
    case = plan(USERS, TARGETS, ITEMS, count=10, seed=3)[1]  # s2: mug m1, and x1 ("other")
    shop = ScriptedShop(first=["x1"], follow=["m1"], keyword=["x1"])
    outcome = play(shop, case.script)

    assert case.asked == {"m1"}
    assert outcome.success(case.targets)["chat_first"]
    assert outcome.success(case.asked) == {
        "chat_first": False,
        "chat_within": True,
        "keyword_first": False,
        "keyword_within": False,
    }


def test_a_failing_chat_turn_is_counted_and_the_run_goes_on() -> None:
    cases = plan(USERS, TARGETS, ITEMS, count=10, seed=3)
    shop = ScriptedShop(first=["c1", "m1"], follow=[], keyword=[], fail=True)

    outcomes = play_all(shop, cases)
    summary = summarize(cases, outcomes, seed=3)

    assert summary["errors"]["chat_calls_failed"] == len(cases)
    assert summary["tactful conversation"]["first_turn"]["rate"] == round(2 / 3, 4)
    assert summary["bare keyword query"]["within_conversation"]["rate"] == 0.0
    low, high = summary["tactful conversation"]["first_turn"]["ci95"]
    assert 0.0 <= low <= 2 / 3 <= high <= 1.0


def test_the_simulator_talks_to_a_real_tactful_without_failing(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    events = [
        BehaviourEvent(
            event_id=f"e-{shopper}-{item}",
            shopper_id=shopper,
            item_id=item,
            kind=EventKind.PURCHASE,
            at=NOW - timedelta(days=3),
        )
        for shopper, item in [("s1", "c2"), ("s1", "m2"), ("s2", "m3"), ("s3", "b1")]
    ]
    with Tactful.open(
        Settings(home=tmp_path / "home"), clock=clock, embedder=HashingEmbedder()
    ) as tactful:
        tactful.ingest_items(ITEMS)
        tactful.record_events(events, clarify=False)
        tactful.refresh()
        cases = plan(USERS, TARGETS, ITEMS, count=10, seed=0)
        outcomes = play_all(tactful, cases)

    summary = summarize(cases, outcomes, seed=0)
    assert summary["customers"] == 3
    assert summary["errors"]["chat_calls_failed"] == 0, summary["errors"]
    assert summary["errors"]["keyword_calls_failed"] == 0
    assert set(summary["latency_ms"]) == {
        "chat_first",
        "chat_follow_up",
        "keyword_first",
        "keyword_second",
    }
