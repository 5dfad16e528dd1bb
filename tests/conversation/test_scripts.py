"""Scripted conversations with the real agent over the demo shop, checked turn by turn.

Each file in ``scripts/`` holds the conversations for one theme, as data::

    theme: follow-ups
    scripts:
      - name: cheaper_keeps_only_items_below_the_dearest_one_shown
        shopper: new            # "new" (a fresh shopper, the default) or "demo"
        setup: gift_purchase    # optional: the demo shopper buys the demo gift item first
        turns:
          - say: show me some candles
            expect: {suggestions: some}
          - say: something cheaper
            expect: {all_cheaper_than_previous_max: true, differs_from_previous: true}

"Previous" in a check means the latest earlier turn that showed suggestions. The checks
look at behaviour (which items, prices, questions, hand-overs), never at exact wording;
the vocabulary is :data:`CHECKS`, documented where each check is defined.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.clock import FixedClock
from agent.domain import (
    Audience,
    CatalogItem,
    ClarifyingQuestion,
    Escalation,
    EscalationCause,
    FactSource,
    PreferenceFact,
    QuestionStatus,
    Reply,
    ShopperMode,
    Suggestion,
)
from agent.embedding import Embedder
from agent.facade import Tactful
from agent.settings import Settings
from tests.helpers import purchase

SCRIPTS = Path(__file__).parent / "scripts"
ROOT = Path(__file__).resolve().parents[2]
#: The demo shopper and the item whose purchase looks like a gift (data/demo.json).
DEMO = json.loads((ROOT / "data" / "demo.json").read_text(encoding="utf-8"))

#: Tags that mark what is never shown to a child (see agent/ingest/audiences.json).
ADULT_TAGS = frozenset({"alcohol", "innuendo", "smoking", "shaving", "cosmetics"})


# -- loading the scripts ------------------------------------------------------------------


@dataclass(frozen=True)
class Script:
    theme: str
    name: str
    turns: list[dict[str, Any]]
    shopper: str = "new"
    setup: str | None = None


def _load_scripts() -> list[Script]:
    scripts = []
    for path in sorted(SCRIPTS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for raw in data["scripts"]:
            scripts.append(
                Script(
                    theme=data["theme"],
                    name=raw["name"],
                    turns=raw["turns"],
                    shopper=raw.get("shopper", "new"),
                    setup=raw.get("setup"),
                )
            )
    return scripts


ALL_SCRIPTS = _load_scripts()


# -- what the checks see ------------------------------------------------------------------


@dataclass
class Seen:
    """The conversation so far, as the checks of one turn see it."""

    reply: Reply
    replies: list[Reply] = field(default_factory=list)  # every earlier reply, in order
    asked: Reply | None = None  # the latest earlier reply that put a question

    @property
    def previous(self) -> list[Suggestion]:
        """The suggestions of the latest earlier turn that showed any."""
        for earlier in reversed(self.replies):
            if earlier.suggestions:
                return earlier.suggestions
        raise AssertionError("the check needs an earlier turn with suggestions")

    def at_turn(self, turn: int) -> list[Suggestion]:
        """The suggestions shown at a turn of the script, numbered from 1."""
        return self.replies[turn - 1].suggestions


def _ids(suggestions: list[Suggestion]) -> list[str]:
    return [s.item.item_id for s in suggestions]


def _prices(suggestions: list[Suggestion]) -> list[float]:
    prices = [s.item.price for s in suggestions]
    assert all(p is not None for p in prices), "every demo item has a price"
    return [float(p) for p in prices if p is not None]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _titled(suggestion: Suggestion, words: list[str]) -> bool:
    return bool(_words(suggestion.item.title) & {w.lower() for w in words})


def _shown(reply: Reply) -> str:
    return "\n".join(
        f"  {i}. {s.item.title} (£{s.item.price}, {s.item.category}, "
        f"{s.item.audience}, {list(s.item.tags)}) — {s.reason}"
        for i, s in enumerate(reply.suggestions, 1)
    )


def _count_bounds(matching: int, total: int, spec: dict[str, Any]) -> None:
    if "at_least" in spec:
        assert matching >= spec["at_least"], f"{matching} match, want at least {spec['at_least']}"
    if "at_most" in spec:
        assert matching <= spec["at_most"], f"{matching} match, want at most {spec['at_most']}"
    if "share_at_least" in spec:
        assert total and matching / total >= spec["share_at_least"], (
            f"{matching} of {total} match, want a share of at least {spec['share_at_least']}"
        )
    if "share_at_most" in spec:
        assert not total or matching / total <= spec["share_at_most"], (
            f"{matching} of {total} match, want a share of at most {spec['share_at_most']}"
        )


def _matching_spec(value: Any) -> dict[str, Any]:
    """A list means "at least one"; a mapping names ``any`` and its bounds."""
    if isinstance(value, list):
        return {"any": value, "at_least": 1}
    return dict(value)


# -- the checks ---------------------------------------------------------------------------


def suggestions(seen: Seen, value: str) -> None:
    """``some`` or ``none``: whether the turn shows suggestions at all."""
    assert value in ("some", "none"), value
    if value == "some":
        assert seen.reply.suggestions, "expected suggestions, got none"
    else:
        assert not seen.reply.suggestions, "expected no suggestions"


def count_at_most(seen: Seen, value: int) -> None:
    assert len(seen.reply.suggestions) <= value


def all_prices_below(seen: Seen, value: float) -> None:
    over = [p for p in _prices(seen.reply.suggestions) if p >= value]
    assert not over, f"prices not below {value}: {over}"


def all_cheaper_than_previous_max(seen: Seen, value: bool) -> None:
    bound = max(_prices(seen.previous))
    over = [p for p in _prices(seen.reply.suggestions) if p >= bound]
    assert not over, f"not cheaper than the dearest shown before (£{bound}): {over}"


def all_cheaper_than_previous_item(seen: Seen, value: int) -> None:
    """Every price is below that of the item at that position of the previous list."""
    bound = seen.previous[value - 1].item.price
    assert bound is not None, "the earlier item has no price"
    over = [p for p in _prices(seen.reply.suggestions) if p >= bound]
    assert not over, f"not cheaper than item {value} shown before (£{bound}): {over}"


def all_pricier_than_previous_min(seen: Seen, value: bool) -> None:
    bound = min(_prices(seen.previous))
    under = [p for p in _prices(seen.reply.suggestions) if p <= bound]
    assert not under, f"not pricier than the cheapest shown before (£{bound}): {under}"


def says_cheaper_bound(seen: Seen, value: bool) -> None:
    """The reply names the bound it applied: a price no higher than the dearest one shown
    before, that every item shown now keeps to."""
    ceiling = max(_prices(seen.previous))
    floor = max(_prices(seen.reply.suggestions), default=0.0)
    stated = [float(a) for a in re.findall(r"[£$€]\s?(\d+(?:\.\d{1,2})?)", seen.reply.text)]
    assert any(floor <= a <= ceiling for a in stated), (
        f"no bound between £{floor} and £{ceiling} in the reply (amounts said: {stated})"
    )


def differs_from_previous(seen: Seen, value: bool) -> None:
    assert _ids(seen.reply.suggestions) != _ids(seen.previous), "the same list again"


def none_of_previous(seen: Seen, value: bool) -> None:
    again = set(_ids(seen.reply.suggestions)) & set(_ids(seen.previous))
    assert not again, f"shown again: {sorted(again)}"


def not_item_at(seen: Seen, value: int | dict[str, int]) -> None:
    """An int: that position of the previous list; ``{turn, position}``: of that turn."""
    if isinstance(value, int):
        earlier = seen.previous[value - 1]
    else:
        earlier = seen.at_turn(value["turn"])[value["position"] - 1]
    assert earlier.item.item_id not in _ids(seen.reply.suggestions), (
        f"{earlier.item.title} is shown again"
    )


def only_previous(seen: Seen, value: bool) -> None:
    new = set(_ids(seen.reply.suggestions)) - set(_ids(seen.previous))
    assert not new, f"not among the ones shown before: {sorted(new)}"


def first_is_previous_cheapest(seen: Seen, value: bool) -> None:
    cheapest = min(_prices(seen.previous))
    assert seen.reply.suggestions, "no answer"
    assert seen.reply.suggestions[0].item.price == cheapest, (
        f"the first is not the cheapest shown before (£{cheapest})"
    )


def in_price_order(seen: Seen, value: str) -> None:
    """Cheapest first ("low") or dearest first ("high")."""
    prices = _prices(seen.reply.suggestions)
    assert prices, "no answer"
    wanted = sorted(prices, reverse=value == "high")
    assert prices == wanted, f"prices {prices} are not {value} first"


def mentions_previous_item(seen: Seen, value: int) -> None:
    """The text or a reason names the item at that position of the previous list."""
    title = seen.previous[value - 1].item.title.lower()
    said = [seen.reply.text, *(s.reason for s in seen.reply.suggestions)]
    assert any(title in s.lower() for s in said), f"{title!r} is not mentioned"


def mentions_question_item(seen: Seen, value: bool) -> None:
    """The reply names the item the open question is about."""
    assert seen.asked is not None and seen.asked.question is not None, "no question was asked"
    title = seen.asked.question.item_title.lower()
    assert title in seen.reply.text.lower(), f"{title!r} is not mentioned"


def titles_include_any(seen: Seen, value: Any) -> None:
    """Items whose title has any of the words: a list (at least one) or ``{any, bounds}``."""
    spec = _matching_spec(value)
    matching = sum(_titled(s, spec["any"]) for s in seen.reply.suggestions)
    _count_bounds(matching, len(seen.reply.suggestions), spec)


def titles_exclude_words(seen: Seen, value: list[str]) -> None:
    bad = [s.item.title for s in seen.reply.suggestions if _titled(s, value)]
    assert not bad, f"titles with {value}: {bad}"


def categories_include_any(seen: Seen, value: Any) -> None:
    spec = _matching_spec(value)
    matching = sum(s.item.category in spec["any"] for s in seen.reply.suggestions)
    _count_bounds(matching, len(seen.reply.suggestions), spec)


def no_adult_items(seen: Seen, value: bool) -> None:
    bad = [
        s.item.title
        for s in seen.reply.suggestions
        if s.item.audience is Audience.ADULT or set(s.item.tags) & ADULT_TAGS
    ]
    assert not bad, f"not for children: {bad}"


def audiences_exclude(seen: Seen, value: list[str]) -> None:
    bad = [
        s.item.title
        for s in seen.reply.suggestions
        if s.item.audience is not None and s.item.audience.value in value
    ]
    assert not bad, f"items for {value}: {bad}"


def text_includes_any(seen: Seen, value: list[str]) -> None:
    text = seen.reply.text.lower()
    assert any(v.lower() in text for v in value), f"none of {value} in the reply"


def text_excludes(seen: Seen, value: list[str]) -> None:
    text = seen.reply.text.lower()
    found = [v for v in value if v.lower() in text]
    assert not found, f"the reply says {found}"


def reason_mentions_any(seen: Seen, value: list[str]) -> None:
    """At least one suggestion's reason mentions one of the words."""
    reasons = [s.reason.lower() for s in seen.reply.suggestions]
    assert any(v.lower() in r for r in reasons for v in value), f"no reason mentions {value}"


def facts_changed_mention_any(seen: Seen, value: list[str]) -> None:
    """The turn learned (or changed) a fact about one of these."""
    said = [f"{f.text} {f.subject} {f.recipient or ''}".lower() for f in seen.reply.facts_changed]
    assert any(v.lower() in s for s in said for v in value), (
        f"no changed fact mentions {value}: {said}"
    )


def asks_question(seen: Seen, value: bool) -> None:
    assert (seen.reply.question is not None) is value, f"question: {seen.reply.question}"


def escalates(seen: Seen, value: bool) -> None:
    assert (seen.reply.escalation is not None) is value, f"escalation: {seen.reply.escalation}"


def escalation_cause(seen: Seen, value: str) -> None:
    """Why the turn handed over: requested, frustration, no_good_answer or sensitive."""
    assert seen.reply.escalation is not None, "no hand-over"
    assert seen.reply.escalation.cause.value == value, seen.reply.escalation.cause


CHECKS: dict[str, Callable[[Seen, Any], None]] = {
    check.__name__: check
    for check in (
        suggestions,
        count_at_most,
        all_prices_below,
        all_cheaper_than_previous_max,
        all_cheaper_than_previous_item,
        all_pricier_than_previous_min,
        says_cheaper_bound,
        differs_from_previous,
        none_of_previous,
        not_item_at,
        only_previous,
        first_is_previous_cheapest,
        in_price_order,
        mentions_previous_item,
        mentions_question_item,
        titles_include_any,
        titles_exclude_words,
        categories_include_any,
        no_adult_items,
        audiences_exclude,
        text_includes_any,
        text_excludes,
        reason_mentions_any,
        facts_changed_mention_any,
        asks_question,
        escalates,
        escalation_cause,
    )
}


# -- the agents ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_shop(
    tmp_path_factory: pytest.TempPathFactory,
    demo_template: Path,
    data_now: datetime,
    embedder: Embedder,
) -> Iterator[Tactful]:
    """One copy of the demo shop for every script with a fresh shopper of its own."""
    home = tmp_path_factory.mktemp("scripts") / "home"
    shutil.copytree(demo_template, home)
    with Tactful.open(Settings(home=home), clock=FixedClock(data_now), embedder=embedder) as shop:
        yield shop


@pytest.fixture
def agent_for(
    shared_shop: Tactful,
    demo_template: Path,
    data_now: datetime,
    embedder: Embedder,
    tmp_path: Path,
) -> Iterator[Callable[[Script], tuple[Tactful, str]]]:
    """The shop a script talks to, and the shopper it talks as."""
    opened: list[Tactful] = []

    def open_for(script: Script) -> tuple[Tactful, str]:
        if script.shopper == "new" and script.setup is None:
            digest = hashlib.sha1(script.name.encode()).hexdigest()[:12]
            return shared_shop, f"script-{digest}"
        assert script.shopper == "demo", script.shopper
        # The demo shopper's history changes with the script, so it gets a private shop.
        home = tmp_path / "home"
        shutil.copytree(demo_template, home)
        clock = FixedClock(data_now)
        shop = Tactful.open(Settings(home=home), clock=clock, embedder=embedder)
        opened.append(shop)
        shopper = str(DEMO["shopper_id"])
        if script.setup == "gift_purchase":
            report = shop.record_events([purchase(shopper, str(DEMO["gift_item_id"]), clock)])
            assert report.questions, "the demo gift purchase is held behind a question"
        else:
            assert script.setup is None, script.setup
        return shop, shopper

    yield open_for
    for shop in opened:
        shop.close()


# -- the runner ---------------------------------------------------------------------------


@pytest.mark.parametrize("script", ALL_SCRIPTS, ids=[s.name for s in ALL_SCRIPTS])
def test_conversation_goes_as_scripted(
    script: Script, agent_for: Callable[[Script], tuple[Tactful, str]]
) -> None:
    shop, shopper = agent_for(script)
    replies: list[Reply] = []
    asked: Reply | None = None
    conversation: str | None = None
    transcript: list[str] = []
    for number, turn in enumerate(script.turns, 1):
        reply = shop.chat(shopper, turn["say"], conversation_id=conversation)
        conversation = reply.conversation_id
        transcript.append(f"[{number}] shopper: {turn['say']}\n  agent: {reply.text}")
        transcript.append(_shown(reply))
        seen = Seen(reply=reply, replies=list(replies), asked=asked)
        for name, value in (turn.get("expect") or {}).items():
            check = CHECKS.get(name)
            assert check is not None, f"unknown check {name!r} in {script.name}"
            try:
                check(seen, value)
            except AssertionError as failure:
                story = "\n".join(transcript)
                pytest.fail(f"turn {number} ({turn['say']!r}), {name}: {failure}\n{story}")
        replies.append(reply)
        if reply.question is not None:
            asked = reply


def test_scripts_are_well_formed_and_there_are_at_least_forty() -> None:
    assert len(ALL_SCRIPTS) >= 40
    assert len({s.name for s in ALL_SCRIPTS}) == len(ALL_SCRIPTS), "script names are unique"
    for script in ALL_SCRIPTS:
        assert script.turns, script.name
        for turn in script.turns:
            assert set(turn) <= {"say", "expect"}, (script.name, turn)
            assert set(turn.get("expect") or {}) <= set(CHECKS), (script.name, turn)


# -- the checks themselves can fail --------------------------------------------------------

_AT = datetime(2011, 12, 10, 12, 0)


def _item(item_id: str, title: str, price: float, **fields: Any) -> Suggestion:
    item = CatalogItem(item_id=item_id, title=title, price=price, **fields)
    return Suggestion(item=item, score=1.0, factors=[], reason=f"Because it matches {title}.")


def _reply(*items: Suggestion, text: str = "Here you go.", **fields: Any) -> Reply:
    return Reply(
        conversation_id="c",
        text=text,
        mode=ShopperMode.BROWSING,
        mode_reason="",
        personalized=True,
        suggestions=list(items),
        **fields,
    )


MUG = _item("1", "Red Spotty Mug", 2.5, category="kitchen & dining")
CANDLE = _item("2", "Vanilla Candle", 1.0, category="candles & lights")
LAMP = _item("3", "Table Lamp", 9.0, category="candles & lights")
GIN = _item("4", "Gin and Tonic Glass", 3.0, audience=Audience.ADULT, tags=["alcohol"])
DOLL = _item("5", "Feltcraft Doll", 3.75)
BEFORE = _reply(MUG, CANDLE, LAMP)
QUESTION = ClarifyingQuestion(
    question_id="q",
    shopper_id="s",
    event_id="e",
    item_id="5",
    item_title="Feltcraft Doll",
    text="Was the Feltcraft Doll for someone else?",
    status=QuestionStatus.ASKED,
    created_at=_AT,
)
NIECE = PreferenceFact(
    fact_id="f",
    shopper_id="s",
    text="buys gifts for their niece",
    source=FactSource.CONFIRMED,
    confidence=1.0,
    created_at=_AT,
    reinforced_at=_AT,
    recipient="niece",
)
HANDOVER = Escalation(
    escalation_id="x",
    conversation_id="c",
    shopper_id="s",
    cause=EscalationCause.REQUESTED,
    detail="",
    at=_AT,
)

#: For every check: a value, a reply it passes on and a reply it fails on (after BEFORE).
CHECK_CASES: dict[str, tuple[Any, Reply, Reply]] = {
    "suggestions": ("none", _reply(), _reply(MUG)),
    "count_at_most": (1, _reply(MUG), _reply(MUG, CANDLE)),
    "all_prices_below": (3, _reply(MUG), _reply(MUG, LAMP)),
    "all_cheaper_than_previous_max": (True, _reply(MUG), _reply(LAMP)),
    "all_cheaper_than_previous_item": (1, _reply(CANDLE), _reply(DOLL)),
    "all_pricier_than_previous_min": (True, _reply(MUG), _reply(CANDLE)),
    "says_cheaper_bound": (True, _reply(MUG, text="Now under £3."), _reply(MUG, text="Under £2.")),
    "differs_from_previous": (True, _reply(MUG), _reply(MUG, CANDLE, LAMP)),
    "none_of_previous": (True, _reply(DOLL), _reply(DOLL, LAMP)),
    "not_item_at": (2, _reply(MUG, LAMP), _reply(CANDLE)),
    "only_previous": (True, _reply(CANDLE), _reply(CANDLE, DOLL)),
    "first_is_previous_cheapest": (True, _reply(CANDLE, MUG), _reply(MUG, CANDLE)),
    "in_price_order": ("low", _reply(CANDLE, MUG, LAMP), _reply(MUG, CANDLE)),
    "mentions_previous_item": (2, _reply(text="More like the vanilla candle."), _reply()),
    "mentions_question_item": (
        True,
        _reply(text="The Feltcraft Doll looked like a gift."),
        _reply(),
    ),
    "titles_include_any": ({"any": ["mug"], "share_at_least": 0.5}, _reply(MUG), BEFORE),
    "titles_exclude_words": (["red"], _reply(CANDLE), _reply(MUG)),
    "categories_include_any": ({"any": ["candles & lights"], "at_most": 1}, _reply(LAMP), BEFORE),
    "no_adult_items": (True, _reply(MUG), _reply(MUG, GIN)),
    "audiences_exclude": (["adult"], _reply(DOLL), _reply(GIN)),
    "text_includes_any": (["sister"], _reply(text="For your Sister:"), _reply()),
    "text_excludes": (["couldn't find"], _reply(), _reply(text="I couldn't find that.")),
    "reason_mentions_any": (["mug"], _reply(MUG), _reply(CANDLE)),
    "facts_changed_mention_any": (["niece"], _reply(facts_changed=[NIECE]), _reply()),
    "asks_question": (True, _reply(question=QUESTION), _reply()),
    "escalates": (True, _reply(escalation=HANDOVER), _reply()),
    "escalation_cause": ("requested", _reply(escalation=HANDOVER), _reply()),
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_every_check_passes_and_fails_on_made_up_replies(name: str) -> None:
    value, good, bad = CHECK_CASES[name]
    asked = _reply(question=QUESTION)
    CHECKS[name](Seen(reply=good, replies=[BEFORE], asked=asked), value)
    with pytest.raises(AssertionError):
        CHECKS[name](Seen(reply=bad, replies=[BEFORE], asked=asked), value)
