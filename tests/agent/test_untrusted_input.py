"""Text from a catalog or a shopper reaches the terminal inert, in every command."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from agent.cli.render import clean, print_json, safe
from agent.errors import TactfulError
from tests.agent.hostile import (
    CATALOG,
    HOSTILE,
    SHOPPER,
    Shop,
    assert_inert_and_clean,
    small_shop,
    unsafe_characters,
)
from tools.types import valid_identifier


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    with small_shop(tmp_path_factory.mktemp("untrusted")) as loaded:
        yield loaded


def rendered(markup: str) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=200, emoji=False).print(markup)
    return buffer.getvalue()


# -- one place that makes text safe ------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Owl \x1b[31mRED\x1b[0m mug", "Owl RED mug"),
        ("\x1b[2J\x1b[Hcleared", "cleared"),
        ("\x1b]0;window title\x07Lamp", "Lamp"),
        ("\x1b]8;;https://evil.example\x1b\\click me\x1b]8;;\x1b\\", "click me"),
        ("\x9b31mC1 colour", "C1 colour"),
        ("abc\u202edcb\u202c \u2066x\u2069", "abcdcb x"),
        ("zero\u200bwidth\u200d\u2060\ufeff", "zerowidth"),
        ("bell\x07 back\x08 nul\x00 del\x7f", "bell back nul del"),
        ("two\r\nlines\u2028three", "two lines three"),
        ("tab\there", "tab here"),
        ("half \ud800 a character", "half  a character"),
    ],
)
def test_clean_removes_escape_sequences_and_invisible_characters(raw: str, shown: str) -> None:
    assert clean(raw) == shown
    assert not unsafe_characters(clean(raw, multiline=True))


def test_clean_keeps_line_breaks_only_where_they_mean_something() -> None:
    assert clean("first\r\nsecond\u2029third", multiline=True) == "first\nsecond\nthird"
    assert clean("first\nsecond") == "first second"


@pytest.mark.parametrize(
    "text", ["[/]", "[bold red]loud[/]", "[link=https://x]x", "a\\", ":smile:"]
)
def test_markup_in_data_is_printed_as_written(text: str) -> None:
    assert rendered(f"[italic]{safe(text)}[/]").rstrip("\n") == text


def test_json_output_stays_valid_and_escapes_every_invisible_character(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = {"title": "".join(HOSTILE) + " £3 ünïcödé", "nested": [{"x": "\u202e\x9b"}]}

    print_json(data)
    printed = capsys.readouterr().out

    assert json.loads(printed) == data
    assert not unsafe_characters(printed)
    assert "£3 ünïcödé" in printed, "ordinary text is not escaped"


def test_json_output_refuses_a_number_that_is_not_finite() -> None:
    with pytest.raises(TactfulError, match="not finite"):
        print_json({"score": float("nan")})


@pytest.mark.parametrize(
    "value",
    ["a\x1bb", "a\u202eb", "a\u2066b", "a\u200bb", "a\ufeffb", "a\x9bb", "a\x00b", "a b", "a/b"],
)
def test_ids_with_control_bidi_or_zero_width_characters_are_refused(value: str) -> None:
    assert not valid_identifier(value)


@pytest.mark.parametrize("value", ["17850", "85123A", "or-C536379-22556-1", "café-1", "x" * 128])
def test_ordinary_ids_are_accepted(value: str) -> None:
    assert valid_identifier(value)


# -- every command ------------------------------------------------------------------------


def test_recommend_prints_hostile_titles_inert_as_text_and_faithfully_as_json(shop: Shop) -> None:
    text = shop("recommend", SHOPPER, "--k", "6")
    as_json = shop("recommend", SHOPPER, "--k", "6", "--json")

    assert_inert_and_clean(text, codes=frozenset({0}))
    for item in CATALOG:
        assert clean(item["title"]) in text.out, "the title's words and markup, as written"
    assert_inert_and_clean(as_json, codes=frozenset({0}))
    titles = {s["item_id"]: s["title"] for s in json.loads(as_json.out)["suggestions"]}
    assert titles == {
        item["item_id"]: item["title"] for item in CATALOG if item["item_id"] in titles
    }


def test_chat_prints_replies_to_hostile_messages_inert_one_shot_and_interactively(
    shop: Shop,
) -> None:
    message = "I'm not into \x1b[31mcandles\x1b[0m \u202e[/]"

    one_shot = shop("chat", SHOPPER, "-m", message)
    as_json = shop("chat", SHOPPER, "-m", "something \x1b]8;;https://e\x1b\\new", "--json")
    interactive = shop("chat", SHOPPER, input=f"{message}\nwhy the first one?\n\n")

    for run in (one_shot, as_json, interactive):
        assert_inert_and_clean(run, codes=frozenset({0}))
    assert "tactful>" in one_shot.out and "tactful>" in interactive.out
    assert json.loads(as_json.out)["conversation_id"]


def test_profile_forget_and_events_add_print_hostile_text_inert(shop: Shop) -> None:
    shop("chat", SHOPPER, "-m", "I love \x1b[2Jowls\u202e [bold]")
    profile = shop("profile", SHOPPER)
    profile_json = shop("profile", SHOPPER, "--json")
    facts = json.loads(profile_json.out)["facts"]
    forget = shop("forget", SHOPPER, facts[0]["fact_id"])
    added = shop("events", "add", SHOPPER, "H2", "--at", "2011-12-09T10:00")

    for run in (profile, profile_json, forget, added):
        assert_inert_and_clean(run, codes=frozenset({0}))
    assert "Forgotten:" in forget.err


def test_error_lines_show_hostile_values_inert(shop: Shop, tmp_path: Path) -> None:
    missing = tmp_path / "no\x1b[31msuch\u202efile[/].csv"

    runs = [
        shop("ingest", "catalog", str(missing)),
        shop("recommend", "\x1b[2J\u202e"),
        shop("recommend", SHOPPER, "--mode", "\x1b]0;x\x07[/]"),
        shop("events", "add", SHOPPER, "H\u200b1"),
        shop("forget", SHOPPER, "f-\x9b31m"),
        shop("recommend", SHOPPER, "--k", "\x1b[31m"),
        shop("no-such-command\x1b[2J"),
    ]
    new_shopper = shop("chat", "\x1b[31m", "-m", "hi")

    for run in runs:
        assert_inert_and_clean(run, codes=frozenset({2, 3}))
    assert_inert_and_clean(new_shopper)


def test_an_online_retail_stock_code_that_looks_like_markup_does_not_break_the_summary(
    shop: Shop, tmp_path: Path
) -> None:
    path = tmp_path / "retail.csv"
    path.write_text(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,[/],[bold]POSTAGE\x1b[31m,1,2011-12-01 08:26:00,18,17850,United Kingdom\n"
        "536365,85123A,WHITE HEART \x1b]8;;https://e\x1b\\[/],6,2011-12-01 08:26:00,2.55,17850,"
        "United Kingdom\n",
        encoding="utf-8",
    )

    run = shop("import", "online-retail", str(path))

    assert_inert_and_clean(run, codes=frozenset({0}))
    assert "1 non-product rows ([/])" in run.err
    assert "Stored: 1 new items" in run.err


def test_piped_output_puts_a_long_title_and_its_reason_on_one_line_each(
    shop: Shop, tmp_path: Path
) -> None:
    title = "A very long title " + "with many words " * 20 + "ends here"
    catalog = shop.write("long.jsonl", [{"item_id": "LONG", "title": title, "price": 1}])
    shop("ingest", "catalog", str(catalog))

    run = shop("recommend", SHOPPER, "--k", "10", "--query", "title with many words")

    assert run.code == 0, run
    (line,) = [line for line in run.out.splitlines() if "A very long title" in line]
    assert line.rstrip().endswith("LONG £1.00")
    assert title in line
