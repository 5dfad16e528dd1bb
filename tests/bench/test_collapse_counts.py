"""How the context-collapse benchmark counts questions and consequential events."""

from __future__ import annotations

from datetime import datetime

import pytest

from agent.domain import BehaviourEvent, EventKind
from bench.tact.collapse import CollapseResult, CustomerPlan, _count
from bench.tact.intervals import wilson


def _plan() -> CustomerPlan:
    injected = BehaviourEvent(
        event_id="injected-s1",
        shopper_id="s1",
        item_id="i1",
        kind=EventKind.PURCHASE,
        at=datetime(2011, 11, 1),
    )
    return CustomerPlan(shopper_id="s1", replay=[], injected=injected)


def _result(customers: int) -> CollapseResult:
    scenarios = ("clean", "polluted", "clarified")
    return CollapseResult(
        customers=customers,
        ndcg={s: [0.1] for s in scenarios},
        ndcg_injected={s: [0.1] for s in scenarios},
    )


def test_a_share_of_few_cases_comes_with_a_wide_wilson_interval() -> None:
    share = wilson(16, 25)

    assert share["value"] == 0.64
    assert share["low"] == pytest.approx(0.445, abs=0.001)
    assert share["high"] == pytest.approx(0.798, abs=0.001)
    assert wilson(0, 0) == {"value": 0.0, "low": 0.0, "high": 0.0}


def test_an_event_consequential_only_in_a_search_counts_for_search_and_any_list() -> None:
    result = _result(1)
    only_search = {"shown": False, "search": True, "gift": False}

    _count(["injected-s1"], _plan(), only_search, result)
    _count([], _plan(), only_search, result)

    summary = result.summary()
    assert summary["consequential_injected"] == 0
    assert summary["consequential_in_search"] == 2
    assert summary["question_recall_search"]["value"] == 0.5
    assert summary["consequential_any_list"] == 2
    assert summary["question_recall_any_list"]["value"] == 0.5
    assert summary["consequential_in_gift_mode"] == 0


def test_questions_about_real_events_lower_precision_not_recall() -> None:
    result = _result(2)
    shown = {"shown": True, "search": False, "gift": False}

    _count(["injected-s1", "or-real-1"], _plan(), shown, result)

    summary = result.summary()
    assert summary["question_recall"] == 1.0
    assert summary["question_precision"] == 0.5
    assert summary["question_precision_interval"]["high"] < 1.0
