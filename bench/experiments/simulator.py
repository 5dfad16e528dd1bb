"""Simulated shoppers that prove the experiments machinery: AI-only against staff lists
against the hybrid, on Online Retail, offline.

    python -m bench.experiments.simulator [--quick] [--customers N]

``tactful eval experiments`` runs it too. Writes ``bench/results/experiments.json`` and
``bench/plots/experiments.png``; a quick run writes nothing and only checks the harness.

**The shop.** A real tactful (SQLite + Chroma) holds the Online Retail test split's
training data, everything before 2011-11-01; its catalog is the items sold before that
cut. Its clock is a :class:`~agent.clock.FixedClock` that the simulator moves on.

**The curators.** Staff make the lists a shop would make from its sales figures: for each
category, "Our bestsellers in <category>", the category's ``PER_CATEGORY`` items bought by
the most customers in the ``BESTSELLER_DAYS`` days before the cut (units sold break ties,
so one wholesale order cannot make a bestseller), aimed at that category; and "Our
bestsellers", the ``OVERALL`` such items over all categories, aimed at nothing, so it
answers any browsing request that names no category. Each item's note says it is one of
the bestsellers. One experiment runs from the cut: three equal arms, AI the control.

**The shoppers.** A seeded sample of the split's test customers. What a customer bought on
or after the cut (re-orders included) is what they like: a shown item among those
purchases is a *hit*. Each customer has ``SESSIONS`` sessions, the first at the cut and
the next ``SESSION_GAP`` apart. In each, they open the assistant (one "hi" in chat, which
gives the conversation the session's list, feedback and rating belong to), then get
``K`` suggestions from ``Tactful.recommend`` in the default browsing mode or, sometimes,
for one of the categories they buy from after the cut (weighted by how many of those
purchases fall in it) that a staff list is aimed at. The list is logged as shown, and
they react to it. The reaction model, per shown item (the parameters of
:class:`Reactions`, default values in brackets):

- click it (a ``view`` event 30 s after the list) with probability ``p_click_hit`` (0.30)
  for a hit and ``p_click_noise`` (0.02) otherwise;
- after a click, add it to the basket (a ``cart`` event a minute after the list) with
  ``p_cart_hit`` (0.50) / ``p_cart_noise`` (0.10), and after that buy it (a ``purchase``
  event two minutes after the list) with ``p_buy_hit`` (0.70) / ``p_buy_noise`` (0.30): a
  hit in the quantity the customer really bought it in after the cut, anything else in
  their median quantity per line before the cut;
- after a click on a hit, thumbs up with ``p_up`` (0.30); after a click on a non-hit,
  thumbs down with ``p_down`` (0.30) (with thumbs up alone, the thumbs-up share would be 1
  for everyone);
- an unclicked non-hit gets "not for me" with probability ``p_not_for_me`` (0.10) ×
  *distance*, where the list's distance from the customer's taste is the share of its
  items in categories the customer buys nothing from after the cut;
- and with probability ``p_rate`` (0.40) they rate the session's conversation
  ``round(rating_base + rating_slope × hit share + N(0, rating_noise²))`` with 1.5, 8 and
  0.7, kept within 1–5, where the hit share is the share of the list's items that are hits
  (no hits: about 1.5; a quarter: about 3.5; half or more: 5).

A customer asks for a category in a visit with probability ``p_category`` (0.30). Every
draw comes from a generator seeded by the run's seed, the customer and the session, so a
run repeats exactly. The model has no position bias: order within a list matters only
through which items make the top ``K``. Customers play one after another within a
session, each visit taking ``STEP_SECONDS`` × 7 of the clock, so that a session's events
stay inside the metrics' windows (a click or a basket addition within 24 hours of the
list, a purchase within 7 days) and the next session starts on time.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from statistics import median
from typing import Any

from agent.clock import FixedClock
from agent.domain import BehaviourEvent, EventKind, FeedbackValue
from agent.embedding import load_default_embedder
from agent.experiments.curation import CuratedItem, CuratedListDraft, ListTarget
from agent.experiments.model import ExperimentDraft
from agent.experiments.report import ExperimentReport, plot
from agent.experiments.service import source_of
from agent.facade import Tactful
from bench.experiments import statistics
from bench.ranking.datasets import load_online_retail
from bench.ranking.splits import Split, online_retail_all_items_splits, subsample
from bench.tact.stores import import_split, open_home
from tools.types import CatalogItem, Suggestion

BENCH = Path(__file__).resolve().parents[1]
RESULTS = BENCH / "results"
PLOTS = BENCH / "plots"
RESULTS_FILE = RESULTS / "experiments.json"
PLOT_FILE = PLOTS / "experiments.png"

SEED = 20111101
CUSTOMERS = 600
QUICK_CUSTOMERS = 60
SESSIONS = 3
SESSION_GAP = timedelta(days=2)
#: Suggestions per list.
K = 10
EXPERIMENT_KEY = "simulated-curation"
#: Who the staff lists are saved as (an actor starting "staff" is staff).
CURATOR = "staff:simulated-curator"
BESTSELLER_DAYS = 30
PER_CATEGORY = 10
OVERALL = 20
#: Runs of the statistics proof: the full count, and a handful that only check it runs.
STATISTICS_RUNS = 1000
QUICK_STATISTICS_RUNS = 20
#: One step of the clock in a visit: the list is shown, a step later the clicks come, a
#: step after them the basket additions and feedback, two more the purchases and rating,
#: and three more pass before the next customer's list.
STEP_SECONDS = 30


@dataclass(frozen=True)
class Reactions:
    """How a simulated customer reacts to a shown list (see the module docstring)."""

    p_click_hit: float = 0.30
    p_click_noise: float = 0.02
    p_cart_hit: float = 0.50
    p_cart_noise: float = 0.10
    p_buy_hit: float = 0.70
    p_buy_noise: float = 0.30
    p_up: float = 0.30
    p_down: float = 0.30
    p_not_for_me: float = 0.10
    p_rate: float = 0.40
    p_category: float = 0.30
    rating_base: float = 1.5
    rating_slope: float = 8.0
    rating_noise: float = 0.7


@dataclass(frozen=True)
class Customer:
    """A simulated shopper: a real test customer and what they bought after the cut."""

    shopper_id: str
    #: Items bought on or after the cut, re-orders included: the hits.
    likes: frozenset[str]
    #: How many of those purchases fall in each category.
    categories: Mapping[str, int]
    #: The quantity of the first after-cut purchase line of each liked item.
    quantities: Mapping[str, float]
    #: The median quantity per purchase line before the cut.
    usual_quantity: float


@dataclass
class Reaction:
    """What a customer does with one shown list, decided before any of it is recorded."""

    hits: list[str]
    clicks: list[str] = field(default_factory=list)
    carts: list[str] = field(default_factory=list)
    purchases: list[str] = field(default_factory=list)
    ups: list[str] = field(default_factory=list)
    downs: list[str] = field(default_factory=list)
    not_for_me: list[str] = field(default_factory=list)
    rating: int | None = None


def react(
    rng: random.Random,
    customer: Customer,
    shown: Sequence[CatalogItem],
    reactions: Reactions = Reactions(),
) -> Reaction:
    """The customer's reaction to the shown items, drawn from ``rng`` (the reaction model
    of the module docstring)."""
    hits = [item.item_id for item in shown if item.item_id in customer.likes]
    outside = sum(1 for item in shown if (item.category or "") not in customer.categories)
    distance = outside / len(shown) if shown else 0.0
    reaction = Reaction(hits=hits)
    r = reactions
    for item in shown:
        hit = item.item_id in customer.likes
        if rng.random() < (r.p_click_hit if hit else r.p_click_noise):
            reaction.clicks.append(item.item_id)
            if rng.random() < (r.p_cart_hit if hit else r.p_cart_noise):
                reaction.carts.append(item.item_id)
                if rng.random() < (r.p_buy_hit if hit else r.p_buy_noise):
                    reaction.purchases.append(item.item_id)
            if hit and rng.random() < r.p_up:
                reaction.ups.append(item.item_id)
            elif not hit and rng.random() < r.p_down:
                reaction.downs.append(item.item_id)
        elif not hit and rng.random() < r.p_not_for_me * distance:
            reaction.not_for_me.append(item.item_id)
    if shown and rng.random() < r.p_rate:
        share = len(hits) / len(shown)
        score = r.rating_base + r.rating_slope * share + rng.gauss(0.0, r.rating_noise)
        reaction.rating = min(5, max(1, round(score)))
    return reaction


def staff_lists(
    split: Split,
    items: Sequence[CatalogItem],
    *,
    days: int = BESTSELLER_DAYS,
    per_category: int = PER_CATEGORY,
    overall: int = OVERALL,
) -> list[CuratedListDraft]:
    """The lists staff would make from the last ``days`` of sales before the cut: one per
    category (aimed at it), then one of the bestsellers overall (aimed at nothing)."""
    since = split.now - timedelta(days=days)
    buyers: dict[str, set[str]] = defaultdict(set)
    units: dict[str, float] = defaultdict(float)
    for events in split.train_events.values():
        for event in events:
            if since <= event.at < split.now and event.kind is EventKind.PURCHASE:
                buyers[event.item_id].add(event.shopper_id)
                units[event.item_id] += event.quantity
    by_id = {item.item_id: item for item in items}
    ranked = sorted(
        (i for i in buyers if i in by_id), key=lambda i: (-len(buyers[i]), -units[i], i)
    )
    in_category: dict[str, list[str]] = defaultdict(list)
    for item_id in ranked:
        category = by_id[item_id].category
        if category and len(in_category[category]) < per_category:
            in_category[category].append(item_id)
    lists = [
        CuratedListDraft(
            name=f"Our bestsellers in {category}",
            items=[
                CuratedItem(item_id=i, note=f"one of our bestsellers in {category}") for i in chosen
            ],
            target=ListTarget(category=category),
        )
        for category, chosen in sorted(in_category.items())
    ]
    if ranked:
        lists.append(
            CuratedListDraft(
                name="Our bestsellers",
                items=[
                    CuratedItem(item_id=i, note="one of our bestsellers") for i in ranked[:overall]
                ],
            )
        )
    return lists


def customers_from(
    split: Split,
    future: Iterable[BehaviourEvent],
    categories: Mapping[str, str | None],
    *,
    count: int,
    seed: int,
) -> list[Customer]:
    """A seeded sample of ``count`` test customers, each with what they bought after the
    cut (``future``: purchase events on or after it; ``categories``: every item's)."""
    chosen = sorted(random.Random(seed).sample(split.users, min(count, len(split.users))))
    wanted = set(chosen)
    first_quantity: dict[str, dict[str, float]] = defaultdict(dict)
    for event in sorted(future, key=lambda e: e.at):
        if event.shopper_id in wanted:
            first_quantity[event.shopper_id].setdefault(event.item_id, event.quantity)
    customers = []
    for shopper_id in chosen:
        likes = split.targets[shopper_id]
        before = [e.quantity for e in split.train_events.get(shopper_id, []) if e.quantity > 0]
        customers.append(
            Customer(
                shopper_id=shopper_id,
                likes=likes,
                categories=dict(Counter(categories.get(i) or "" for i in likes)),
                quantities={i: first_quantity[shopper_id].get(i, 1.0) for i in likes},
                usual_quantity=median(before) if before else 1.0,
            )
        )
    return customers


@dataclass
class ArmTally:
    """What the simulator showed and saw in one arm: its own ground truth, beside the
    report's reading of the stores."""

    shoppers: set[str] = field(default_factory=set)
    lists: int = 0
    category_requests: int = 0
    items: int = 0
    by_source: Counter[str] = field(default_factory=Counter)
    hits: int = 0
    clicks: int = 0
    purchases: int = 0
    ups: int = 0
    downs: int = 0
    not_for_me: int = 0
    ratings: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The counts as the results file holds them."""
        return {
            "shoppers": len(self.shoppers),
            "lists": self.lists,
            "category_requests": self.category_requests,
            "items_shown": self.items,
            "items_by_source": dict(sorted(self.by_source.items())),
            "hit_share": round(self.hits / self.items, 4) if self.items else None,
            "clicks": self.clicks,
            "purchases": self.purchases,
            "thumbs_up": self.ups,
            "thumbs_down": self.downs,
            "not_for_me": self.not_for_me,
            "ratings": len(self.ratings),
            "mean_rating": round(sum(self.ratings) / len(self.ratings), 4)
            if self.ratings
            else None,
        }


class Simulation:
    """Plays the customers' sessions against one tactful whose clock it owns."""

    def __init__(
        self,
        tactful: Tactful,
        clock: FixedClock,
        customers: Sequence[Customer],
        *,
        listed: set[str],
        seed: int = SEED,
        reactions: Reactions = Reactions(),
        sessions: int = SESSIONS,
        gap: timedelta = SESSION_GAP,
    ) -> None:
        """``listed``: the categories a staff list is aimed at (the only ones a customer
        asks for, so every arm answers every request from its own source)."""
        self.tactful = tactful
        self.clock = clock
        self.customers = customers
        self.listed = listed
        self.seed = seed
        self.reactions = reactions
        self.sessions = sessions
        self.gap = gap
        self.arms: dict[str, ArmTally] = defaultdict(ArmTally)
        self._events = 0

    def run(self, progress: Callable[[str], None] | None = None) -> dict[str, ArmTally]:
        """Every session of every customer, the sessions ``gap`` apart."""
        start = self.clock.now()
        for session in range(self.sessions):
            planned = start + session * self.gap
            if self.clock.now() < planned:
                self.clock.advance(seconds=(planned - self.clock.now()).total_seconds())
            for index, customer in enumerate(self.customers, start=1):
                self.session(customer, session)
                if progress and (index % 100 == 0 or index == len(self.customers)):
                    progress(f"session {session + 1}/{self.sessions}: {index} customers")
        return dict(self.arms)

    def session(self, customer: Customer, session: int) -> None:
        """One visit: open the assistant, get a list, react to it."""
        rng = random.Random(f"{self.seed}:{customer.shopper_id}:{session}")
        shopper_id = customer.shopper_id
        conversation_id = self.tactful.chat(shopper_id, "hi").conversation_id
        category = self._category(rng, customer)
        suggestions = self.tactful.recommend(shopper_id, k=K, category=category)
        self.tactful.expose(shopper_id, suggestions, conversation_id=conversation_id, shown=True)
        reaction = react(rng, customer, [s.item for s in suggestions], self.reactions)
        self._tally(customer, suggestions, reaction, category is not None)

        self._step()
        self._record(customer, reaction.clicks, EventKind.VIEW)
        self._step()
        self._record(customer, reaction.carts, EventKind.CART)
        for value, item_ids in (
            (FeedbackValue.UP, reaction.ups),
            (FeedbackValue.DOWN, reaction.downs),
            (FeedbackValue.NOT_FOR_ME, reaction.not_for_me),
        ):
            for item_id in item_ids:
                self.tactful.feedback(
                    shopper_id, value, item_id=item_id, conversation_id=conversation_id
                )
        self._step(2)
        self._record(customer, reaction.purchases, EventKind.PURCHASE)
        if reaction.rating is not None:
            self.tactful.rate_conversation(shopper_id, conversation_id, reaction.rating)
        self._step(3)

    def _category(self, rng: random.Random, customer: Customer) -> str | None:
        """A category to ask for, or None to browse: one the customer buys from after the
        cut and a staff list is aimed at, weighted by how much they buy from it."""
        asks = rng.random() < self.reactions.p_category
        choices = sorted(c for c in customer.categories if c in self.listed)
        if not asks or not choices:
            return None
        return rng.choices(choices, weights=[customer.categories[c] for c in choices])[0]

    def _step(self, steps: int = 1) -> None:
        self.clock.advance(seconds=STEP_SECONDS * steps)

    def _record(self, customer: Customer, item_ids: Sequence[str], kind: EventKind) -> None:
        if not item_ids:
            return
        now = self.clock.now()
        events = []
        for item_id in item_ids:
            self._events += 1
            quantity = 1.0
            if kind is not EventKind.VIEW:
                quantity = customer.quantities.get(item_id, customer.usual_quantity)
            events.append(
                BehaviourEvent(
                    event_id=f"sim-{self._events}",
                    shopper_id=customer.shopper_id,
                    item_id=item_id,
                    kind=kind,
                    at=now,
                    quantity=quantity,
                    context="simulated",
                )
            )
        self.tactful.record_events(events, clarify=False)

    def _tally(
        self,
        customer: Customer,
        suggestions: Sequence[Suggestion],
        reaction: Reaction,
        by_category: bool,
    ) -> None:
        arm = self.tactful.experiments.arm_for(customer.shopper_id, personalized=True)
        tally = self.arms[arm or "none"]
        tally.shoppers.add(customer.shopper_id)
        tally.lists += 1
        tally.category_requests += by_category
        tally.items += len(suggestions)
        tally.by_source.update(source_of(s).value for s in suggestions)
        tally.hits += len(reaction.hits)
        tally.clicks += len(reaction.clicks)
        tally.purchases += len(reaction.purchases)
        tally.ups += len(reaction.ups)
        tally.downs += len(reaction.downs)
        tally.not_for_me += len(reaction.not_for_me)
        if reaction.rating is not None:
            tally.ratings.append(reaction.rating)


def shop_split(quick: bool) -> tuple[Split, list[BehaviourEvent], dict[str, str | None]]:
    """The split the shop holds (catalog: items sold before the cut), the purchases on or
    after the cut, and every item's category."""
    raw = load_online_retail()
    split = online_retail_all_items_splits(raw, validation=False)["test"]
    if quick:
        split = subsample(
            split, users=QUICK_CUSTOMERS, other_shoppers=400, max_items=800, seed=SEED
        )
    sold = set(split.train.item_ids.tolist())
    split = replace(split, items=[item for item in split.items if item.item_id in sold])
    future = [e for e in raw.events if e.at >= split.now]
    return split, future, {item.item_id: item.category for item in raw.items}


def run(quick: bool = False, customers: int | None = None) -> dict[str, Any]:
    """Build the shop, curate, run the experiment on simulated shoppers, read it out.

    A full run writes ``bench/results/experiments.json`` and ``bench/plots/experiments.png``;
    a quick one (``QUICK_CUSTOMERS`` customers, a small slice of the catalog, a short
    statistics proof) writes nothing. Returns what the results file holds.
    """
    started = time.perf_counter()
    split, future, categories = shop_split(quick)
    count = customers or (QUICK_CUSTOMERS if quick else CUSTOMERS)
    sample = customers_from(split, future, categories, count=count, seed=SEED)
    lists = staff_lists(split, split.items)
    _say(f"{len(sample)} customers, {len(lists)} staff lists; loading {len(split.train):,} events")
    embedder = load_default_embedder()
    with tempfile.TemporaryDirectory(prefix="tactful-experiments-") as workdir:
        home = Path(workdir) / "home"
        import_split(split, home, embedder)
        with open_home(home, split, embedder) as tactful:
            clock = tactful.clock
            assert isinstance(clock, FixedClock)
            for draft in lists:
                tactful.save_list(draft, actor=CURATOR)
            experiment = tactful.experiments.create(
                ExperimentDraft(
                    key=EXPERIMENT_KEY,
                    description="AI-only vs staff bestseller lists vs hybrid, simulated",
                )
            )
            tactful.experiments.start(EXPERIMENT_KEY)
            setup = time.perf_counter() - started
            _say(f"shop ready in {setup:.0f} s; playing {SESSIONS} sessions")
            listed = {d.target.category for d in lists if d.target.category}
            simulation = Simulation(tactful, clock, sample, listed=listed)
            arms = simulation.run(_say)
            simulated = time.perf_counter() - started - setup
            report = tactful.experiment_report(EXPERIMENT_KEY)
            reported = time.perf_counter() - started - setup - simulated
    _say("the statistics proof")
    proof_started = time.perf_counter()
    proof = statistics.run(runs=QUICK_STATISTICS_RUNS if quick else STATISTICS_RUNS)
    results: dict[str, Any] = {
        "command": "tactful eval experiments",
        "dataset": "online-retail",
        "split": split.stats(),
        "quick": quick,
        "seed": SEED,
        "customers": len(sample),
        "sessions": SESSIONS,
        "session_gap_days": SESSION_GAP.total_seconds() / 86400,
        "k": K,
        "reactions": asdict(Reactions()),
        "staff_lists": {
            "bestseller_days": BESTSELLER_DAYS,
            "per_category": PER_CATEGORY,
            "overall": OVERALL,
            "lists": [{"name": d.name, "items": len(d.items)} for d in lists],
        },
        "experiment": {
            "key": experiment.key,
            "weights": {arm.value: w for arm, w in experiment.weights.items()},
            "control": experiment.control.value,
        },
        "simulated": {arm: tally.summary() for arm, tally in sorted(arms.items())},
        "report": report.model_dump(mode="json"),
        "statistics": proof,
        "timings": {
            "setup_seconds": round(setup, 1),
            "simulate_seconds": round(simulated, 1),
            "report_seconds": round(reported, 1),
            "statistics_seconds": round(time.perf_counter() - proof_started, 1),
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    if not quick:
        RESULTS.mkdir(parents=True, exist_ok=True)
        RESULTS_FILE.write_text(
            json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        plot(ExperimentReport.model_validate(results["report"]), PLOT_FILE)
    return results


def _say(message: str) -> None:
    print(f"[experiments] {message}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small slice; writes nothing")
    parser.add_argument("--customers", type=int, default=None, help="simulated customers")
    args = parser.parse_args()
    results = run(quick=args.quick, customers=args.customers)
    print(json.dumps({k: results[k] for k in ("simulated", "timings", "seconds")}, indent=2))
    print(results["report"]["verdict"])


if __name__ == "__main__":
    main()
