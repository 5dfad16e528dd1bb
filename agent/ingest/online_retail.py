"""Importing the UCI Online Retail dataset (and files in its format) as tactful's own data.

One row is one invoice line: ``InvoiceNo,StockCode,Description,Quantity,InvoiceDate,
UnitPrice,CustomerID,Country``. Lines become purchases, cancelled lines (invoices
starting with "C") become returns, stock codes become catalog items and customers become
shoppers. Rows that are not a shopper buying a product (postage, fees, guest checkouts,
free replacements) are skipped and counted, so the report adds up to the rows read.
"""

from __future__ import annotations

import math
import operator
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from agent.domain import MAX_COUNTRY, BehaviourEvent, CatalogItem, EventKind, Shopper
from agent.errors import IngestError
from agent.ingest.audience import default_audiences
from agent.ingest.csv_records import csv_records
from agent.ingest.files import open_text
from agent.ingest.products import (
    clean_text,
    default_categories,
    is_product_code,
    is_service_description,
    nice_title,
)
from agent.ingest.readers import explain_validation_error
from tools.types import as_naive_utc, valid_identifier

COLUMNS = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)
_EXAMPLES_KEPT = 10
# The dataset's placeholder for "we don't know the country".
_UNKNOWN_COUNTRIES = frozenset({"", "unspecified"})


class OnlineRetailReport(BaseModel):
    """What an import read, made and skipped; the row counts add up to ``rows_read``."""

    source: str = Field(description="the file's name")
    rows_read: int = Field(default=0, description="data rows, the header not counted")
    purchases: int = Field(default=0, description="purchase events made")
    returns: int = Field(default=0, description="return events made from cancelled lines")
    cancellation_rows: int = Field(
        default=0, description="rows on cancellation invoices ('C…'), whatever became of them"
    )
    guest_rows_skipped: int = Field(
        default=0, description="product rows without a CustomerID: no shopper to give them to"
    )
    zero_price_rows_skipped: int = Field(
        default=0, description="product rows with a zero or negative unit price"
    )
    non_product_rows_skipped: int = Field(
        default=0, description="postage, fees, discounts, vouchers, samples, adjustments"
    )
    non_product_codes: list[str] = Field(
        default_factory=list, description="the stock codes skipped as not products"
    )
    future_rows_skipped: int = Field(
        default=0, description="rows dated after the latest time the import allowed"
    )
    malformed_rows: int = Field(default=0, description="rows that could not be read")
    malformed_lines: list[int] = Field(
        default_factory=list, description=f"line numbers of the first {_EXAMPLES_KEPT}"
    )
    malformed_examples: list[str] = Field(
        default_factory=list, description=f"the first {_EXAMPLES_KEPT}, as 'line N: why'"
    )
    shoppers: int = Field(default=0, description="distinct customers")
    items: int = Field(default=0, description="catalog items made")
    items_by_category: dict[str, int] = Field(default_factory=dict)
    first_event_at: datetime | None = None
    last_event_at: datetime | None = None

    def summary(self) -> str:
        """A few plain lines for a terminal."""
        lines = [
            f"Read {self.rows_read:,} rows from {self.source}: "
            f"{self.purchases:,} purchases and {self.returns:,} returns "
            f"by {self.shoppers:,} shoppers, over {self.items:,} catalog items.",
            f"Skipped {self.guest_rows_skipped:,} guest-checkout rows, "
            f"{self.zero_price_rows_skipped:,} zero-price rows and "
            f"{self.non_product_rows_skipped:,} non-product rows "
            f"({', '.join(self.non_product_codes[:8])}"
            f"{', …' if len(self.non_product_codes) > 8 else ''}).",
        ]
        if self.future_rows_skipped:
            lines.append(
                f"Refused {self.future_rows_skipped:,} rows dated more than a day after now."
            )
        if self.malformed_rows:
            lines.append(
                f"{self.malformed_rows:,} rows could not be read, e.g. {self.malformed_examples[0]}"
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class OnlineRetailData:
    """Everything one Online Retail file turns into."""

    shoppers: list[Shopper]
    items: list[CatalogItem]
    events: list[BehaviourEvent]
    report: OnlineRetailReport


def read_online_retail(
    path: Path, *, strict: bool = False, not_after: datetime | None = None
) -> OnlineRetailData:
    """Import an Online Retail CSV (maybe ``.gz``): shoppers, catalog items, events, report.

    Event ids are ``or-{invoice}-{stock code}-{n}`` (``n`` counts repeats of a code
    within one invoice from 1), so importing the same file again yields the same ids.
    With ``strict=True`` the first unreadable row raises :class:`IngestError`; otherwise it
    is counted in the report and skipped. Rows dated after ``not_after`` are refused the
    same way (the caller knows what "now" is; the file does not).
    """
    importer = _Importer(path, strict=strict, not_after=not_after)
    with open_text(path, errors="replace") as text:
        # errors="replace": copies of this dataset circulate in Latin-1 as well; a stray
        # "£" is not worth refusing a whole file for.
        importer.run(text)
    return importer.result()


@dataclass
class _ItemStats:
    descriptions: Counter[str] = field(default_factory=Counter)
    prices: list[float] = field(default_factory=list)


@dataclass
class _ShopperStats:
    first_at: datetime
    countries: Counter[str] = field(default_factory=Counter)


class _Importer:
    """One pass over the rows; the catalog is only complete at the end (median prices)."""

    def __init__(self, path: Path, *, strict: bool, not_after: datetime | None) -> None:
        self.path = path
        self.strict = strict
        self.not_after = not_after
        # Plain counters while reading (a pydantic attribute write per row costs seconds
        # over the full file); the report is made from them at the end.
        self.counts: Counter[str] = Counter()
        self.malformed: list[tuple[int, str]] = []
        self.items: dict[str, _ItemStats] = {}
        self.shoppers: dict[str, _ShopperStats] = {}
        self.events: list[BehaviourEvent] = []
        self.non_product_codes: set[str] = set()
        self.repeats: Counter[tuple[str, str]] = Counter()
        self.times: dict[str, datetime] = {}
        self.customers: dict[str, str] = {}
        self.products: dict[tuple[str, str], bool] = {}

    def run(self, text: Iterator[str]) -> None:
        records = csv_records(text)
        line, header = next(records, (1, None))
        if isinstance(header, str):
            raise IngestError(header, path=str(self.path), line=line)
        index = self._columns(header, line)
        width = len(header or ())
        self.columns = operator.itemgetter(*index)
        for line, row in records:
            if not row:
                continue
            self.counts["rows_read"] += 1
            try:
                if isinstance(row, str):
                    raise _BadRow(row)
                self._row(row, width)
            except _BadRow as exc:
                self._malformed(line, str(exc))

    def _columns(self, header: list[str] | None, line: int) -> tuple[int, ...]:
        names = [name.strip().lower() for name in header or ()]
        missing = [column for column in COLUMNS if column.lower() not in names]
        if missing:
            raise IngestError(
                f"not an Online Retail file: missing column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (expected {','.join(COLUMNS)})",
                path=str(self.path),
                line=max(line, 1),
            )
        return tuple(names.index(column.lower()) for column in COLUMNS)

    def _row(self, row: list[str], width: int) -> None:
        if len(row) != width:
            raise _BadRow(f"{len(row)} values but the header has {width} columns")
        invoice, code, description, quantity_s, date_s, price_s, customer_s, country = self.columns(
            row
        )
        invoice, code, country = invoice.strip(), code.strip(), country.strip()
        if not invoice:
            raise _BadRow("InvoiceNo is empty")
        if len(country) > MAX_COUNTRY:
            raise _BadRow(f"Country is longer than {MAX_COUNTRY} characters")
        if not code:
            raise _BadRow("StockCode is empty")
        quantity = _number(quantity_s, "Quantity")
        price = _number(price_s, "UnitPrice")
        at = self._time(date_s)
        customer = self._customer(customer_s)
        cancelled = invoice[0] in "Cc"

        if cancelled:
            self.counts["cancellation_rows"] += 1
        if self.not_after is not None and at > self.not_after:
            if self.strict:
                raise _BadRow(f"InvoiceDate {at:%Y-%m-%d %H:%M} is more than a day after now")
            self.counts["future_rows_skipped"] += 1
            return
        if customer:
            self._saw_shopper(customer, country, at)

        if not self._is_product(code, description):
            self.counts["non_product_rows_skipped"] += 1
            self.non_product_codes.add(code)
            return
        if price <= 0:
            # Free replacements, damages and stock corrections, not sales.
            self.counts["zero_price_rows_skipped"] += 1
            return
        if quantity == 0 or (quantity < 0 and not cancelled):
            raise _BadRow(
                f"quantity {quantity:g} on invoice {invoice}, which is not a cancellation"
                if quantity
                else "Quantity is 0"
            )
        self._saw_item(code, description, price)
        if not customer:
            self.counts["guest_rows_skipped"] += 1
            return
        self._event(invoice, code, customer, at, abs(quantity), cancelled)

    def _saw_shopper(self, customer: str, country: str, at: datetime) -> None:
        stats = self.shoppers.get(customer)
        if stats is None:
            stats = self.shoppers[customer] = _ShopperStats(first_at=at)
        elif at < stats.first_at:
            stats.first_at = at
        stats.countries[country.strip()] += 1

    def _saw_item(self, code: str, description: str, price: float) -> None:
        stats = self.items.get(code)
        if stats is None:
            stats = self.items[code] = _ItemStats()
        stats.descriptions[description] += 1  # cleaned once per distinct text, at the end
        stats.prices.append(price)

    def _event(
        self, invoice: str, code: str, customer: str, at: datetime, quantity: float, cancelled: bool
    ) -> None:
        repeat = self.repeats[invoice, code] + 1
        try:
            event = BehaviourEvent(
                event_id=f"or-{invoice}-{code}-{repeat}",
                shopper_id=customer,
                item_id=code,
                kind=EventKind.RETURN if cancelled else EventKind.PURCHASE,
                at=at,
                quantity=quantity,
                session_id=invoice,
            )
        except ValidationError as exc:
            raise _BadRow(explain_validation_error(exc)) from None
        self.repeats[invoice, code] = repeat
        self.events.append(event)
        self.counts["returns" if cancelled else "purchases"] += 1

    def _is_product(self, code: str, description: str) -> bool:
        known = self.products.get((code, description))
        if known is None:
            known = is_product_code(code) and not is_service_description(description)
            self.products[code, description] = known
        return known

    def _customer(self, raw: str) -> str:
        known = self.customers.get(raw)
        if known is None:
            known = self.customers[raw] = _customer_id(raw)
        return known

    def _time(self, raw: str) -> datetime:
        # ~25,000 distinct invoice times over half a million rows: parse each once.
        cached = self.times.get(raw)
        if cached is None:
            cached = self.times[raw] = _parse_time(raw)
        return cached

    def _malformed(self, line: int, why: str) -> None:
        if self.strict:
            raise IngestError(why, path=str(self.path), line=line)
        self.counts["malformed_rows"] += 1
        if len(self.malformed) < _EXAMPLES_KEPT:
            self.malformed.append((line, why))

    def result(self) -> OnlineRetailData:
        """The shoppers, items and events read, with the report."""
        items = [_item(code, stats) for code, stats in self.items.items()]
        shoppers = [
            Shopper(
                shopper_id=customer, country=_country(stats.countries), created_at=stats.first_at
            )
            for customer, stats in self.shoppers.items()
        ]
        categories = Counter(item.category or "" for item in items)
        report = OnlineRetailReport(
            source=self.path.name,
            **self.counts,
            non_product_codes=sorted(self.non_product_codes),
            malformed_lines=[line for line, _ in self.malformed],
            malformed_examples=[f"line {line}: {why}" for line, why in self.malformed],
            shoppers=len(shoppers),
            items=len(items),
            items_by_category=dict(categories.most_common()),
            first_event_at=min((e.at for e in self.events), default=None),
            last_event_at=max((e.at for e in self.events), default=None),
        )
        return OnlineRetailData(shoppers=shoppers, items=items, events=self.events, report=report)


def _item(code: str, stats: _ItemStats) -> CatalogItem:
    # The same code is described differently across rows ("… T-LIGHT HOLDER" with one
    # space or two); the cleaned wording used most often names it.
    wordings: Counter[str] = Counter()
    for raw, count in stats.descriptions.items():
        text = clean_text(raw)
        if text:
            wordings[text] += count
    description = wordings.most_common(1)[0][0] if wordings else ""
    # Who it suits only where the wording says so ("Childrens …", "… Wine Glass").
    suits = default_audiences().derive(description)
    return CatalogItem(
        item_id=code,
        title=nice_title(description) if description else f"Item {code}",
        description=description,
        category=default_categories().categorize(description),
        price=round(statistics.median(stats.prices), 2),
        audience=suits.audience,
        age_min=suits.age_min,
        age_max=suits.age_max,
        tags=suits.tags,
    )


class _BadRow(Exception):
    """Why one row cannot be read."""


def _number(raw: str, column: str) -> float:
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise _BadRow(f"{column} {raw.strip()!r} is not a number")
    return number


def _parse_time(raw: str) -> datetime:
    text = raw.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        try:
            # The spreadsheet copies of the dataset write "12/1/2010 8:26".
            return datetime.strptime(text, "%m/%d/%Y %H:%M")
        except ValueError:
            raise _BadRow(f"InvoiceDate {text!r} is not a date and time") from None
    try:
        return as_naive_utc(value)
    except ValueError as exc:
        raise _BadRow(f"InvoiceDate {text!r} {exc}") from None


def _customer_id(raw: str) -> str:
    # Exports read through pandas write the id as a float: "17850.0" is customer 17850.
    text = raw.strip()
    text = text[:-2] if text.endswith(".0") else text
    if text and not valid_identifier(text):
        raise _BadRow(f"CustomerID {raw.strip()!r} is not a usable id")
    return text


def _country(countries: Counter[str]) -> str | None:
    for country, _ in countries.most_common():
        if country.lower() not in _UNKNOWN_COUNTRIES:
            return country
    return None
