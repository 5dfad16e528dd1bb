"""Every reader, fed random bytes, hostile text and extreme numbers, reads a row or says
why not by its line, or refuses the file with one clear error; it never crashes, and
nothing it hands on breaks the models' rules."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.errors import IngestError, InvalidInput
from agent.ingest.online_retail import COLUMNS, read_online_retail
from agent.ingest.readers import (
    CATALOG_OPTIONAL,
    CATALOG_REQUIRED,
    EVENT_OPTIONAL,
    EVENT_REQUIRED,
    Parsed,
    read_catalog,
    read_events,
)
from tests.agent.hostile import NASTY_LINES, csv_cell, hostile_text, online_retail_row

FUZZ = settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
Reader = Callable[..., Iterator[Parsed[Any]]]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def csv_text(columns: tuple[str, ...]) -> st.SearchStrategy[str]:
    header = st.one_of(st.just(list(columns)), st.lists(csv_cell(), max_size=len(columns) + 1))
    line = st.one_of(
        st.lists(csv_cell(), max_size=len(columns) + 2).map(",".join), st.sampled_from(NASTY_LINES)
    )
    return st.tuples(header.map(",".join), st.lists(line, max_size=6)).map(
        lambda parts: "\n".join([parts[0], *parts[1]]) + "\n"
    )


def jsonl_text(columns: tuple[str, ...]) -> st.SearchStrategy[str]:
    value = st.one_of(
        hostile_text(),
        st.floats(),
        st.integers(),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=2),
    )
    record = st.dictionaries(st.one_of(st.sampled_from(columns), hostile_text(1)), value)
    line = st.one_of(record.map(json.dumps), hostile_text(), st.sampled_from(NASTY_LINES))
    return st.lists(line, max_size=6).map(lambda lines: "\n".join(lines) + "\n")


def file_bytes(text: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    # surrogatepass: half a character becomes bytes that are not UTF-8.
    encoded = text.map(lambda t: t.encode("utf-8", "surrogatepass"))
    return st.one_of(encoded, encoded.map(gzip.compress), st.binary(max_size=400))


def read_everything(read: Reader, path: Path, *, strict: bool) -> list[Parsed[Any]] | None:
    """The rows read, or None when the whole file was refused with a clear error."""
    try:
        return list(read(path, strict=strict))
    except (InvalidInput, IngestError) as exc:
        assert exc.message.strip() and "Traceback" not in exc.message
        return None


def assert_rows_are_sound(rows: list[Parsed[Any]] | None, *, strict: bool) -> None:
    for row in rows or []:
        assert (row.value is None) != (row.error is None), row
        if row.error is not None:
            assert not strict, "a strict read raises at its first bad row"
            assert row.error.startswith(f"line {row.line}: "), row.error
        else:
            # The model's own rules hold for whatever was read: finite numbers, clean ids.
            model = type(row.value)
            assert model.model_validate(row.value.model_dump()) == row.value


CATALOG_COLUMNS = CATALOG_REQUIRED + CATALOG_OPTIONAL
EVENT_COLUMNS = EVENT_REQUIRED + EVENT_OPTIONAL


@pytest.mark.parametrize(
    ("read", "columns"),
    [(read_catalog, CATALOG_COLUMNS), (read_events, EVENT_COLUMNS)],
    ids=["catalog", "events"],
)
@pytest.mark.parametrize(("suffix", "text"), [("csv", csv_text), ("jsonl", jsonl_text)])
@FUZZ
@given(data=st.data(), strict=st.booleans())
def test_catalog_and_event_files_never_crash_the_reader(
    folder: Path,
    read: Reader,
    columns: tuple[str, ...],
    suffix: str,
    text: Callable[[tuple[str, ...]], st.SearchStrategy[str]],
    data: st.DataObject,
    strict: bool,
) -> None:
    content = data.draw(file_bytes(text(columns)))
    gz = ".gz" if content.startswith(b"\x1f\x8b") else ""
    path = folder / f"fuzz.{suffix}{gz}"
    path.write_bytes(content)

    assert_rows_are_sound(read_everything(read, path, strict=strict), strict=strict)


@FUZZ
@given(
    content=file_bytes(
        st.lists(online_retail_row(), max_size=6).map(
            lambda rows: "\n".join([",".join(COLUMNS), *rows]) + "\n"
        )
    ),
    strict=st.booleans(),
)
def test_online_retail_files_never_crash_the_importer(
    folder: Path, content: bytes, strict: bool
) -> None:
    path = folder / ("retail.csv.gz" if content.startswith(b"\x1f\x8b") else "retail.csv")
    path.write_bytes(content)

    try:
        data = read_online_retail(path, strict=strict)
    except (InvalidInput, IngestError) as exc:
        assert exc.message.strip()
        return

    r = data.report
    assert r.rows_read == (
        r.purchases
        + r.returns
        + r.guest_rows_skipped
        + r.zero_price_rows_skipped
        + r.non_product_rows_skipped
        + r.future_rows_skipped
        + r.malformed_rows
    )
    for model in [*data.events, *data.items, *data.shoppers]:
        assert type(model).model_validate(model.model_dump()) == model
    assert r.summary()
