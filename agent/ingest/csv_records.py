"""CSV records with the line each starts on, where a broken record is reported, not fatal."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator


def csv_records(text: Iterable[str]) -> Iterator[tuple[int, list[str] | str]]:
    """Each record of a CSV text with the line it starts on, or why it cannot be read.

    Python's reader, left to itself, stops a whole file at one value over its size limit,
    and lets an unclosed quote swallow every later line as a single value. Here it is
    strict, so such a record is reported with the line it started on and reading goes on
    at the next line.
    """
    reader = csv.reader(text, strict=True)
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, _why(str(exc), start, reader.line_num)
        else:
            yield start, record


def _why(error: str, start: int, end: int) -> str:
    if "field limit" in error:
        return f"a value is longer than {csv.field_size_limit():,} characters"
    if "unexpected end of data" in error:
        return f"a quoted value opened on this line is never closed (the file ends at line {end})"
    where = f", in a record that runs to line {end}" if end > start else ""
    return f"not valid CSV ({error}{where})"
