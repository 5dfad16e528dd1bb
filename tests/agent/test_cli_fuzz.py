"""Every command, fed hostile text and extreme numbers, exits with a documented code,
prints no traceback, and sends nothing a terminal would act on; ``--json`` stays JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.ingest.online_retail import COLUMNS
from tests.agent.hostile import (
    NASTY_LINES,
    OTHER_SHOPPER,
    SHOPPER,
    Run,
    Shop,
    assert_inert_and_clean,
    hostile_text,
    mostly,
    online_retail_row,
    row,
    small_shop,
)

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
shoppers = mostly(SHOPPER, OTHER_SHOPPER)
numbers = mostly("inf", "-inf", "nan", "1e308", "-1", "0", "2", "4.5")


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    with small_shop(tmp_path_factory.mktemp("fuzz-cli")) as loaded:
        yield loaded


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-files")


def option(name: str, value: str | None) -> list[str]:
    # "--name=value" keeps a value that starts with "-" from being read as an option.
    return [] if value is None else [f"--{name}={value}"]


def assert_answered(run: Run, *, json_lines: bool = False) -> None:
    assert_inert_and_clean(run)
    if json_lines and run.code == 0:
        for line in run.out.splitlines():
            json.loads(line, parse_constant=_not_json)


def _not_json(constant: str) -> None:
    raise AssertionError(f"{constant} is not JSON")


@FUZZ
@given(
    shopper=shoppers,
    k=st.one_of(st.none(), numbers),
    mode=st.one_of(st.none(), mostly("gift", "purchase", " Research ")),
    query=st.one_of(st.none(), hostile_text()),
    as_json=st.booleans(),
)
def test_recommend(
    shop: Shop, shopper: str, k: str | None, mode: str | None, query: str | None, as_json: bool
) -> None:
    args = [*option("k", k), *option("mode", mode), *option("query", query)]
    run = shop("recommend", *args, *(["--json"] if as_json else []), "--", shopper)

    assert_answered(run, json_lines=as_json)


@FUZZ
@given(shopper=shoppers, message=hostile_text(), mode=st.one_of(st.none(), mostly("gift")))
def test_chat_one_shot(shop: Shop, shopper: str, message: str, mode: str | None) -> None:
    text = shop("chat", *option("message", message), *option("mode", mode), "--", shopper)
    as_json = shop("chat", *option("message", message), "--json", "--", shopper)

    assert_answered(text)
    assert_answered(as_json, json_lines=True)


@FUZZ
@given(lines=st.lists(hostile_text(), max_size=3))
def test_chat_interactive(shop: Shop, lines: list[str]) -> None:
    # What a terminal can deliver: text without line breaks inside a line.
    typed = "".join(line.replace("\n", " ").replace("\r", " ") + "\n" for line in lines)

    run = shop("chat", SHOPPER, input=typed.encode("utf-8", "replace").decode("utf-8") + "/quit\n")

    assert_answered(run)


@FUZZ
@given(
    kind=st.sampled_from(["view", "purchase", "rating"]),
    at=st.sampled_from([None, "2011-12-09T10:00", "0001-01-01T00:00+01:00", "9999-12-31"]),
    quantity=st.one_of(st.none(), numbers),
    rating=st.one_of(st.none(), numbers),
)
def test_events_add_with_extreme_numbers_and_times(
    shop: Shop, kind: str, at: str | None, quantity: str | None, rating: str | None
) -> None:
    options = [*option("kind", kind), *option("at", at), *option("quantity", quantity)]
    run = shop("events", "add", *options, *option("rating", rating), "--", SHOPPER, "H5")
    after = shop("recommend", "--json", "--", SHOPPER)

    assert_answered(run)
    assert after.code == 0, after
    assert_answered(after, json_lines=True)


@FUZZ
@given(
    values=row([SHOPPER, OTHER_SHOPPER], ["H0", "H1"], ["view", "cart"], ["cli-1", "till-2", "e-3"])
)
def test_events_add_with_hostile_ids_and_kinds(shop: Shop, values: list[str]) -> None:
    shopper, item, kind, event_id = values

    run = shop("events", "add", f"--kind={kind}", f"--id={event_id}", "--", shopper, item)

    assert_answered(run)


@FUZZ
@given(shopper=shoppers, fact=hostile_text(2), as_json=st.booleans())
def test_profile_forget_export_and_erase(
    shop: Shop, shopper: str, fact: str, as_json: bool
) -> None:
    runs = [
        shop("profile", *(["--json"] if as_json else []), "--", shopper),
        shop("forget", "--", shopper, fact),
        shop("export", "--", shopper),
    ]
    if shopper not in {SHOPPER, OTHER_SHOPPER}:
        runs.append(shop("erase", "--yes", "--", shopper))

    for run in runs:
        assert_answered(run)
    assert_answered(runs[0], json_lines=as_json)
    if runs[2].code == 0:
        json.loads(runs[2].out, parse_constant=_not_json)


def file_content(columns: tuple[str, ...], usual: list[str], jsonl: bool) -> st.SearchStrategy[str]:
    """Rows of ``columns`` with usual values, some hostile, as CSV or JSON Lines."""
    values = row(*([value] for value in usual))
    if jsonl:
        record = values.map(lambda vs: json.dumps(dict(zip(columns, vs, strict=True))))
        numbers = st.lists(st.floats(), min_size=len(columns), max_size=len(columns)).map(
            lambda vs: json.dumps(dict(zip(columns, vs, strict=True)))
        )
        line = st.one_of(record, record, numbers, st.sampled_from(NASTY_LINES))
    else:
        line = st.one_of(values.map(",".join), values.map(",".join), st.sampled_from(NASTY_LINES))
    header = ",".join(columns) if not jsonl else None
    return st.lists(line, max_size=5).map(
        lambda lines: "\n".join([header, *lines] if header else lines) + "\n"
    )


CATALOG_COLUMNS = ("item_id", "title", "price", "category")
EVENT_COLUMNS = ("shopper_id", "item_id", "kind", "at", "quantity")


@FUZZ
@given(data=st.data(), jsonl=st.booleans(), strict=st.booleans())
def test_ingest_catalog_and_events(
    shop: Shop, files: Path, data: st.DataObject, jsonl: bool, strict: bool
) -> None:
    suffix = ".jsonl" if jsonl else ".csv"
    catalog, events = files / f"catalog{suffix}", files / f"events{suffix}"
    usual_item = ["H9", "Lantern", "3.5", "home"]
    usual_event = [SHOPPER, "H9", "purchase", "2011-12-09", "2"]
    for path, columns, usual in (
        (catalog, CATALOG_COLUMNS, usual_item),
        (events, EVENT_COLUMNS, usual_event),
    ):
        text = data.draw(file_content(columns, usual, jsonl))
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
    strictness = ["--strict"] if strict else []

    assert_answered(shop("ingest", "catalog", *strictness, str(catalog)))
    assert_answered(shop("ingest", "events", *strictness, str(events)))
    assert_answered(shop("recommend", "--json", "--", SHOPPER), json_lines=True)


@FUZZ
@given(rows=st.lists(online_retail_row(), max_size=4), strict=st.booleans())
def test_import_online_retail(shop: Shop, files: Path, rows: list[str], strict: bool) -> None:
    path = files / "retail.csv"
    path.write_bytes(
        ("\n".join([",".join(COLUMNS), *rows]) + "\n").encode("utf-8", "surrogatepass")
    )

    run = shop("import", "online-retail", *(["--strict"] if strict else []), str(path))

    assert_answered(run)
    assert_answered(shop("recommend", "--json", "--", SHOPPER), json_lines=True)
