"""Evidence the ranker makes without validating it is the evidence validation makes."""

from __future__ import annotations

from tools.types import Evidence, EvidenceKind


def test_evidence_made_as_given_equals_validated_evidence_and_dumps_the_same() -> None:
    made = Evidence.of(EvidenceKind.SHOPPER, "12346", "", 0.25)
    checked = Evidence(kind=EvidenceKind.SHOPPER, ref="12346", label="", weight=0.25)

    assert made == checked
    assert made.model_dump_json() == checked.model_dump_json()
    assert made.model_fields_set == checked.model_fields_set


def test_copying_evidence_made_as_given_leaves_the_original_and_its_siblings_alone() -> None:
    first = Evidence.of(EvidenceKind.EVENT, "e1", "Teapot", 0.5)
    second = Evidence.of(EvidenceKind.EVENT, "e2", "Mug", 0.75)

    changed = first.model_copy(update={"weight": 1.0})

    assert (first.weight, second.weight, changed.weight) == (0.5, 0.75, 1.0)
    assert first.model_fields_set == second.model_fields_set == {"kind", "ref", "label", "weight"}
