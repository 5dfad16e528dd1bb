"""What ``tactful tune`` saved is what the shop then runs with, newest first."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from agent.clock import Clock
from agent.embedding import Embedder
from agent.errors import InvalidInput
from agent.facade import Tactful
from agent.policy.ask_score import AskScore
from agent.policy.calibration import Calibration
from agent.settings import Settings
from agent.tuned_config import Tuning, latest, save, undo
from tools.buy_again import BuyAgainPolicy
from tools.ranker import MODE_WEIGHTS
from tools.signals import DecayPolicy
from tools.types import FactorName, ShopperMode


def _tuning(taste: float, adopted: bool = True, similarity: float | None = None) -> Tuning:
    browsing = MODE_WEIGHTS[ShopperMode.BROWSING].model_copy(update={"taste": taste})
    rule = None
    if similarity is not None:
        rule = Calibration(
            fit_similarity=similarity,
            fit_percentile=0.9,
            ask=AskScore(bias=-1.0, weights={"similarity": -2.0}, threshold=0.4),
            precision=0.9,
            recall=0.8,
            questions=5,
            cases=100,
            consequential_injected=12,
        )
    return Tuning(
        created=datetime(2026, 1, 1),
        window_days=30,
        cut=datetime(2011, 11, 9),
        shoppers=100,
        trials=50,
        ranking_adopted=adopted,
        policy=DecayPolicy(purchase_days=123),
        weights=MODE_WEIGHTS | {ShopperMode.BROWSING: browsing},
        buy_again=BuyAgainPolicy(timing=0.25),
        clarify=rule,
    )


def test_each_tuning_is_a_new_file_and_undo_brings_back_the_one_before(tmp_path: Path) -> None:
    assert latest(tmp_path) is None

    first = save(tmp_path, _tuning(2.0))
    second = save(tmp_path, _tuning(3.0))

    assert (first.name, second.name) == ("0001.json", "0002.json")
    found = latest(tmp_path)
    assert found is not None and found[1].weights[ShopperMode.BROWSING].taste == 3.0
    assert undo(tmp_path) == second
    found = latest(tmp_path)
    assert found is not None and found[0] == first
    assert undo(tmp_path) == first and undo(tmp_path) is None


def test_an_unreadable_tuning_is_named_with_the_way_back(tmp_path: Path) -> None:
    (tmp_path / "tuning").mkdir()
    (tmp_path / "tuning" / "0003.json").write_text('{"format": 99}')

    with pytest.raises(InvalidInput, match=r"0003\.json.*tactful tune --undo"):
        latest(tmp_path)


def test_the_shop_ranks_and_asks_with_its_newest_tuning(
    demo_home: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TACTFUL_DECAY__PURCHASE_DAYS", "TACTFUL_HOME"):
        monkeypatch.delenv(name, raising=False)
    save(demo_home, _tuning(7.0, similarity=0.3))

    with Tactful.open(Settings(home=demo_home), embedder=embedder) as tactful:
        assert tactful.recommender.weights[ShopperMode.BROWSING].taste == 7.0
        assert tactful.policy.purchase_days == 123
        assert tactful.clarifier.config.fit_similarity == 0.3
        assert tactful.clarifier.config.ask.weights == {"similarity": -2.0}
        assert tactful.tuning == demo_home / "tuning" / "0001.json"
        assert tactful.recommender.ranker().buy_again.timing == 0.25

    monkeypatch.setenv("TACTFUL_DECAY__PURCHASE_DAYS", "45")
    with Tactful.open(Settings(home=demo_home), embedder=embedder) as tactful:
        # The operator's half-life wins over the tuning's; the weights still apply.
        assert tactful.policy.purchase_days == 45
        assert tactful.recommender.weights[ShopperMode.BROWSING].taste == 7.0


def test_lists_of_new_things_rank_with_the_weights_the_tuning_chose_for_them(
    demo_home: Path, embedder: Embedder, demo_shopper: str, clock: Clock
) -> None:
    discovery = MODE_WEIGHTS[ShopperMode.BROWSING].model_copy(update={"community": 0.0})
    tuning = _tuning(7.0).model_copy(
        update={
            "new_only_weights": MODE_WEIGHTS | {ShopperMode.BROWSING: discovery},
            "new_only_choice": "discovery",
        }
    )
    save(demo_home, tuning)

    with Tactful.open(Settings(home=demo_home), embedder=embedder, clock=clock) as tactful:
        recommender = tactful.recommender
        assert recommender.ranker().weights[ShopperMode.BROWSING].taste == 7.0
        assert recommender.ranker(new_only=True).weights[ShopperMode.BROWSING] == discovery
        served = tactful.recommend(demo_shopper, new_only=True)
        assert served and all(s.factor(FactorName.COMMUNITY) is None for s in served)
        # With the whole list's weights, the same list leans on similar shoppers.
        recommender.new_only_weights = recommender.weights
        served = tactful.recommend(demo_shopper, new_only=True)
        assert any(s.factor(FactorName.COMMUNITY) is not None for s in served)


def test_a_ranking_the_defaults_beat_is_not_used_but_its_question_rule_is(
    demo_home: Path, embedder: Embedder
) -> None:
    save(demo_home, _tuning(7.0, adopted=False, similarity=0.35))

    with Tactful.open(Settings(home=demo_home), embedder=embedder) as tactful:
        assert tactful.recommender.weights == MODE_WEIGHTS
        assert tactful.policy == DecayPolicy()
        assert tactful.recommender.ranker().buy_again == BuyAgainPolicy()
        assert tactful.clarifier.config.fit_similarity == 0.35


def test_a_factor_added_after_the_tuning_keeps_its_shipped_weight(tmp_path: Path) -> None:
    path = save(tmp_path, _tuning(2.0))
    written = json.loads(path.read_text())
    for weights in written["weights"].values():
        del weights["bought_next"]  # as a tuning from before that factor was written
    path.write_text(json.dumps(written))

    found = latest(tmp_path)

    assert found is not None
    browsing = found[1].weights[ShopperMode.BROWSING]
    assert browsing.taste == 2.0
    assert browsing.bought_next == MODE_WEIGHTS[ShopperMode.BROWSING].bought_next > 0
