"""The context-collapse benchmark: gifts in real purchase logs, and whether asking helps.

For a seeded 30 % of the Online Retail test customers, one out-of-profile purchase (an
item far from everything they bought) is injected shortly before the cut, the way a
gift for someone else looks in real logs. Each customer's last real order before the
cut is replayed live too, so the policy also meets ordinary purchases it should *not*
ask about. Three copies of the same store then play it out:

* **clean** — only the real events, questions answered truthfully;
* **polluted** — the injected purchase counted as the shopper's own, no questions;
* **clarified** — the agent's own policy decides whether to ask; a simulated shopper
  answers truthfully ("it was for a friend" for injected events, "for me" otherwise).

NDCG@10 against the customers' real new purchases after the cut is measured in each.

An injected event is *consequential* when counting it as the shopper's own, rather than
not at all, would change at least ``CONSEQUENTIAL_CHANGE`` (3) of the ten items of any
of these lists, before any answer:

* **shown** — the default mode's suggestions, as served (what the policy itself checks);
* **search** — a search for the item's own category (its title when it has none): the
  part of the shop where it would surface again when the shopper looks there;
* **gift** — gift mode with no recipient named, where the shopper's own taste is set
  aside by design, so an event counted as theirs should enter it rarely if ever.

Recall is reported on each and on their union. Precision counts every question asked.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from agent.domain import BehaviourEvent, EventKind, ShopperMode
from agent.embedding import Embedder
from agent.facade import Tactful
from agent.policy.clarify import CONSEQUENTIAL_CHANGE
from agent.recommender import Request
from bench.ranking.splits import Split
from bench.tact.intervals import wilson
from bench.tact.stores import copy_home, import_split, open_home
from tools.taste import Standing
from tools.tuning.metrics import K, user_metrics

INJECTED_SHARE = 0.3
#: The injected purchase happens this long before the cut.
INJECTED_BEFORE_CUT = timedelta(hours=2)
#: A simulated shopper answers at most this many questions in a row.
MAX_TURNS = 4
FOR_SOMEONE_ELSE = "it was for a friend"
FOR_ME = "for me"


@dataclass
class CustomerPlan:
    """What happens to one test customer: the replayed order and maybe an injection."""

    shopper_id: str
    replay: list[BehaviourEvent]
    injected: BehaviourEvent | None = None


@dataclass
class CollapseResult:
    ndcg: dict[str, list[float]] = field(default_factory=dict)
    ndcg_injected: dict[str, list[float]] = field(default_factory=dict)
    questions_about_injected: int = 0
    questions_about_real: int = 0
    injected_events: int = 0
    injected_asked: int = 0
    #: Injected events that would change at least CONSEQUENTIAL_CHANGE of the ten shown.
    consequential: int = 0
    consequential_asked: int = 0
    #: The same in a search of the item's category, in gift mode, and in any of the three.
    consequential_search: int = 0
    consequential_search_asked: int = 0
    consequential_gift: int = 0
    consequential_gift_asked: int = 0
    consequential_any: int = 0
    consequential_any_asked: int = 0
    #: For each injected event before any answer: how many of the ten it changes as it
    #: stands (held for a question, or counted as the shopper's own when not asked).
    unconfirmed_moves: list[int] = field(default_factory=list)
    #: The same in the search of its category.
    unconfirmed_search_moves: list[int] = field(default_factory=list)
    max_questions_per_event: int = 0
    customers: int = 0

    def summary(self) -> dict[str, Any]:
        mean = {k: float(np.mean(v)) if v else 0.0 for k, v in self.ndcg.items()}
        mean_inj = {k: float(np.mean(v)) if v else 0.0 for k, v in self.ndcg_injected.items()}
        asked = self.questions_about_injected + self.questions_about_real
        return {
            "customers": self.customers,
            "injected_customers": self.injected_events,
            "ndcg@10_clean": round(mean["clean"], 6),
            "ndcg@10_polluted": round(mean["polluted"], 6),
            "ndcg@10_clarified": round(mean["clarified"], 6),
            "recovery": round(mean["clarified"] / mean["clean"], 4) if mean["clean"] else 0.0,
            "ndcg@10_injected_clean": round(mean_inj["clean"], 6),
            "ndcg@10_injected_polluted": round(mean_inj["polluted"], 6),
            "ndcg@10_injected_clarified": round(mean_inj["clarified"], 6),
            "recovery_injected": (
                round(mean_inj["clarified"] / mean_inj["clean"], 4) if mean_inj["clean"] else 0.0
            ),
            "question_precision": round(self.questions_about_injected / asked, 4) if asked else 0.0,
            "question_recall": (
                round(self.consequential_asked / self.consequential, 4)
                if self.consequential
                else 0.0
            ),
            "consequential_injected": self.consequential,
            "question_recall_all_injected": (
                round(self.injected_asked / self.injected_events, 4)
                if self.injected_events
                else 0.0
            ),
            "question_precision_interval": wilson(self.questions_about_injected, asked),
            "question_recall_interval": wilson(self.consequential_asked, self.consequential),
            "consequential_in_search": self.consequential_search,
            "question_recall_search": wilson(
                self.consequential_search_asked, self.consequential_search
            ),
            "consequential_in_gift_mode": self.consequential_gift,
            "question_recall_gift_mode": wilson(
                self.consequential_gift_asked, self.consequential_gift
            ),
            "consequential_any_list": self.consequential_any,
            "question_recall_any_list": wilson(
                self.consequential_any_asked, self.consequential_any
            ),
            "unconfirmed_moving_more_than_2": sum(m > 2 for m in self.unconfirmed_moves),
            "max_moved_by_unconfirmed": max(self.unconfirmed_moves, default=0),
            "unconfirmed_moving_more_than_2_in_search": sum(
                m > 2 for m in self.unconfirmed_search_moves
            ),
            "questions_per_shopper": round(asked / self.customers, 4) if self.customers else 0.0,
            "questions_about_real_events": self.questions_about_real,
            "max_questions_per_injected_event": self.max_questions_per_event,
        }


def plan_replays(split: Split, customers: list[str]) -> list[CustomerPlan]:
    """Each customer's last real order before the cut, to be replayed live."""
    plans = []
    for shopper_id in customers:
        history = split.train_events[shopper_id]
        last_order = history[-1].session_id
        replay = [e for e in history if e.session_id == last_order]
        plans.append(CustomerPlan(shopper_id=shopper_id, replay=replay))
    return plans


def inject(split: Split, plans: list[CustomerPlan], tactful: Tactful, seed: int) -> None:
    """Give a seeded 30 % of the customers one purchase far from their history."""
    rng = random.Random(seed)
    chosen = set(rng.sample([p.shopper_id for p in plans], round(INJECTED_SHARE * len(plans))))
    ids, counts = np.unique(split.train.item_ids, return_counts=True)
    popular = [str(i) for i in ids[np.argsort(-counts)][:1500]]
    popular_vectors = tactful.item_vectors(popular)
    for plan in plans:
        if plan.shopper_id not in chosen:
            continue
        bought = {e.item_id for e in split.train_events[plan.shopper_id]}
        closeness = (popular_vectors @ tactful.item_vectors(sorted(bought)).T).max(axis=1)
        # Among the 5 % of popular items least like anything they bought, not bought.
        far = [int(i) for i in np.argsort(closeness)[: len(popular) // 20]]
        far = [i for i in far if popular[i] not in bought]
        plan.injected = BehaviourEvent(
            event_id=f"injected-{plan.shopper_id}",
            shopper_id=plan.shopper_id,
            item_id=popular[rng.choice(far)],
            kind=EventKind.PURCHASE,
            at=split.now - INJECTED_BEFORE_CUT,
        )


def run_collapse(
    split: Split,
    customers: list[str],
    workdir: Path,
    embedder: Embedder,
    *,
    seed: int = 7,
    progress: Callable[[str], None] = print,
) -> tuple[CollapseResult, Path]:
    """Play the three scenarios; returns the result and the clarified store's home."""
    plans = plan_replays(split, customers)
    held_back = {e.event_id for p in plans for e in p.replay}
    base = workdir / "base"
    progress(f"importing the training data ({len(split.train):,} events)")
    import_split(split, base, embedder, held_back=held_back)
    with open_home(base, split, embedder) as tactful:
        inject(split, plans, tactful, seed)
    result = CollapseResult(customers=len(plans))
    for scenario in ("clean", "polluted", "clarified"):
        home = copy_home(base, workdir / scenario)
        progress(f"scenario {scenario}: {len(plans)} customers")
        with open_home(home, split, embedder) as tactful:
            for plan in plans:
                ndcg = _play(tactful, split, plan, scenario, result)
                result.ndcg.setdefault(scenario, []).append(ndcg)
                if plan.injected is not None:
                    result.ndcg_injected.setdefault(scenario, []).append(ndcg)
    result.injected_events = sum(p.injected is not None for p in plans)
    return result, workdir / "clarified"


def _play(
    tactful: Tactful, split: Split, plan: CustomerPlan, scenario: str, result: CollapseResult
) -> float:
    events = list(plan.replay)
    if plan.injected is not None and scenario != "clean":
        events.append(plan.injected)
    tactful.record_events(events, clarify=scenario != "polluted")
    consequential: dict[str, bool] = {}
    if scenario == "clarified" and plan.injected is not None:
        # Before any answer: an answer says whose it is, and nothing is unconfirmed then.
        clarifier, injected = tactful.clarifier, plan.injected
        lists = _lists(tactful, injected)
        consequential = {
            name: clarifier.impact(injected, Standing.OWN, request) >= CONSEQUENTIAL_CHANGE
            for name, request in lists.items()
        }
        standing = tactful.profiles.standings(plan.shopper_id).get(injected.event_id, Standing.OWN)
        result.unconfirmed_moves.append(clarifier.impact(injected, standing))
        result.unconfirmed_search_moves.append(
            clarifier.impact(injected, standing, lists["search"])
        )
    if scenario != "polluted":
        asked = _dialogue(tactful, plan)
        if scenario == "clarified":
            _count(asked, plan, consequential, result)
    return _ndcg(tactful, split, plan)


def _lists(tactful: Tactful, event: BehaviourEvent) -> dict[str, Request | None]:
    """The lists an event is judged consequential on (see the module's docstring)."""
    item = tactful.index.catalog.items[tactful.index.catalog.row(event.item_id) or 0]
    return {
        "shown": None,
        "search": Request(k=K, query=item.category or item.title),
        "gift": Request(mode=ShopperMode.GIFT, k=K),
    }


def _dialogue(tactful: Tactful, plan: CustomerPlan) -> list[str]:
    """A truthful shopper: answers every question; returns the event ids asked about."""
    asked: list[str] = []
    conversation = None
    for _ in range(MAX_TURNS):
        reply = tactful.chat(plan.shopper_id, "show me something", conversation_id=conversation)
        conversation = reply.conversation_id
        if reply.question is None:
            break
        asked.append(reply.question.event_id)
        injected = plan.injected is not None and reply.question.event_id == plan.injected.event_id
        tactful.chat(
            plan.shopper_id,
            FOR_SOMEONE_ELSE if injected else FOR_ME,
            conversation_id=conversation,
        )
    return asked


def _count(
    asked: list[str], plan: CustomerPlan, consequential: dict[str, bool], result: CollapseResult
) -> None:
    injected_id = plan.injected.event_id if plan.injected else None
    about_injected = sum(1 for e in asked if e == injected_id)
    hit = about_injected > 0
    result.questions_about_injected += about_injected
    result.questions_about_real += len(asked) - about_injected
    result.injected_asked += 1 if about_injected else 0
    if consequential:
        shown, search, gift = consequential["shown"], consequential["search"], consequential["gift"]
        result.consequential += shown
        result.consequential_asked += shown and hit
        result.consequential_search += search
        result.consequential_search_asked += search and hit
        result.consequential_gift += gift
        result.consequential_gift_asked += gift and hit
        result.consequential_any += shown or search or gift
        result.consequential_any_asked += (shown or search or gift) and hit
    result.max_questions_per_event = max(result.max_questions_per_event, about_injected)


def _ndcg(tactful: Tactful, split: Split, plan: CustomerPlan) -> float:
    """NDCG@10 of the agent's purchase-mode ranking against the real new purchases."""
    catalog = tactful.index.catalog
    request = Request(mode=ShopperMode.PURCHASE, k=K)
    rank_input = tactful.recommender.rank_input(plan.shopper_id, request, personalized=True)
    excluded = set(split.excluded[plan.shopper_id])
    if plan.injected is not None:
        excluded.add(plan.injected.item_id)
    rank_input = replace(rank_input, exclude_rows=frozenset(catalog.rows(excluded)))
    ranked = tactful.recommender.ranker().rank(rank_input, tactful.clock.now())
    rows = catalog.rows(s.item.item_id for s in ranked)
    targets = set(catalog.rows(split.targets[plan.shopper_id]))
    return user_metrics(rows, targets)[2]
