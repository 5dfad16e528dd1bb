"""Importing UCI Online Retail: the demo subset, the full dataset, and the mapping rules."""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from agent.domain import EventKind
from agent.errors import IngestError, InvalidInput
from agent.ingest.online_retail import COLUMNS, OnlineRetailData, read_online_retail
from agent.ingest.products import default_categories, nice_title

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "online-retail-demo.csv.gz"
DEMO_JSON = ROOT / "data" / "demo.json"
FULL = ROOT.parent / "shared" / "datasets" / "online-retail" / "online-retail.csv.gz"
HEADER = ",".join(COLUMNS)


# -- an independent count, with nothing but the csv module --------------------------------


@dataclass
class Expected:
    rows: int = 0
    cancellation_rows: int = 0
    customers: int = 0
    non_product: int = 0
    zero_price: int = 0
    guest: int = 0
    purchases: int = 0
    returns: int = 0
    items: int = 0


_PRODUCT = re.compile(r"[0-9]{5}[A-Za-z]?[A-Za-z]?")
_SERVICES = (
    "next day carriage",
    "packing charge",
    "high resolution image",
    "dotcomgiftshop gift voucher",  # not "DOTCOMGIFTSHOP TEA TOWEL", a product
)


def count_independently(path: Path) -> Expected:
    """The numbers the importer should report, worked out separately from its code."""
    expected = Expected()
    customers: set[str] = set()
    items: set[str] = set()
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            expected.rows += 1
            cancelled = row["InvoiceNo"].startswith("C")
            expected.cancellation_rows += cancelled
            if row["CustomerID"]:
                customers.add(row["CustomerID"])
            wording = " ".join(row["Description"].split()).lower()
            if not _PRODUCT.fullmatch(row["StockCode"]) or wording.startswith(_SERVICES):
                expected.non_product += 1
            elif float(row["UnitPrice"]) <= 0:
                expected.zero_price += 1
            else:
                items.add(row["StockCode"])
                if not row["CustomerID"]:
                    expected.guest += 1
                elif cancelled:
                    expected.returns += 1
                else:
                    expected.purchases += 1
    expected.customers = len(customers)
    expected.items = len(items)
    return expected


@dataclass
class Imported:
    path: Path
    data: OnlineRetailData
    expected: Expected


def _import(path: Path) -> Imported:
    if not path.exists():
        pytest.skip(f"{path} is not here")
    return Imported(path, read_online_retail(path), count_independently(path))


@pytest.fixture(scope="module")
def demo_import() -> Imported:
    return _import(DEMO)


@pytest.fixture(scope="module")
def full_import() -> Imported:
    return _import(FULL)


@pytest.fixture(params=["demo", pytest.param("full", marks=pytest.mark.slow)])
def imported(request: pytest.FixtureRequest) -> Imported:
    found: Imported = request.getfixturevalue(f"{request.param}_import")
    return found


# -- both files: the demo subset and the full dataset -------------------------------------


def test_the_report_matches_an_independent_count_of_the_file(imported: Imported) -> None:
    report, expected = imported.data.report, imported.expected

    assert report.rows_read == expected.rows
    assert report.cancellation_rows == expected.cancellation_rows
    assert report.shoppers == expected.customers == len(imported.data.shoppers)
    assert report.non_product_rows_skipped == expected.non_product
    assert report.zero_price_rows_skipped == expected.zero_price
    assert report.guest_rows_skipped == expected.guest
    assert report.purchases == expected.purchases
    assert report.returns == expected.returns
    assert report.items == expected.items == len(imported.data.items)
    assert report.malformed_rows == 0


def test_every_row_lands_in_exactly_one_bucket(imported: Imported) -> None:
    r = imported.data.report

    assert r.rows_read == (
        r.purchases
        + r.returns
        + r.guest_rows_skipped
        + r.zero_price_rows_skipped
        + r.non_product_rows_skipped
        + r.malformed_rows
    )
    assert len(imported.data.events) == r.purchases + r.returns


def test_the_catalog_holds_only_products_with_positive_prices(imported: Imported) -> None:
    items = imported.data.items
    non_products = set(imported.data.report.non_product_codes)

    assert all(_PRODUCT.fullmatch(item.item_id) for item in items)
    assert not non_products & {item.item_id for item in items}
    assert {"POST", "DOT", "M", "D", "C2"} <= non_products or imported.path == DEMO
    assert all(item.price is not None and item.price > 0 for item in items)
    assert all(item.title and item.title != item.title.upper() for item in items)


def test_every_event_refers_to_a_catalog_item_and_a_known_shopper(imported: Imported) -> None:
    items = {item.item_id for item in imported.data.items}
    shoppers = {shopper.shopper_id for shopper in imported.data.shoppers}

    assert all(event.item_id in items for event in imported.data.events)
    assert all(event.shopper_id in shoppers for event in imported.data.events)
    assert all(not shopper.endswith(".0") for shopper in shoppers)


def test_event_ids_are_unique(imported: Imported) -> None:
    ids = [event.event_id for event in imported.data.events]

    assert len(set(ids)) == len(ids)


def test_fewer_than_a_quarter_of_items_fall_in_the_other_category(imported: Imported) -> None:
    categories = Counter(item.category for item in imported.data.items)

    assert categories["other"] / len(imported.data.items) < 0.25
    assert set(categories) <= set(default_categories().names)


# -- the full dataset -----------------------------------------------------------------------


@pytest.mark.slow
def test_the_full_dataset_imports_with_its_published_counts(
    full_import: Imported,
) -> None:
    report = full_import.data.report

    assert report.rows_read == 541_909
    assert report.cancellation_rows == 9_288
    assert report.shoppers == 4_372
    assert report.first_event_at == datetime(2010, 12, 1, 8, 26)
    assert report.last_event_at == datetime(2011, 12, 9, 12, 50)


# -- the demo subset ------------------------------------------------------------------------


def test_the_demo_subset_is_small_and_in_the_source_format() -> None:
    with gzip.open(DEMO, "rt", encoding="utf-8") as handle:
        header = handle.readline().strip()

    assert header == HEADER
    assert DEMO.stat().st_size <= 1_500_000


def test_the_demo_subset_has_something_in_every_skip_bucket(demo_import: Imported) -> None:
    report = demo_import.data.report

    assert report.returns > 0
    assert report.guest_rows_skipped > 0
    assert report.zero_price_rows_skipped > 0
    assert report.non_product_rows_skipped > 0
    assert 300 <= report.shoppers <= 500


def test_the_demo_customer_has_a_coherent_home_history_and_the_gift_is_far_from_it(
    demo_import: Imported,
) -> None:
    demo = json.loads(DEMO_JSON.read_text(encoding="utf-8"))
    data = demo_import.data
    items = {item.item_id: item for item in data.items}
    history = {
        e.item_id
        for e in data.events
        if e.shopper_id == demo["shopper_id"] and e.kind is EventKind.PURCHASE
    }
    categories = Counter(items[item].category for item in history)
    home = {"home decor", "kitchen & dining", "candles & lights", "textiles", "storage"}

    assert set(demo) == {"shopper_id", "gift_item_id", "why"} and demo["why"]
    assert 20 <= len(history) <= 150
    assert sum(categories[c] for c in home | {"clocks", "signs"}) / len(history) >= 0.85
    assert categories["kids & toys"] == 0
    assert items[demo["gift_item_id"]].category == "kids & toys"
    assert demo["gift_item_id"] not in history


def test_importing_the_same_file_twice_gives_identical_data(demo_import: Imported) -> None:
    first, second = demo_import.data, read_online_retail(DEMO)

    assert first.events == second.events
    assert first.items == second.items
    assert first.report == second.report


# -- the mapping, on small files ------------------------------------------------------------


def write_retail(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "retail.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_cancelled_line_becomes_a_return_of_the_absolute_quantity(tmp_path: Path) -> None:
    path = write_retail(
        tmp_path,
        "536365,85123A,HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
        "C536379,85123A,HEART T-LIGHT HOLDER,-2,2010-12-01 09:41:00,2.55,17850.0,United Kingdom",
    )

    purchase, back = read_online_retail(path).events

    assert (purchase.kind, purchase.quantity, purchase.session_id) == (
        EventKind.PURCHASE,
        6,
        "536365",
    )
    assert (back.kind, back.quantity, back.session_id) == (EventKind.RETURN, 2, "C536379")
    assert back.event_id == "or-C536379-85123A-1"
    assert back.at == datetime(2010, 12, 1, 9, 41)


def test_a_code_repeated_within_an_invoice_gets_numbered_event_ids(tmp_path: Path) -> None:
    line = (
        "536365,22423,REGENCY CAKESTAND 3 TIER,{q},2010-12-01 08:26:00,12.75,17850.0,United Kingdom"
    )
    path = write_retail(tmp_path, line.format(q=1), line.format(q=2))

    ids = [event.event_id for event in read_online_retail(path).events]

    assert ids == ["or-536365-22423-1", "or-536365-22423-2"]


def test_customers_become_shoppers_from_their_first_invoice_in_their_usual_country(
    tmp_path: Path,
) -> None:
    path = write_retail(
        tmp_path,
        "536400,22423,REGENCY CAKESTAND 3 TIER,1,2010-12-03 10:00:00,12.75,12345.0,Unspecified",
        "536401,POST,POSTAGE,1,2010-12-02 10:00:00,18.0,12345.0,Germany",
        "536402,22423,REGENCY CAKESTAND 3 TIER,1,2010-12-04 10:00:00,12.75,12345.0,Germany",
        "536403,22423,REGENCY CAKESTAND 3 TIER,1,2010-12-04 10:00:00,12.75,99999,Unspecified",
    )

    shoppers = {s.shopper_id: s for s in read_online_retail(path).shoppers}

    assert set(shoppers) == {"12345", "99999"}
    assert shoppers["12345"].country == "Germany"
    assert shoppers["12345"].created_at == datetime(2010, 12, 2, 10, 0)
    assert shoppers["99999"].country is None


def test_guest_checkout_items_enter_the_catalog_but_make_no_events(tmp_path: Path) -> None:
    path = write_retail(
        tmp_path,
        "536544,21773,DECORATIVE ROSE BATHROOM BOTTLE,1,2010-12-01 14:32:00,2.51,,United Kingdom",
    )

    data = read_online_retail(path)

    assert [item.item_id for item in data.items] == ["21773"]
    assert data.events == [] and data.shoppers == []
    assert data.report.guest_rows_skipped == 1


def test_an_item_takes_its_most_frequent_wording_the_median_price_and_a_nice_title(
    tmp_path: Path,
) -> None:
    row = "5364{n},84406B,{desc},1,2010-12-01 08:26:00,{price},17850.0,United Kingdom"
    path = write_retail(
        tmp_path,
        row.format(n=10, desc="CREAM CUPID HEARTS COAT HANGER", price="2.75"),
        row.format(n=11, desc="CREAM CUPID HEARTS  COAT HANGER ", price="3.25"),
        row.format(n=12, desc="damaged", price="0"),
        row.format(n=13, desc="?", price="0"),
        row.format(n=14, desc="CREAM CUPID HEART COAT HANGER", price="4.15"),
        row.format(n=15, desc="?", price="0"),
    )

    (item,) = read_online_retail(path).items

    assert item.description == "CREAM CUPID HEARTS COAT HANGER"
    assert item.title == "Cream Cupid Hearts Coat Hanger"
    assert item.price == 3.25


def test_non_product_lines_and_service_wording_are_skipped_and_named(tmp_path: Path) -> None:
    path = write_retail(
        tmp_path,
        "536370,POST,POSTAGE,3,2010-12-01 08:45:00,18.0,12583.0,France",
        "C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527.0,United Kingdom",
        "553769,23444,Next Day Carriage,1,2011-05-19 10:48:00,15.0,12913.0,United Kingdom",
        "561916,gift_0001_20,Dotcomgiftshop Gift Voucher £20.00,1,2011-08-01 11:44:00,17.02,,EIRE",
    )

    data = read_online_retail(path)

    assert data.items == [] and data.events == []
    assert data.report.non_product_rows_skipped == 4
    assert data.report.non_product_codes == ["23444", "D", "POST", "gift_0001_20"]
    assert data.report.cancellation_rows == 1


def test_malformed_rows_are_counted_with_their_line_numbers_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    path = write_retail(
        tmp_path,
        "536365,85123A,HEART HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
        "536366,85123A,HEART HOLDER,six,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
        "536367,85123A,HEART HOLDER,6,yesterday,2.55,17850.0,United Kingdom",
        "536368,85123A,HEART HOLDER,6,2010-12-01 08:26:00",
        "536369,85123A,HEART HOLDER,-6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
        "536370,85123A,HEART HOLDER,2,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
    )

    report = read_online_retail(path).report

    assert report.purchases == 2
    assert report.malformed_rows == 4
    assert report.malformed_lines == [3, 4, 5, 6]
    assert report.malformed_examples == [
        "line 3: Quantity 'six' is not a number",
        "line 4: InvoiceDate 'yesterday' is not a date and time",
        "line 5: 5 values but the header has 8 columns",
        "line 6: quantity -6 on invoice 536369, which is not a cancellation",
    ]


def test_a_strict_import_stops_at_the_first_malformed_row(tmp_path: Path) -> None:
    path = write_retail(
        tmp_path,
        "536365,85123A,HEART HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
        "536366,85123A,HEART HOLDER,6,2010-12-01 08:26:00,abc,17850.0,United Kingdom",
    )

    with pytest.raises(IngestError) as caught:
        read_online_retail(path, strict=True)

    assert caught.value.line == 3
    assert "UnitPrice 'abc' is not a number" in str(caught.value)


def test_a_file_without_the_online_retail_columns_is_refused_at_once(tmp_path: Path) -> None:
    path = write_retail(tmp_path, "A1,Lamp", header="item_id,title")

    with pytest.raises(IngestError, match="missing columns InvoiceNo, StockCode"):
        read_online_retail(path)


def test_a_missing_file_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        read_online_retail(tmp_path / "retail.csv")


def test_spreadsheet_style_dates_and_integer_customer_ids_are_read(tmp_path: Path) -> None:
    path = write_retail(
        tmp_path,
        "536365,85123A,HEART HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom",
    )

    (event,) = read_online_retail(path).events

    assert event.at == datetime(2010, 12, 1, 8, 26)
    assert event.shopper_id == "17850"


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ("WHITE HANGING HEART T-LIGHT HOLDER", "White Hanging Heart T-Light Holder"),
        ("SET OF 3 COLOURED  FLYING DUCKS", "Set of 3 Coloured Flying Ducks"),
        ("AIRLINE LOUNGE,METAL SIGN", "Airline Lounge, Metal Sign"),
        ("DOLLY GIRL'S LED NIGHT LIGHT", "Dolly Girl's LED Night Light"),
        ("SILVER M.O.P ORBIT BRACELET", "Silver M.O.P Orbit Bracelet"),
        ("POLYESTER FILLER PAD 40x40cm", "Polyester Filler Pad 40x40cm"),
        ("BLACK BEAD BRACELET W STRAP", "Black Bead Bracelet w Strap"),
    ],
)
def test_titles_read_like_titles(raw: str, title: str) -> None:
    assert nice_title(raw) == title


@pytest.mark.parametrize(
    ("description", "category"),
    [
        ("WHITE HANGING HEART T-LIGHT HOLDER", "candles & lights"),
        ("CANDY SPOT CUSHION COVER", "textiles"),
        ("CHILDRENS CUTLERY SPACEBOY", "kids & toys"),
        ("REGENCY CAKESTAND 3 TIER", "kitchen & dining"),
        ("PAPER CHAIN KIT 50'S CHRISTMAS", "christmas"),
        ("ZINC METAL HEART DECORATION", "home decor"),
        ("BLUE FLY SWAT", "other"),
    ],
)
def test_categories_come_from_what_a_thing_is_before_what_it_shows(
    description: str, category: str
) -> None:
    assert default_categories().categorize(description) == category
