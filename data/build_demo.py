"""Build the demo subset ``data/online-retail-demo.csv.gz`` from the full UCI Online Retail file.

Run from the repository root::

    .venv/bin/python data/build_demo.py [--source PATH]

The subset keeps the source's format, so the same importer reads both. It holds every row
of a seeded sample of customers (mostly UK, some from other countries), a few guest
checkouts and zero-price lines so the import report has something to count, the demo
customer and the demo gift item. It also writes ``data/demo.json``: which shopper the
``tactful demo`` walk-through uses and which item it "buys as a gift". The choice is
deterministic: the same source gives byte-identical output.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    # Run as a script, Python puts data/ on the path, not the repository.
    sys.path.insert(0, str(ROOT))

from agent.ingest.online_retail import COLUMNS, read_online_retail  # noqa: E402

DEFAULT_SOURCE = ROOT.parent / "shared" / "datasets" / "online-retail" / "online-retail.csv.gz"
OUTPUT = ROOT / "data" / "online-retail-demo.csv.gz"
DEMO_JSON = ROOT / "data" / "demo.json"

SEED = 20111209
UK_CUSTOMERS = 330
OTHER_CUSTOMERS = 70
# Big wholesale accounts (thousands of lines) would make up most of a small file.
MAX_ROWS_PER_CUSTOMER = 600
GUEST_INVOICES = 4
ZERO_PRICE_ROWS = 6

# A demo customer has a coherent home / kitchen history, a few orders spread over time,
# and nothing for children or the seasons that a kids' gift could hide behind.
HOME_CATEGORIES = frozenset(
    {"home decor", "kitchen & dining", "candles & lights", "textiles", "storage", "clocks", "signs"}
)
AWAY_CATEGORIES = frozenset({"kids & toys", "christmas", "easter"})
MIN_HOME_SHARE = 0.85
DISTINCT_ITEMS = (30, 120)
MIN_ORDERS = 4
# The gift: a plainly children's toy, tried in this order.
GIFT_CANDIDATES = ("23570", "22749", "22619", "21891", "22620")


def main() -> None:
    """Write the subset and demo.json, and print what they contain."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = parser.parse_args()

    header, rows = _read_rows(args.source)
    shopper_id, gift_item_id, why = _pick_demo(args.source)
    keep = _choose_rows(rows, shopper_id, gift_item_id)
    _write(OUTPUT, header, [row for i, row in enumerate(rows) if i in keep])
    DEMO_JSON.write_text(
        json.dumps(
            {"shopper_id": shopper_id, "gift_item_id": gift_item_id, "why": why},
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    report = read_online_retail(OUTPUT).report
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({OUTPUT.stat().st_size:,} bytes)")
    print(report.summary())
    print(f"wrote {DEMO_JSON.relative_to(ROOT)}: shopper {shopper_id}, gift {gift_item_id}")


def _read_rows(source: Path) -> tuple[list[str], list[list[str]]]:
    with gzip.open(source, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        if tuple(header) != COLUMNS:
            sys.exit(f"{source}: expected the header {','.join(COLUMNS)}")
        return header, list(reader)


def _pick_demo(source: Path) -> tuple[str, str, str]:
    data = read_online_retail(source)
    items = {item.item_id: item for item in data.items}
    country = {shopper.shopper_id: shopper.country for shopper in data.shoppers}
    bought: dict[str, set[str]] = defaultdict(set)
    orders: dict[str, set[str]] = defaultdict(set)
    for event in data.events:
        if event.kind == "purchase":
            bought[event.shopper_id].add(event.item_id)
            orders[event.shopper_id].add(event.session_id or "")

    candidates = []
    for shopper, history in bought.items():
        low, high = DISTINCT_ITEMS
        if country[shopper] != "United Kingdom" or not low <= len(history) <= high:
            continue
        categories = Counter(items[item].category for item in history)
        if any(categories[c] for c in AWAY_CATEGORIES) or len(orders[shopper]) < MIN_ORDERS:
            continue
        share = sum(categories[c] for c in HOME_CATEGORIES) / len(history)
        if share >= MIN_HOME_SHARE:
            candidates.append((-len(orders[shopper]), -share, shopper))
    if not candidates:
        sys.exit("no customer fits the demo profile; loosen the criteria in build_demo.py")
    _, _, shopper = min(candidates)
    history = bought[shopper]

    gift = next(
        (
            g
            for g in GIFT_CANDIDATES
            if g in items and items[g].category == "kids & toys" and g not in history
        ),
        None,
    )
    if gift is None:
        sys.exit("none of the gift candidates is a kids' item outside the demo history")
    top = Counter(items[item].category for item in history).most_common(3)
    share = sum(
        n for c, n in Counter(items[i].category for i in history).items() if c in HOME_CATEGORIES
    )
    why = (
        f"Shopper {shopper} (United Kingdom) bought {len(history)} distinct items over "
        f"{len(orders[shopper])} orders, {share} of them home and kitchen things "
        f"({', '.join(f'{c} {n}' for c, n in top)}), and nothing for children or the seasons. "
        f"'{items[gift].title}' (item {gift}, {items[gift].category}) is a child's toy far "
        "from that history: a purchase of it looks like a gift, which is what the demo "
        "injects to show tactful asking instead of assuming."
    )
    return shopper, gift, why


def _choose_rows(rows: list[list[str]], shopper_id: str, gift_item_id: str) -> set[int]:
    col = {name: i for i, name in enumerate(COLUMNS)}
    by_customer: dict[str, list[int]] = defaultdict(list)
    guest_invoices: dict[str, list[int]] = defaultdict(list)
    zero_price: list[int] = []
    country: dict[str, str] = {}
    gift_buyers: set[str] = set()
    for i, row in enumerate(rows):
        customer = row[col["CustomerID"]].removesuffix(".0")
        if customer:
            by_customer[customer].append(i)
            country.setdefault(customer, row[col["Country"]])
            if row[col["StockCode"]] == gift_item_id:
                gift_buyers.add(customer)
        else:
            guest_invoices[row[col["InvoiceNo"]]].append(i)
        if float(row[col["UnitPrice"]]) == 0:
            zero_price.append(i)

    rng = random.Random(SEED)
    eligible = sorted(c for c, r in by_customer.items() if len(r) <= MAX_ROWS_PER_CUSTOMER)
    uk = [c for c in eligible if country[c] == "United Kingdom"]
    other = [c for c in eligible if country[c] != "United Kingdom"]
    chosen = set(rng.sample(uk, UK_CUSTOMERS)) | set(rng.sample(other, OTHER_CUSTOMERS))
    chosen.add(shopper_id)
    if not chosen & gift_buyers:
        # The gift item must be in the demo catalog: bring in its smallest buyer.
        chosen.add(min(gift_buyers & set(eligible), key=lambda c: (len(by_customer[c]), c)))

    small_guests = sorted(inv for inv, r in guest_invoices.items() if 5 <= len(r) <= 40)
    keep = {i for c in chosen for i in by_customer[c]}
    for invoice in rng.sample(small_guests, GUEST_INVOICES):
        keep.update(guest_invoices[invoice])
    keep.update(rng.sample(zero_price, ZERO_PRICE_ROWS))
    return keep


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    # mtime=0 and no file name in the gzip header: the same rows give the same bytes.
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(text.getvalue().encode("utf-8"))


if __name__ == "__main__":
    main()
