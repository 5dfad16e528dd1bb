"""Hostile data for tests: what a catalog or a shopper could send a terminal or a reader,
strategies that weave it into text, files and rows, and a small shop built from it with
the command line run against it in-process (``CliRunner``, a hashing embedder), so
hundreds of commands take seconds.
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import strategies as st
from typer.testing import CliRunner

from agent.cli import app
from tests.fakes import HashingEmbedder

NOW = datetime(2011, 12, 10)

# What a hostile catalog or shopper sends a terminal: colours, a screen clear, a window
# title, an OSC 8 link, bidi overrides and isolates, zero-width characters, C1 controls,
# a bell, a carriage return, Rich markup and emoji codes.
HOSTILE = (
    "\x1b[31m",
    "\x1b[0m",
    "\x1b[2J\x1b[H",
    "\x1b]0;owned\x07",
    "\x1b]8;;https://evil.example\x1b\\",
    "\x1b]8;;\x1b\\",
    "\x1bP1$r\x1b\\",
    "\x9b31m",
    "\x9d0;owned\x9c",
    "\u202e",
    "\u202a",
    "\u2066",
    "\u2069",
    "\u200b",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\x07",
    "\x08",
    "\r",
    "\x00",
    "\x7f",
    "\u2028",
    "[/]",
    "[bold red]",
    "[link=https://evil.example]",
    ":smile:",
    "\\",
)
# Values that have broken readers and the ranker: non-finite and absurd numbers, digits
# Python will not read, times outside the calendar or far ahead, CSV quoting, nesting
# deeper than the recursion limit, half a character.
EXTREME = (
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "1e308",
    "-1",
    "0",
    "9" * 5000,
    "0001-01-01T00:00+01:00",
    "9999-12-31T23:59:59",
    "2011-12-09T10:00Z",
    '"',
    ",",
    "\n",
    "\r\n",
    "[" * 3000,
    "\udcff",
)
SHOPPER = "s-1"
OTHER_SHOPPER = "s-2"


def hostile(text: str, index: int) -> str:
    """``text`` with two hostile pieces woven in, different ones for each ``index``."""
    first, second = HOSTILE[index % len(HOSTILE)], HOSTILE[(index * 7 + 3) % len(HOSTILE)]
    return f"{first}{text}{second} end"


CATALOG = [
    {
        "item_id": f"H{i}",
        "title": hostile(title, i),
        "category": hostile("home", i + 1),
        "description": hostile(f"a {title.lower()} for every day", i + 2),
        "price": 2.5 + i,
    }
    for i, title in enumerate(
        ["Owl mug", "Fox scarf", "Candle lantern", "Glass jar", "Heart tin", "Paper kite"]
    )
]
EVENTS = [
    {"shopper_id": shopper, "item_id": f"H{i}", "kind": "purchase", "at": f"2011-12-0{i + 1}"}
    for shopper, items in ((SHOPPER, (0, 1, 3)), (OTHER_SHOPPER, (1, 2, 4)))
    for i in items
]


def hostile_text(pieces: int = 4) -> st.SearchStrategy[str]:
    """Short strings woven from hostile pieces, extreme values, ids of the shop and noise."""
    piece = st.one_of(
        st.sampled_from(HOSTILE + EXTREME + (SHOPPER, "H0", "purchase", "2011-12-09")),
        st.text(max_size=8),
    )
    return st.lists(piece, max_size=pieces).map("".join)


def mostly(*usual: str) -> st.SearchStrategy[str]:
    """One of the ``usual`` values three times in four, else hostile text: enough valid
    context that a hostile value reaches the code behind the first check."""
    common = st.sampled_from(usual)
    return st.one_of(common, common, common, hostile_text(2))


def row(*columns: Sequence[str]) -> st.SearchStrategy[list[str]]:
    """One usual value per column, then at most one of them swapped for hostile text."""
    usual = st.tuples(*(st.sampled_from(values) for values in columns))
    swap = st.tuples(st.integers(0, len(columns)), hostile_text(2))
    return st.tuples(usual, swap).map(
        lambda drawn: [drawn[1][1] if i == drawn[1][0] else v for i, v in enumerate(drawn[0])]
    )


def csv_cell() -> st.SearchStrategy[str]:
    """A CSV value: hostile text, bare or quoted."""
    text = hostile_text(3)
    return st.one_of(text, text.map(lambda t: '"' + t.replace('"', '""') + '"'))


# Lines that have crashed readers: nesting past the recursion limit, an integer Python
# will not read, half a character spelled in JSON, an unclosed quote, an oversized value.
NASTY_LINES = (
    "[" * 5000 + "]" * 5000,
    '{"item_id": "H9", "title": "x", "price": ' + "9" * 5000 + "}",
    '{"item_id": "H9", "title": "\\ud800", "shopper_id": "s-1", "kind": "view"}',
    '"unclosed,quote',
    "H9," + "x" * 200_000,
)

ONLINE_RETAIL_VALUES = (
    ("536365", "C536379"),
    ("85123A", "22423", "POST", "[/]"),
    ("WHITE HANGING HEART", "[bold]CANDLE\x1b[31m"),
    ("6", "-2", "inf", "1e308"),
    ("2011-12-01 08:26:00", "12/1/2011 8:26", "9999-12-31 23:59", "0001-01-01T00:00+01:00"),
    ("2.55", "0", "nan"),
    ("17850.0", "17850", "", "178\u202e50"),
    ("United Kingdom",),
)


def online_retail_row() -> st.SearchStrategy[str]:
    """One Online Retail line: usual and extreme values, at most one of them hostile."""
    return row(*ONLINE_RETAIL_VALUES).map(",".join)


class Run(NamedTuple):
    """What one command did: its exit code and what it printed."""

    code: int
    out: str
    err: str
    exception: BaseException | None

    @property
    def text(self) -> str:
        return self.out + self.err


def unsafe_characters(text: str) -> list[str]:
    """Characters a terminal could act on or hide: controls other than a line break,
    format characters (bidi, zero-width), lone surrogates, line and paragraph separators."""
    return [
        ch
        for ch in text
        if ch != "\n" and unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Zl", "Zp"}
    ]


def assert_inert_and_clean(run: Run, *, codes: frozenset[int] = frozenset(range(6))) -> None:
    """A documented exit code, no traceback, and nothing a terminal would act on."""
    assert run.exception is None or isinstance(run.exception, SystemExit), run
    assert run.code in codes, run
    assert "Traceback" not in run.text, run.text
    assert not unsafe_characters(run.text), (unsafe_characters(run.text), run.text)


class Shop:
    """``shop(*args)`` runs ``tactful *args`` against the shop's data folder."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.runner = CliRunner()

    def __call__(self, *args: str, env: dict[str, str] | None = None, input: str = "") -> Run:
        base = {"TACTFUL_HOME": str(self.home), "TACTFUL_NOW": NOW.isoformat()}
        result = self.runner.invoke(app, list(args), env=base | (env or {}), input=input)
        return Run(result.exit_code, result.stdout, result.stderr, result.exception)

    def write(self, name: str, lines: list[dict[str, Any]]) -> Path:
        path = self.home.parent / name
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        return path


@contextmanager
def small_shop(folder: Path) -> Iterator[Shop]:
    """The hostile catalog and two shoppers' purchases, loaded through the command line."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("TACTFUL_")]:
            patch.delenv(name)
        patch.setattr("agent.facade.load_default_embedder", HashingEmbedder)
        shop = Shop(folder / "home")
        for command in (
            ("ingest", "catalog", str(shop.write("catalog.jsonl", CATALOG))),
            ("ingest", "events", str(shop.write("events.jsonl", EVENTS))),
        ):
            loaded = shop(*command)
            assert loaded.code == 0, loaded
        yield shop
