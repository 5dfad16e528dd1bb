"""Reading a shop's catalog and behaviour files (CSV or JSON Lines, maybe gzipped).

Each reader yields one :class:`Parsed` per data row, so a caller can load the good rows
and report the bad ones with their line numbers; ``strict=True`` stops at the first bad
row instead. The formats are described in ``agent/ingest/FORMATS.md``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import ValidationError

from agent.clock import parse_time
from agent.domain import Audience, BehaviourEvent, CatalogItem, EventKind
from agent.errors import IngestError
from agent.ingest.csv_records import csv_records
from agent.ingest.files import FileFormat, check_utf8, detect_format, open_text
from tools.types import TAG_SEPARATOR

T = TypeVar("T")

CATALOG_REQUIRED = ("item_id", "title")
CATALOG_OPTIONAL = (
    "description",
    "category",
    "price",
    "url",
    "audience",
    "age_min",
    "age_max",
    "tags",
)
EVENT_REQUIRED = ("shopper_id", "item_id", "kind", "at")
EVENT_OPTIONAL = ("quantity", "rating", "session_id", "recipient", "context", "event_id")

#: What an event file may say a shopper did. "own" is left out: it is what a shopper
#: tells tactful in chat, not something a shop's logs record.
IMPORTED_KINDS = tuple(kind for kind in EventKind if kind is not EventKind.OWN)
_KINDS = ", ".join(kind.value for kind in IMPORTED_KINDS)
_AUDIENCES = ", ".join(audience.value for audience in Audience)


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """One data row of an input file: the value read from it, or why it could not be read.

    ``error`` is a sentence for people, starting with the line: "line 7: price 'abc' is
    not a number".
    """

    line: int
    value: T | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the row was read."""
        return self.error is None


class _RowError(Exception):
    """Why one row cannot be read; becomes a :class:`Parsed` error or an IngestError."""


Record = Mapping[str, object]


def read_catalog(path: Path, *, strict: bool = False) -> Iterator[Parsed[CatalogItem]]:
    """Read catalog items from a ``.csv``/``.jsonl``/``.ndjson`` file (maybe ``.gz``).

    Columns: ``item_id`` and ``title`` (required), ``description``, ``category``,
    ``price``, ``url``, ``audience``, ``age_min``, ``age_max``, ``tags`` (in CSV
    ``a|b|c``, in JSON a list or the same text); others are ignored. A CSV header
    without a required column raises :class:`IngestError` at once; an unreadable file
    raises :class:`InvalidInput`.
    """
    return _read(path, CATALOG_REQUIRED, _build_item, strict=strict)


def read_events(path: Path, *, strict: bool = False) -> Iterator[Parsed[BehaviourEvent]]:
    """Read behaviour events from a ``.csv``/``.jsonl``/``.ndjson`` file (maybe ``.gz``).

    Columns: ``shopper_id``, ``item_id``, ``kind``, ``at`` (required), ``quantity``,
    ``rating``, ``session_id``, ``recipient``, ``context``, ``event_id``. Without an
    ``event_id`` the id is derived from the row's content, so reading the same file twice
    gives the same ids and re-ingesting it changes nothing.
    """
    ids = _EventIds()
    return _read(path, EVENT_REQUIRED, lambda record: _build_event(record, ids), strict=strict)


def _read(
    path: Path,
    required: tuple[str, ...],
    build: Callable[[Record], T],
    *,
    strict: bool,
) -> Iterator[Parsed[T]]:
    # Checked here, before the generator starts, so a missing, misnamed or mis-encoded
    # file fails when read_* is called rather than after some of its rows were loaded.
    fmt = detect_format(path)
    check_utf8(path)
    return _parse(path, fmt, required, build, strict=strict)


def _parse(
    path: Path,
    fmt: FileFormat,
    required: tuple[str, ...],
    build: Callable[[Record], T],
    *,
    strict: bool,
) -> Iterator[Parsed[T]]:
    with open_text(path) as text:
        rows = _csv_rows(path, text, required) if fmt is FileFormat.CSV else _jsonl_rows(text)
        for line, record in rows:
            try:
                if isinstance(record, str):
                    raise _RowError(record)
                value = build(record)
            except _RowError as exc:
                if strict:
                    raise IngestError(str(exc), path=str(path), line=line) from None
                yield Parsed(line=line, error=f"line {line}: {exc}")
            else:
                yield Parsed(line=line, value=value)


def _csv_rows(
    path: Path, text: Iterator[str], required: tuple[str, ...]
) -> Iterator[tuple[int, Record | str]]:
    records = csv_records(text)
    line, header = next(records, (1, None))
    if header is None:
        raise IngestError(
            f"the file is empty; expected a header row with {', '.join(required)}",
            path=str(path),
            line=1,
        )
    if isinstance(header, str):
        raise IngestError(header, path=str(path), line=line)
    names = [name.strip().lower() for name in header]
    missing = [name for name in required if name not in names]
    if missing:
        # Every row would fail the same way: say it once, even when not strict.
        raise IngestError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"in the header (it has: {', '.join(n for n in names if n) or 'nothing'})",
            path=str(path),
            line=line,
        )
    for line, row in records:
        if isinstance(row, str):
            yield line, row
        elif not any(cell.strip() for cell in row):
            continue
        elif len(row) > len(names):
            yield line, f"{len(row)} values but the header has {len(names)} columns"
        else:
            yield line, dict(zip(names, row, strict=False))


def _jsonl_rows(text: Iterator[str]) -> Iterator[tuple[int, Record | str]]:
    for line, raw in enumerate(text, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield line, f"not valid JSON ({exc.msg} at column {exc.colno})"
            continue
        except RecursionError:
            yield line, "the JSON is nested too deeply to read"
            continue
        except ValueError:  # the only other one: an integer of thousands of digits
            yield line, "a number in it has too many digits to read"
            continue
        if not isinstance(record, dict):
            yield line, f"expected a JSON object, got {_json_type(record)}"
            continue
        yield line, {str(key).strip().lower(): value for key, value in record.items()}


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return "a number" if isinstance(value, int | float) else type(value).__name__


# -- one row to one model ---------------------------------------------------------------


def _build_item(record: Record) -> CatalogItem:
    fields = {
        "item_id": _text(record, "item_id", required=True),
        "title": _text(record, "title", required=True),
        "description": _text(record, "description") or "",
        "category": _text(record, "category"),
        "price": _number(record, "price"),
        "url": _text(record, "url"),
        "audience": _audience(record),
        "age_min": _number(record, "age_min"),
        "age_max": _number(record, "age_max"),
        "tags": _tags(record),
    }
    return _validate(CatalogItem, fields)


class _EventIds:
    """Deterministic ids for events without one: a hash of what the row says, plus how
    many identical rows came before it in the file (two identical purchases are two)."""

    def __init__(self) -> None:
        self._seen: Counter[str] = Counter()

    def next_id(self, *parts: str) -> str:
        digest = hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:20]
        occurrence = self._seen[digest]
        self._seen[digest] += 1
        return f"ev-{digest}-{occurrence}"


def _build_event(record: Record, ids: _EventIds) -> BehaviourEvent:
    shopper_id = _text(record, "shopper_id", required=True)
    item_id = _text(record, "item_id", required=True)
    kind = _kind(record)
    at = _time(record, "at")
    session_id = _text(record, "session_id")
    quantity = _number(record, "quantity")
    rating = _number(record, "rating")
    if kind is EventKind.RATING and rating is None:
        raise _RowError("a rating event needs a rating from 0 to 5")
    event_id = _text(record, "event_id")
    # Only rows that pass every check above take an occurrence number, so fixing a bad
    # row elsewhere in the file does not shift the ids of the good ones around it.
    fields = {
        "shopper_id": shopper_id,
        "item_id": item_id,
        "kind": kind,
        "at": at,
        "quantity": 1.0 if quantity is None else quantity,
        "rating": rating,
        "session_id": session_id,
        "recipient": _text(record, "recipient"),
        "context": _text(record, "context"),
    }
    event = _validate(BehaviourEvent, {"event_id": event_id or "pending", **fields})
    if event_id:
        return event
    derived = ids.next_id(
        event.shopper_id, event.item_id, event.kind.value, event.at.isoformat(), session_id or ""
    )
    return event.model_copy(update={"event_id": derived})


# -- fields -------------------------------------------------------------------------------


def _text(record: Record, name: str, *, required: bool = False) -> str | None:
    if name not in record:
        if required:
            raise _RowError(f"missing column {name}")
        return None
    value = record[name]
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value.strip()
        if not text.isascii() and any("\ud800" <= ch <= "\udfff" for ch in text):
            # JSON can spell half a character ("\\ud800"); no store can keep it.
            raise _RowError(f"{name} is not valid Unicode text")
    elif isinstance(value, bool | dict | list):
        raise _RowError(f"{name} must be text, not {_json_type(value)}")
    else:
        text = str(value)
    if not text:
        if required:
            raise _RowError(f"{name} is empty")
        return None
    return text


def _number(record: Record, name: str) -> float | None:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = math.nan
    else:
        number = math.nan
    if not math.isfinite(number):
        raise _RowError(f"{name} {_show(value)} is not a number")
    return number


def _audience(record: Record) -> Audience | None:
    raw = _text(record, "audience")
    if raw is None:
        return None
    try:
        return Audience(raw.lower())
    except ValueError:
        raise _RowError(f"audience {raw!r} is not one of {_AUDIENCES}") from None


def _tags(record: Record) -> list[str]:
    value = record.get("tags")
    if isinstance(value, list):
        if not all(isinstance(tag, str) for tag in value):
            raise _RowError("tags must be a list of text")
        parts = [str(tag) for tag in value]
    else:
        parts = (_text(record, "tags") or "").split(TAG_SEPARATOR)
    # "a||b" or a trailing "|" is a slip, not an empty tag.
    return [tag for tag in (" ".join(p.split()) for p in parts) if tag]


def _kind(record: Record) -> EventKind:
    raw = _text(record, "kind", required=True) or ""
    try:
        kind = EventKind(raw.lower())
    except ValueError:
        kind = None
    if kind not in IMPORTED_KINDS:
        raise _RowError(f"kind {raw!r} is not one of {_KINDS}")
    return kind


def _time(record: Record, name: str) -> datetime:
    raw = _text(record, name, required=True) or ""
    try:
        return parse_time(raw)
    except ValueError as exc:
        raise _RowError(f"{name} {raw!r} {exc}") from None


def _show(value: object) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"  # "-2", not "-2.0"; "1,000,000", not "1e+06"
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


# -- pydantic's complaints, in plain words -----------------------------------------------

M = TypeVar("M", CatalogItem, BehaviourEvent)


def _validate(model: type[M], fields: Mapping[str, object]) -> M:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise _RowError(explain_validation_error(exc)) from None


def explain_validation_error(exc: ValidationError) -> str:
    """Pydantic's complaints about a row as one plain sentence per problem."""
    return "; ".join(_explain(error) for error in exc.errors())


def _explain(error: Mapping[str, object]) -> str:
    loc = error.get("loc")
    name = ".".join(str(part) for part in loc) if isinstance(loc, tuple) else "value"
    kind = error.get("type")
    ctx = error.get("ctx")
    limits = ctx if isinstance(ctx, dict) else {}
    if not name and kind == "value_error" and "error" in limits:
        # A check across fields ("age_max 3 is below age_min 5") names them itself.
        return str(limits["error"])
    value = _show(error.get("input"))
    if kind == "string_too_long":
        return f"{name} is longer than {limits.get('max_length')} characters"
    if kind == "string_too_short":
        return f"{name} is empty"
    if kind == "value_error" and "error" in limits:
        return f"{name} {value} {limits['error']}"
    if kind == "finite_number":
        return f"{name} {value} is not a finite number"
    bounds = {
        "greater_than": "greater than",
        "greater_than_equal": "at least",
        "less_than": "less than",
        "less_than_equal": "at most",
    }
    if isinstance(kind, str) and kind in bounds:
        limit = _show(next(iter(limits.values()), "?"))
        return f"{name} {value} must be {bounds[kind]} {limit}"
    return f"{name}: {error.get('msg')}"
