"""The tact benchmark's harness works end to end on a small slice (numbers not judged)."""

from __future__ import annotations

import pytest

from bench.tact.run import run


@pytest.mark.slow
def test_the_quick_tact_run_produces_every_measure_in_range() -> None:
    results = run(quick=True)

    collapse, faithful, control, truthful = (
        results["collapse"],
        results["faithfulness"],
        results["control"],
        results["truthfulness"],
    )
    assert results["customers"] > 0
    for key in (
        "ndcg@10_clean",
        "ndcg@10_polluted",
        "ndcg@10_clarified",
        "question_precision",
        "question_recall",
    ):
        assert 0.0 <= collapse[key] <= 1.0, key
    assert collapse["injected_customers"] > 0
    assert 0.0 <= faithful["share_with_reason"] <= 1.0
    assert 0.0 <= faithful["share_cited_passing"] <= 1.0
    assert faithful["suggestions"] > 0
    assert 0.0 <= control["share_effective_next_answer"] <= 1.0
    assert truthful["cases"] > 0 and truthful["suggestions"] > 0
    assert 0.0 <= truthful["share_counterfactual_passing"] <= 1.0
    assert 0.0 <= truthful["share_passing_every_check"] <= 1.0
    assert set(results["met"]) == set(results["targets"])
