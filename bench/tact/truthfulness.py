"""Do reasons tell the truth in every situation a shopper can be in?

A *case* is one shopper asking once: in some mode, at some clock (the data's own "now",
or today, when their history has faded), with or without a request (a real product
word, or chat filler that names nothing), and maybe after a fresh event an hour before
the clock — recorded with or without the clarification policy, possibly bought for
their niece, possibly asked about and answered "it was for my niece". Every suggestion
of the answer is checked:

* ``own_evidence`` — every cited event is one of the shopper's own and counts for them
  in this mode (an event for someone else only in gift mode for that person); every
  cited fact is theirs and active;
* ``personal_evidence`` — taste, stated facts and similar shoppers never contribute
  without the evidence behind them;
* ``cited_only`` — every phrase of the reason belongs to a cited factor; "nothing about
  you" only when no personal factor contributed; "you bought" only of purchases, and
  "for your niece" whenever a named purchase was for her;
* ``titles`` — no item title appears in the reason unless it is cited evidence;
* ``stopwords`` — a quoted request holds no stop-word;
* ``popularity`` — "popular right now" only above the threshold in
  :mod:`tools.interactions`;
* ``trending`` — "selling faster lately" only of an item whose orders in the last two
  weeks outpace its last three months, with those counts;
* ``counterfactual`` — taking away the evidence of each cited factor lowers that
  factor's contribution (:func:`bench.tact.faithfulness.remove_evidence`).

A suggestion *passes* when it fails none of these. Apart from them, the counterfactual
pass rate counts the cited factors whose removal lowers the *whole* score, as
`faithfulness.py` does: that can fail now and then for a true reason, because the
shopper's taste also picks their similar shoppers, who shift when an event goes.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from agent.clock import FixedClock
from agent.domain import BehaviourEvent, EventKind, FactorName, ShopperMode, Suggestion
from agent.facade import Tactful
from agent.recommender import STOPWORDS, Request
from bench.tact.faithfulness import remove_evidence
from tools.explain import cited_factors
from tools.interactions import POPULAR_MIN_BUYERS
from tools.ranker import NEXT_COUNT_REF
from tools.types import Evidence, EvidenceKind

#: "Today" for the faded-history cases: years after the data ends.
TODAY = datetime(2026, 11, 30, 12, 0)
RECIPIENT = "niece"
K = 10
#: Requests that name no product at all: nothing in them may be quoted back.
FILLERS = (
    "do you track what I buy?",
    "none of your business",
    "anything really",
    "please show me something nice",
    "what would you suggest for me?",
    "I just want to see some stuff",
)
FRESH_KINDS = (EventKind.PURCHASE, EventKind.PURCHASE, EventKind.LIKE, EventKind.VIEW)
CHECKS = (
    "own_evidence",
    "personal_evidence",
    "cited_only",
    "titles",
    "stopwords",
    "popularity",
    "trending",
    "counterfactual",
)
PERSONAL = (FactorName.TASTE, FactorName.STATED, FactorName.COMMUNITY, FactorName.LATENT)
#: Words in a reason that only a phrase of this factor uses.
MARKERS: dict[FactorName, tuple[str, ...]] = {
    FactorName.TASTE: ("you bought", "you liked", "you looked at", "you put", "you rated"),
    FactorName.STATED: ("you told me",),
    FactorName.COMMUNITY: ("like yours", "similar taste"),
    FactorName.POPULARITY: ("popular right now", "lots of people are buying"),
    FactorName.TRENDING: ("selling faster lately",),
    FactorName.REQUEST: ('it matches "',),
    FactorName.BUY_AGAIN: ("you order this", "you last ordered"),
    FactorName.BOUGHT_NEXT: ("has followed it in shoppers'",),
    FactorName.LATENT: ("tastes like yours, going by",),
}
POPULAR_PHRASES = MARKERS[FactorName.POPULARITY]
TRENDING_PHRASE = MARKERS[FactorName.TRENDING][0]
FALLBACK = "nothing about you"
_QUOTE = re.compile(r'"([^"]*)"')
#: The bought-next phrase: what the shopper did, the item quoted, and how many times.
_NEXT = re.compile(
    r"you (bought|rated) ((?:(?!you (?:bought|rated) ).)+?) lately, "
    r"and this has followed it in shoppers' (?:orders|ratings) (once|twice|\d+ times)"
)
_VERBS = {"bought": EventKind.PURCHASE, "rated": EventKind.RATING}
#: The latent-taste phrase: the items quoted and what the shopper did with them.
_LATENT = re.compile(
    r"shoppers with tastes like yours, going by the (.+?) you "
    r"(bought|liked|rated highly|put in your basket), tend to choose it"
)
_LATENT_VERBS = {
    "bought": EventKind.PURCHASE,
    "liked": EventKind.LIKE,
    "rated highly": EventKind.RATING,
    "put in your basket": EventKind.CART,
}
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Case:
    """One shopper asking once, after maybe one fresh event."""

    shopper_id: str
    mode: ShopperMode
    query: str | None = None
    fresh_item: str | None = None
    fresh_kind: EventKind = EventKind.PURCHASE
    clarify: bool = False
    for_niece: bool = False
    answer_for_niece: bool = False


@dataclass
class TruthResult:
    cases: int = 0
    suggestions: int = 0
    passing: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    cited: int = 0
    counterfactual_passing: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, verdict: Verdict) -> None:
        self.suggestions += 1
        self.passing += not verdict.failed
        self.failures.update(verdict.failed)
        self.cited += verdict.cited
        self.counterfactual_passing += verdict.score_falls
        if verdict.failed and len(self.examples) < 10:
            self.examples.append(f"{verdict.failed}: {verdict.reason}")

    def summary(self) -> dict[str, object]:
        return {
            "cases": self.cases,
            "suggestions": self.suggestions,
            "share_passing_every_check": round(self.passing / self.suggestions, 6)
            if self.suggestions
            else 0.0,
            "cited_factors": self.cited,
            "share_counterfactual_passing": round(self.counterfactual_passing / self.cited, 6)
            if self.cited
            else 0.0,
            "failures_by_check": {check: self.failures[check] for check in CHECKS},
            "cited_factors_whose_removal_did_not_lower_the_score": self.cited
            - self.counterfactual_passing,
            "failure_examples": self.examples,
        }


@dataclass
class Verdict:
    reason: str
    failed: list[str]
    cited: int
    score_falls: int


def play(tactful: Tactful, case: Case, event_id: str) -> tuple[Request, list[Suggestion]]:
    """Record the case's fresh event (and answer), then ask for suggestions."""
    if case.fresh_item is not None:
        event = BehaviourEvent(
            event_id=event_id,
            shopper_id=case.shopper_id,
            item_id=case.fresh_item,
            kind=case.fresh_kind,
            at=tactful.clock.now() - timedelta(hours=1),
            recipient=RECIPIENT if case.for_niece else None,
        )
        report = tactful.record_events([event], clarify=case.clarify)
        if case.answer_for_niece:
            for question in report.questions:
                tactful.clarifier.answer(question, about_me=False, recipient=RECIPIENT)
    request = Request(
        mode=case.mode,
        k=K,
        query=case.query,
        recipient=RECIPIENT if case.mode is ShopperMode.GIFT else None,
    )
    suggestions = tactful.recommender.recommend(case.shopper_id, request, personalized=True)
    return request, suggestions


def check(
    tactful: Tactful, shopper_id: str, request: Request, suggestions: Sequence[Suggestion]
) -> list[Verdict]:
    """Every check above, for every suggestion of one answer."""
    events = {e.event_id: e for e in tactful.records.events_for(shopper_id)}
    facts = {f.fact_id for f, _ in tactful.profiles.facts(shopper_id)}
    catalog = tactful.index.catalog
    titles = sorted({item.title.lower() for item in catalog.items}, key=len, reverse=True)
    index = tactful.index.current(tactful.clock.now())
    buyers, pace = index.recent_buyers, index.pace
    bought = buyers[buyers > 0]
    median = float(np.median(bought)) if bought.size else 0.0
    base = tactful.recommender.rank_input(shopper_id, request, personalized=True)
    verdicts = []
    for suggestion in suggestions:
        row = catalog.row(suggestion.item.item_id)
        assert row is not None
        popular = bool(buyers[row] >= POPULAR_MIN_BUYERS and buyers[row] > median)
        failed = _failures(suggestion, request, events, facts, titles, popular)
        if TRENDING_PHRASE in suggestion.reason.lower() and not (
            pace.sayable(row) and pace.label(row) in suggestion.reason
        ):
            failed.append("trending")
        cited = cited_factors(suggestion)
        falls = [remove_evidence(tactful, shopper_id, request, base, suggestion, f) for f in cited]
        if not all(fall.factor for fall in falls):
            failed.append("counterfactual")
        verdicts.append(
            Verdict(suggestion.reason, failed, len(cited), sum(fall.score for fall in falls))
        )
    return verdicts


def _failures(
    suggestion: Suggestion,
    request: Request,
    events: dict[str, BehaviourEvent],
    facts: set[str],
    titles: list[str],
    popular: bool,
) -> list[str]:
    failed: list[str] = []
    gift_for = request.recipient if request.mode is ShopperMode.GIFT else None
    cited = cited_factors(suggestion)
    cited_names = {f.name for f in cited}
    taste = suggestion.factor(FactorName.TASTE)
    taste_events = [e for e in (taste.evidence if taste else []) if e.kind is EvidenceKind.EVENT]

    def counts_for_them(factor: FactorName, event_id: str) -> bool:
        event = events.get(event_id)
        if event is None:
            return False
        if factor is FactorName.TASTE and gift_for is not None:
            return _same_person(event.recipient, gift_for)
        return event.recipient is None

    if not all(
        (e.kind is not EvidenceKind.EVENT or counts_for_them(f.name, e.ref))
        and (e.kind is not EvidenceKind.FACT or e.ref in facts)
        for f in suggestion.factors
        for e in f.evidence
    ):
        failed.append("own_evidence")

    if any(
        f.name in PERSONAL and f.contribution > 0 and not f.evidence for f in suggestion.factors
    ):
        failed.append("personal_evidence")

    reason = suggestion.reason.lower()
    if not all(_next_backed(m, suggestion, events) for m in _NEXT.finditer(reason)):
        failed.append("cited_only")
    if not all(_latent_backed(m, suggestion, events) for m in _LATENT.finditer(reason)):
        failed.append("cited_only")
    # What the bought-next and latent phrases say is checked above; the rest is checked here.
    text = _NEXT.sub(" has followed it in shoppers' ", reason)
    text = _LATENT.sub(" latent taste ", text)
    named = [e for e in taste_events if e.label.lower() in text]
    for label in sorted({e.label.lower() for e in taste_events}, key=len, reverse=True):
        text = text.replace(label, " ")
    personal = any(f.name in PERSONAL and f.contribution > 0 for f in suggestion.factors)
    if (
        any(
            any(m in text for m in markers) and name not in cited_names
            for name, markers in MARKERS.items()
        )
        or (FALLBACK in text and personal)
        or ("you bought" in text and not all(_bought(events, named, e.label) for e in named))
        or any(f"for your {whom.lower()}" not in reason for whom in _recipients(events, named))
    ):
        failed.append("cited_only")

    cited_labels = {
        e.label.lower() for f in cited if f.name is FactorName.TASTE for e in f.evidence
    }
    if any(label not in cited_labels for label in (e.label.lower() for e in named)) or any(
        title in text for title in titles if len(title) > 3
    ):
        failed.append("titles")

    if any(w in STOPWORDS for q in _QUOTE.findall(reason) for w in _WORD.findall(q)):
        failed.append("stopwords")

    if any(p in reason for p in POPULAR_PHRASES) and not popular:
        failed.append("popularity")
    return failed


def _next_backed(
    phrase: re.Match[str], suggestion: Suggestion, events: dict[str, BehaviourEvent]
) -> bool:
    """Whether a bought-next phrase quotes the shopper's own event of that kind and the
    true count of shoppers' moves from it to this item."""
    verb, title, times = phrase.groups()
    factor = suggestion.factor(FactorName.BOUGHT_NEXT)
    if factor is None:
        return False
    count = {"once": "1", "twice": "2"}.get(times, times.split()[0])
    cited = [
        e
        for e in factor.evidence
        if e.kind is EvidenceKind.EVENT
        and e.label.lower() == title
        and (event := events.get(e.ref)) is not None
        and event.kind is _VERBS[verb]
    ]
    # Each source's events come just before its count.
    counts: dict[str, str] = {}
    source = ""
    for e in factor.evidence:
        if e.kind is EvidenceKind.EVENT:
            source = e.label.lower()
        elif e.ref.startswith(NEXT_COUNT_REF):
            counts[source] = e.label
    return bool(cited) and counts.get(title) == count


def _latent_backed(
    phrase: re.Match[str], suggestion: Suggestion, events: dict[str, BehaviourEvent]
) -> bool:
    """Whether a latent-taste phrase quotes only items the factor cites with a positive
    term, each by one of the shopper's own events of the kind the phrase says."""
    quoted, verb = phrase.groups()
    factor = suggestion.factor(FactorName.LATENT)
    if factor is None:
        return False
    labels = {
        e.label.lower()
        for e in factor.evidence
        if e.weight > 0
        and (event := events.get(e.ref)) is not None
        and event.kind is _LATENT_VERBS[verb]
    }
    for label in sorted(labels, key=len, reverse=True):
        quoted = quoted.replace(label, " ")
    return bool(labels) and not quoted.replace(" and ", " ").replace(",", " ").strip()


def _bought(events: dict[str, BehaviourEvent], named: list[Evidence], label: str) -> bool:
    """Whether one of the cited events behind an item named in the reason is a purchase."""
    return any(
        (event := events.get(e.ref)) is not None and event.kind is EventKind.PURCHASE
        for e in named
        if e.label == label
    )


def _recipients(events: dict[str, BehaviourEvent], named: list[Evidence]) -> set[str]:
    """Who the purchases behind the items named in the reason were for, if not the shopper."""
    return {
        event.recipient
        for e in named
        if (event := events.get(e.ref)) is not None
        and event.recipient
        and event.kind is EventKind.PURCHASE
    }


def _same_person(a: str | None, b: str) -> bool:
    return a is not None and a.strip().lower() == b.strip().lower()


def plan(
    customers: Sequence[str], item_ids: Sequence[str], titles: Sequence[str], n: int, seed: int
) -> list[tuple[str, Case]]:
    """``n`` seeded cases, each with the clock it runs at ("data" or "today")."""
    rng = random.Random(seed)
    words = sorted({w for t in titles for w in _WORD.findall(t.lower()) if len(w) > 2})
    cases = []
    for _ in range(n):
        word = rng.choice(words)
        query = rng.choice([None, None, rng.choice(FILLERS), word, f"do you have any {word}?"])
        fresh = rng.random() < 0.7
        clarify = rng.random() < 0.5
        case = Case(
            shopper_id=rng.choice(customers),
            mode=rng.choice(list(ShopperMode)),
            query=query,
            fresh_item=rng.choice(item_ids) if fresh else None,
            fresh_kind=rng.choice(FRESH_KINDS),
            clarify=clarify,
            for_niece=rng.random() < 0.2,
            answer_for_niece=clarify and rng.random() < 0.5,
        )
        cases.append((rng.choice(("data", "today")), case))
    return cases


def run(tactful: Tactful, customers: Sequence[str], n: int, seed: int) -> TruthResult:
    """Play and check ``n`` seeded cases: those at the data's clock first, then today.

    The cases add events to the store, so run them last.
    """
    clock = tactful.clock
    assert isinstance(clock, FixedClock), "the cases move the clock"
    catalog = tactful.index.catalog
    item_ids = [item.item_id for item in catalog.items]
    cases = plan(customers, item_ids, [item.title for item in catalog.items], n, seed)
    result = TruthResult()
    data_now = clock.now()
    for index, (when, case) in enumerate(sorted(cases, key=lambda c: c[0] == "today")):
        clock.at = TODAY if when == "today" else data_now
        request, suggestions = play(tactful, case, f"truth-{seed}-{index}")
        result.cases += 1
        for verdict in check(tactful, case.shopper_id, request, suggestions):
            result.add(verdict)
    clock.at = data_now
    return result
