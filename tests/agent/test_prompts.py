"""The wording templates: loading, variants, variables, and the README registry."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from string import Template

import pytest

import prompts

README = Path(prompts.__file__).parent / "README.md"
_ROW = re.compile(r"^\|\s*`(?P<name>[a-z0-9_/]+)`\s*\|\s*(?P<vars>[^|]*)\|")


def _registry() -> dict[str, frozenset[str]]:
    """Every template the README documents, with the variables it lists."""
    documented: dict[str, frozenset[str]] = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        row = _ROW.match(line)
        if row:
            documented[row["name"]] = frozenset(re.findall(r"\$(\w+)", row["vars"]))
    return documented


REGISTRY = _registry()


def _sample_values(variables: frozenset[str]) -> dict[str, str]:
    return {name: f"<{name}>" for name in variables}


def test_the_readme_documents_a_healthy_number_of_templates() -> None:
    assert len(REGISTRY) >= 60


def test_every_template_file_is_documented_in_the_readme() -> None:
    assert sorted(set(prompts.names()) - set(REGISTRY)) == []


def test_every_documented_template_exists() -> None:
    assert sorted(set(REGISTRY) - set(prompts.names())) == []


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_each_template_uses_exactly_its_documented_variables(name: str) -> None:
    assert prompts.variables(name) == REGISTRY[name]


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_variant_renders_with_its_documented_variables(name: str) -> None:
    values = _sample_values(REGISTRY[name])
    for index, text in enumerate(prompts.variants(name)):
        rendered = prompts.render(name, variant=index, **values)
        assert rendered.strip() == rendered
        assert rendered
        assert "$" not in rendered, f"{name} variant {index} left a placeholder: {text!r}"
        for value in values.values():
            assert value in rendered, f"{name} variant {index} ignores {value}"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_templates_are_short_and_free_of_emojis(name: str) -> None:
    # What a shopper reads is short; a system prompt for the LLM is bounded by the
    # input-token budget instead (tests/llm/test_budget.py).
    limit = 3000 if name.startswith("llm/") else 400
    for text in prompts.variants(name):
        assert len(text) <= limit
        assert not any(unicodedata.category(ch) == "So" for ch in text), text


def test_every_shopping_mode_and_escalation_cause_has_its_templates() -> None:
    from agent.domain import EscalationCause, ShopperMode

    for mode in ShopperMode:
        assert f"offline/intro_{mode.value}" in REGISTRY
        assert f"offline/mode_switched_{mode.value}" in REGISTRY
        assert f"modes/asked_{mode.value}" in REGISTRY
    for cause in EscalationCause:
        assert f"offline/escalated_{cause.value}" in REGISTRY
    for topic in ("complaint", "payment", "return"):
        assert f"offline/escalated_sensitive_{topic}" in REGISTRY


def test_load_returns_the_raw_file_with_its_separators() -> None:
    raw = prompts.load("offline/greeting")
    assert "\n---\n" in raw


def test_an_unknown_template_raises_file_not_found_naming_it() -> None:
    with pytest.raises(FileNotFoundError, match="offline/no_such_thing"):
        prompts.render("offline/no_such_thing")


@pytest.mark.parametrize("name", ["../secrets", "/etc/passwd", "offline\\greeting", "", "A/b"])
def test_names_that_could_escape_the_package_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="invalid template name"):
        prompts.load(name)


def test_a_missing_variable_raises_key_error_naming_the_template_and_variable() -> None:
    with pytest.raises(KeyError, match=r"offline/question.*\$item"):
        prompts.render("offline/question")


def test_extra_variables_are_ignored() -> None:
    rendered = prompts.render("offline/thanks", item="lamp")
    assert rendered == prompts.variants("offline/thanks")[0]


def test_the_variant_is_chosen_by_seed_modulo_the_number_of_variants() -> None:
    options = prompts.variants("offline/greeting")
    assert len(options) == 3
    assert prompts.render("offline/greeting", variant=0) == options[0]
    assert prompts.render("offline/greeting", variant=4) == options[1]
    assert prompts.render("offline/greeting", variant=-1) == options[2]


def test_rendering_is_deterministic_for_a_seed() -> None:
    first = [prompts.render("offline/question", variant=s, item="bike") for s in range(10)]
    again = [prompts.render("offline/question", variant=s, item="bike") for s in range(10)]
    assert first == again
    assert len(set(first)) == 2


def test_values_are_inserted_literally_even_with_dollar_signs() -> None:
    rendered = prompts.render("offline/budget", amount="$30")
    assert "$30" in rendered


def test_loading_is_cached() -> None:
    assert prompts.load("offline/thanks") is prompts.load("offline/thanks")


@pytest.mark.parametrize(
    ("phrases", "expected"),
    [
        ([], ""),
        (["it's popular right now"], "Because it's popular right now."),
        (
            ["you bought the Owl Mug", "it's popular right now"],
            "Because you bought the Owl Mug, and it's popular right now.",
        ),
        (
            ["A", "B", "C"],
            "Because A, B, and C.",
        ),
        (["  ", "A"], "Because A."),
    ],
)
def test_reason_phrases_join_into_one_because_sentence(phrases: list[str], expected: str) -> None:
    assert prompts.join_reasons(phrases) == expected


def test_the_clarifying_question_reads_as_in_the_product_brief() -> None:
    assert (
        prompts.render("offline/question", item="children's bicycle")
        == "Quick question: was the children's bicycle for someone else?"
    )


def test_templates_use_standard_template_syntax_only() -> None:
    for name in prompts.names():
        for text in prompts.variants(name):
            assert Template(text).is_valid(), name
