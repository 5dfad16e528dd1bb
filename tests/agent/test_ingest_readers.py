"""Reading catalog, event and Online Retail files: formats, bad rows, strictness,
deterministic ids, and input built to break a reader."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import pytest

from agent.domain import EventKind
from agent.errors import IngestError, InvalidInput
from agent.ingest.online_retail import COLUMNS, read_online_retail
from agent.ingest.readers import Parsed, read_catalog, read_events

T = TypeVar("T")

CATALOG_CSV = """\
item_id,title,description,category,price,url
85123A,White Hanging Heart T-Light Holder,"Hanging heart, white metal",candles & lights,2.95,https://shop.example/85123A
22423,Regency Cakestand 3 Tier,,kitchen & dining,12.75,
84879,Assorted Colour Bird Ornament,,,,
"""

EVENTS_CSV = """\
shopper_id,item_id,kind,at,quantity,session_id
17850,85123A,purchase,2010-12-01T08:26:00,6,536365
17850,22423,view,2010-12-02,,
13047,84879,cart,2010-12-01 08:34,2,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def values(rows: list[Parsed[T]]) -> list[T]:
    return [row.value for row in rows if row.value is not None]


def errors(rows: list[Parsed[T]]) -> list[str]:
    return [row.error for row in rows if row.error]


# -- valid files ----------------------------------------------------------------------------


def test_a_valid_catalog_csv_is_read_into_items(tmp_path: Path) -> None:
    rows = list(read_catalog(write(tmp_path, "catalog.csv", CATALOG_CSV)))

    assert [row.line for row in rows] == [2, 3, 4]
    assert all(row.ok for row in rows)
    heart, cakestand, bird = (row.value for row in rows)
    assert heart is not None and cakestand is not None and bird is not None
    assert heart.item_id == "85123A"
    assert heart.description == "Hanging heart, white metal"
    assert heart.price == 2.95
    assert heart.url == "https://shop.example/85123A"
    assert cakestand.category == "kitchen & dining" and cakestand.url is None
    assert bird.price is None and bird.category is None and bird.description == ""


def test_a_valid_events_jsonl_is_read_into_events(tmp_path: Path) -> None:
    lines = [
        {
            "shopper_id": "17850",
            "item_id": "85123A",
            "kind": "purchase",
            "at": "2010-12-01T08:26:00Z",
        },
        {
            "shopper_id": 17850,
            "item_id": "22423",
            "kind": "RATING",
            "at": "2011-01-05",
            "rating": 4,
        },
        {
            "shopper_id": "17850",
            "item_id": "22749",
            "kind": "purchase",
            "at": "2011-02-01T10:00:00+01:00",
            "recipient": "niece",
            "context": "widget",
            "event_id": "e-1",
        },
    ]
    path = write(tmp_path, "events.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")

    first, rating, gift = (row.value for row in read_events(path))

    assert first is not None and rating is not None and gift is not None
    assert first.kind is EventKind.PURCHASE and first.quantity == 1.0
    assert first.at == datetime(2010, 12, 1, 8, 26)
    assert rating.shopper_id == "17850" and rating.kind is EventKind.RATING
    assert rating.rating == 4
    assert gift.event_id == "e-1" and gift.recipient == "niece" and gift.context == "widget"
    assert gift.at == datetime(2011, 2, 1, 9, 0), "times with a zone are stored in UTC"


def test_a_csv_events_file_accepts_date_only_and_space_separated_times(tmp_path: Path) -> None:
    rows = list(read_events(write(tmp_path, "events.csv", EVENTS_CSV)))

    purchase, view, cart = (row.value for row in rows)
    assert purchase is not None and view is not None and cart is not None
    assert purchase.quantity == 6 and purchase.session_id == "536365"
    assert view.at == datetime(2010, 12, 2) and view.quantity == 1.0 and view.session_id is None
    assert cart.at == datetime(2010, 12, 1, 8, 34)


def test_ndjson_and_gzipped_files_read_like_their_plain_versions(tmp_path: Path) -> None:
    jsonl = '{"item_id": "22423", "title": "Regency Cakestand 3 Tier", "price": 12.75}\n'
    plain_csv = values(list(read_catalog(write(tmp_path, "catalog.csv", CATALOG_CSV))))
    gz_csv = values(list(read_catalog(write(tmp_path, "catalog.csv.gz", CATALOG_CSV))))
    ndjson = values(list(read_catalog(write(tmp_path, "catalog.ndjson", jsonl))))
    gz_jsonl = values(list(read_catalog(write(tmp_path, "catalog.jsonl.gz", jsonl))))
    plain_events = values(list(read_events(write(tmp_path, "events.csv", EVENTS_CSV))))
    gz_events = values(list(read_events(write(tmp_path, "events.csv.gz", EVENTS_CSV))))

    assert gz_csv == plain_csv and len(plain_csv) == 3
    assert ndjson == gz_jsonl and len(ndjson) == 1
    assert gz_events == plain_events and len(plain_events) == 3


def test_header_names_are_matched_ignoring_case_spaces_and_a_byte_order_mark(
    tmp_path: Path,
) -> None:
    text = "\ufeff Item_ID , TITLE ,Colour\nA1,Lamp,red\n"

    rows = list(read_catalog(write(tmp_path, "catalog.csv", text)))

    assert [row.value.item_id for row in rows if row.value] == ["A1"]


# -- bad rows --------------------------------------------------------------------------------


def test_bad_catalog_rows_are_reported_with_their_line_and_reading_goes_on(
    tmp_path: Path,
) -> None:
    text = (
        "item_id,title,price\n"
        "A1,Lamp,3.5\n"
        "A2,Vase,abc\n"
        ",Bowl,2\n"
        "A 4,Mug,1\n"
        "A5,Jug,-2\n"
        "A6,Cup,1,extra\n"
        "A7,Plate,1\n"
    )

    rows = list(read_catalog(write(tmp_path, "catalog.csv", text)))

    assert [v.item_id for v in values(rows)] == ["A1", "A7"]
    assert errors(rows) == [
        "line 3: price 'abc' is not a number",
        "line 4: item_id is empty",
        "line 5: item_id 'A 4' must not contain spaces, slashes, backslashes or invisible "
        "characters",
        "line 6: price -2 must be at least 0",
        "line 7: 4 values but the header has 3 columns",
    ]
    assert [row.line for row in rows if not row.ok] == [3, 4, 5, 6, 7]


def test_a_jsonl_row_without_a_required_key_says_which_column_is_missing(
    tmp_path: Path,
) -> None:
    text = '{"item_id": "A1", "title": "Lamp"}\n\n{"title": "Vase"}\nnot json\n["A4", "Mug"]\n'

    rows = list(read_catalog(write(tmp_path, "catalog.jsonl", text)))

    assert errors(rows) == [
        "line 3: missing column item_id",
        "line 4: not valid JSON (Expecting value at column 1)",
        "line 5: expected a JSON object, got a list",
    ]


def test_bad_event_rows_say_what_is_wrong_in_plain_words(tmp_path: Path) -> None:
    text = (
        "shopper_id,item_id,kind,at,quantity,rating\n"
        "s1,i1,buy,2011-01-01,,\n"
        "s1,i1,view,12/09/2011,,\n"
        "s1,i1,purchase,2011-01-01,0,\n"
        "s1,i1,rating,2011-01-01,,\n"
        "s1,i1,rating,2011-01-01,,7\n"
        "s1,i1,view,2011-01-01,,\n"
    )

    rows = list(read_events(write(tmp_path, "events.csv", text)))

    assert len(values(rows)) == 1
    assert errors(rows) == [
        "line 2: kind 'buy' is not one of view, cart, purchase, rating, like, dismiss, return",
        "line 3: at '12/09/2011' is not an ISO 8601 date or time "
        "(e.g. 2011-12-09 or 2011-12-09T08:26:00Z)",
        "line 4: quantity 0 must be greater than 0",
        "line 5: a rating event needs a rating from 0 to 5",
        "line 6: rating 7 must be at most 5",
    ]


def test_strict_reading_stops_at_the_first_bad_row_with_its_file_and_line(
    tmp_path: Path,
) -> None:
    text = "item_id,title,price\nA1,Lamp,3.5\nA2,Vase,abc\nA3,Bowl,zzz\n"
    path = write(tmp_path, "catalog.csv", text)
    reader = read_catalog(path, strict=True)

    first = next(reader)
    with pytest.raises(IngestError) as caught:
        next(reader)

    assert first.value is not None and first.value.item_id == "A1"
    assert caught.value.line == 3
    assert caught.value.path == str(path)
    assert str(caught.value) == f"{path}:3: price 'abc' is not a number"


def test_a_header_missing_required_columns_fails_at_once_even_when_not_strict(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "events.csv", "shopper,item_id,when\ns1,i1,2011-01-01\n")

    with pytest.raises(IngestError) as caught:
        list(read_events(path))

    assert caught.value.line == 1
    assert "missing columns shopper_id, kind, at" in str(caught.value)
    assert "it has: shopper, item_id, when" in str(caught.value)


def test_an_empty_csv_file_asks_for_a_header(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="empty; expected a header row with item_id, title"):
        list(read_catalog(write(tmp_path, "catalog.csv", "")))


# -- files that cannot be read ---------------------------------------------------------------


def test_a_missing_file_is_invalid_input_as_soon_as_it_is_asked_for(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        read_catalog(tmp_path / "nope.csv")


def test_an_unsupported_extension_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"use \.csv, \.jsonl or \.ndjson"):
        read_events(write(tmp_path, "events.xlsx", "x"))


def test_a_gz_file_that_is_not_gzip_is_invalid_input(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv.gz"
    path.write_text("item_id,title\nA1,Lamp\n", encoding="utf-8")

    with pytest.raises(InvalidInput, match="not a gzip file"):
        list(read_catalog(path))


def test_a_file_that_is_not_utf8_is_invalid_input(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_bytes("item_id,title\nA1,Caf\xe9 Lamp\n".encode("latin-1"))

    with pytest.raises(InvalidInput, match="not UTF-8"):
        list(read_catalog(path))


# -- deterministic ids -------------------------------------------------------------------------


def test_events_without_ids_get_the_same_ids_every_time_the_file_is_read(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "events.csv", EVENTS_CSV)

    first = [e.event_id for e in values(list(read_events(path)))]
    second = [e.event_id for e in values(list(read_events(path)))]

    assert first == second
    assert len(set(first)) == 3
    assert all(event_id.startswith("ev-") for event_id in first)


def test_identical_rows_are_distinct_events_and_the_same_instant_gets_the_same_id(
    tmp_path: Path,
) -> None:
    text = (
        "shopper_id,item_id,kind,at\n"
        "s1,i1,purchase,2011-01-01T09:00:00Z\n"
        "s1,i1,purchase,2011-01-01T10:00:00+01:00\n"
    )
    other = "shopper_id,item_id,kind,at\ns1,i1,purchase,2011-01-01 09:00\n"

    twice = [e.event_id for e in values(list(read_events(write(tmp_path, "a.csv", text))))]
    once = [e.event_id for e in values(list(read_events(write(tmp_path, "b.csv", other))))]

    assert twice[0] != twice[1]
    assert twice[0].endswith("-0") and twice[1].endswith("-1")
    assert once == twice[:1]


def test_bad_rows_do_not_shift_the_ids_of_the_good_ones(tmp_path: Path) -> None:
    good = "shopper_id,item_id,kind,at\ns1,i1,view,2011-01-01\ns1,i1,view,2011-01-01\n"
    with_bad = (
        "shopper_id,item_id,kind,at\n"
        "s1,i1,view,2011-01-01\n"
        "s1,i1,view,not-a-date\n"
        "s1,i1,view,2011-01-01\n"
    )

    clean = [e.event_id for e in values(list(read_events(write(tmp_path, "a.csv", good))))]
    messy = [e.event_id for e in values(list(read_events(write(tmp_path, "b.csv", with_bad))))]

    assert clean == messy


# -- input built to break a reader ---------------------------------------------------------


def test_a_jsonl_line_nested_200k_deep_is_a_bad_row_and_the_rest_is_read(tmp_path: Path) -> None:
    deep = "[" * 200_000 + "]" * 200_000
    text = f'{{"item_id": "A1", "title": "Lamp"}}\n{deep}\n{{"item_id": "A2", "title": "Vase"}}\n'
    path = write(tmp_path, "catalog.jsonl", text)

    rows = list(read_catalog(path))
    strict = read_catalog(path, strict=True)
    next(strict)

    assert [item.item_id for item in values(rows)] == ["A1", "A2"]
    assert errors(rows) == ["line 2: the JSON is nested too deeply to read"]
    with pytest.raises(IngestError, match=":2: the JSON is nested too deeply"):
        next(strict)


def test_a_json_integer_of_thousands_of_digits_is_a_bad_row(tmp_path: Path) -> None:
    text = f'{{"item_id": "A1", "title": "Lamp", "price": {"9" * 5000}}}\n'

    rows = list(read_catalog(write(tmp_path, "catalog.jsonl", text)))

    assert errors(rows) == ["line 1: a number in it has too many digits to read"]


def test_a_time_that_leaves_the_calendar_once_in_utc_is_a_bad_row(tmp_path: Path) -> None:
    text = "shopper_id,item_id,kind,at\ns1,i1,view,0001-01-01T00:00+01:00\ns1,i1,view,2011-01-01\n"

    rows = list(read_events(write(tmp_path, "events.csv", text)))

    assert len(values(rows)) == 1
    assert errors(rows) == [
        "line 2: at '0001-01-01T00:00+01:00' is outside the years 1 to 9999 once converted to UTC"
    ]


def test_non_finite_and_absurd_numbers_are_bad_rows(tmp_path: Path) -> None:
    base = {"shopper_id": "s1", "item_id": "i1", "kind": "purchase", "at": "2011-01-01"}
    events = [
        base | {"quantity": "inf"},
        base | {"quantity": 1e308},
        base | {"quantity": 2_000_000},
        base | {"kind": "rating", "rating": "nan"},
        base | {"quantity": 3},
    ]
    events_text = "".join(json.dumps(event) + "\n" for event in events)
    catalog_text = '{"item_id": "A1", "title": "Lamp", "price": NaN}\n'

    rows = list(read_events(write(tmp_path, "events.jsonl", events_text)))
    items = list(read_catalog(write(tmp_path, "catalog.jsonl", catalog_text)))

    assert [event.quantity for event in values(rows)] == [3]
    assert errors(rows) == [
        "line 1: quantity 'inf' is not a number",
        "line 2: quantity 1e+308 must be at most 1,000,000",
        "line 3: quantity 2,000,000 must be at most 1,000,000",
        "line 4: rating 'nan' is not a number",
    ]
    assert errors(items) == ["line 1: price nan is not a number"]


def test_a_csv_value_over_the_size_limit_is_a_bad_row_and_the_rest_is_read(tmp_path: Path) -> None:
    text = f"item_id,title\nA1,Lamp\nA2,{'x' * 10_000_000}\nA3,Vase\n"
    path = write(tmp_path, "catalog.csv", text)

    rows = list(read_catalog(path))
    strict = read_catalog(path, strict=True)
    next(strict)

    assert [item.item_id for item in values(rows)] == ["A1", "A3"]
    assert errors(rows) == ["line 3: a value is longer than 131,072 characters"]
    with pytest.raises(IngestError, match=":3: a value is longer than"):
        next(strict)


def test_an_unclosed_quote_is_reported_at_the_line_it_opens(tmp_path: Path) -> None:
    text = 'item_id,title\nA1,Lamp\nA2,"Vase\nA3,Bowl\nA4,Mug\n'

    rows = list(read_catalog(write(tmp_path, "catalog.csv", text)))

    assert [item.item_id for item in values(rows)] == ["A1"]
    assert errors(rows) == [
        "line 3: a quoted value opened on this line is never closed (the file ends at line 5)"
    ]


def test_a_quoted_value_over_several_lines_is_still_one_value(tmp_path: Path) -> None:
    text = 'item_id,title,description\nA1,Lamp,"two\nlines"\nA2,Vase,\n'

    rows = list(read_catalog(write(tmp_path, "catalog.csv", text)))

    assert [(row.line, row.ok) for row in rows] == [(2, True), (4, True)]
    assert values(rows)[0].description == "two\nlines"


@pytest.mark.parametrize("name", ["catalog.csv", "catalog.csv.gz"])
def test_a_file_with_a_bad_byte_late_in_it_is_refused_before_any_row_is_read(
    tmp_path: Path, name: str
) -> None:
    good = "".join(f"A{i},Item {i}\n" for i in range(5000))
    path = tmp_path / name
    data = f"item_id,title\n{good}".encode() + b"A9,Caf\xe9\n"
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)

    with pytest.raises(InvalidInput, match=r":5002: not UTF-8 text .*nothing was loaded"):
        read_catalog(path)


def test_ids_with_invisible_characters_and_half_characters_are_bad_rows(tmp_path: Path) -> None:
    lines = [
        {"item_id": "A\u202e1", "title": "Lamp"},
        {"item_id": "A\u200b2", "title": "Vase"},
        {"item_id": "A\x1b3", "title": "Bowl"},
        {"item_id": "A4", "title": "Mug \ud800"},
        {"item_id": "A5", "title": "Jug \x1b[31m"},
    ]
    text = "".join(json.dumps(line) + "\n" for line in lines)

    rows = list(read_catalog(write(tmp_path, "catalog.jsonl", text)))

    assert [item.title for item in values(rows)] == ["Jug \x1b[31m"], "titles are kept as sent"
    assert [error.split(": ", 1)[1] for error in errors(rows)] == [
        "item_id 'A\\u202e1' must not contain spaces, slashes, backslashes or invisible characters",
        "item_id 'A\\u200b2' must not contain spaces, slashes, backslashes or invisible characters",
        "item_id 'A\\x1b3' must not contain spaces, slashes, backslashes or invisible characters",
        "title is not valid Unicode text",
    ]


# -- Online Retail files built to break the importer -----------------------------------------

RETAIL_HEADER = ",".join(COLUMNS)


def retail(tmp_path: Path, *rows: str) -> Path:
    return write(tmp_path, "retail.csv", "\n".join([RETAIL_HEADER, *rows]) + "\n")


def test_online_retail_rows_dated_after_the_limit_are_refused_and_counted(tmp_path: Path) -> None:
    path = retail(
        tmp_path,
        "536365,85123A,WHITE HEART,6,2011-12-01 08:26:00,2.55,17850,United Kingdom",
        "536366,85123A,WHITE HEART,6,9999-12-01 08:26:00,2.55,17850,United Kingdom",
    )
    limit = datetime(2011, 12, 11)

    report = read_online_retail(path, not_after=limit).report

    assert (report.rows_read, report.purchases, report.future_rows_skipped) == (2, 1, 1)
    assert "Refused 1 rows dated more than a day after now." in report.summary()
    with pytest.raises(IngestError, match=":3: InvoiceDate 9999-12-01 08:26 is more than a day"):
        read_online_retail(path, strict=True, not_after=limit)


def test_online_retail_times_with_a_zone_are_read_in_utc_or_counted_as_malformed(
    tmp_path: Path,
) -> None:
    path = retail(
        tmp_path,
        "536365,85123A,WHITE HEART,6,2011-12-01T09:26:00+01:00,2.55,17850,United Kingdom",
        "536366,85123A,WHITE HEART,6,2011-12-01 08:30:00,2.55,17850,United Kingdom",
        "536367,85123A,WHITE HEART,6,0001-01-01T00:00+01:00,2.55,17850,United Kingdom",
    )

    data = read_online_retail(path)

    assert [event.at for event in data.events] == [
        datetime(2011, 12, 1, 8, 26),
        datetime(2011, 12, 1, 8, 30),
    ]
    assert data.report.malformed_examples == [
        "line 4: InvoiceDate '0001-01-01T00:00+01:00' is outside the years 1 to 9999 once "
        "converted to UTC"
    ]


def test_an_online_retail_value_over_the_csv_size_limit_is_malformed_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    path = retail(
        tmp_path,
        f"536365,85123A,{'X' * 200_000},6,2011-12-01 08:26:00,2.55,17850,United Kingdom",
        "536366,22423,CAKESTAND,1,2011-12-01 08:30:00,12.75,17850,United Kingdom",
    )

    report = read_online_retail(path).report

    assert (report.rows_read, report.purchases, report.malformed_rows) == (2, 1, 1)
    assert report.malformed_examples == ["line 2: a value is longer than 131,072 characters"]


def test_an_online_retail_customer_id_with_invisible_characters_is_malformed(
    tmp_path: Path,
) -> None:
    path = retail(
        tmp_path, "536365,85123A,WHITE HEART,6,2011-12-01 08:26:00,2.55,178\u202e50,United Kingdom"
    )

    report = read_online_retail(path).report

    assert report.malformed_rows == 1
    assert "is not a usable id" in report.malformed_examples[0]
