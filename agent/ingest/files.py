"""Opening input files: which format a file is in, gzip or not, and readable at all."""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import IO, TextIO, cast

from agent.errors import InvalidInput


class FileFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


_FORMATS = {".csv": FileFormat.CSV, ".jsonl": FileFormat.JSONL, ".ndjson": FileFormat.JSONL}
_GZIP_MAGIC = b"\x1f\x8b"


def detect_format(path: Path) -> FileFormat:
    """The format a file's name promises: ``.csv``, ``.jsonl``, ``.ndjson``, each maybe ``.gz``."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    found = _FORMATS.get(suffixes[-1]) if suffixes else None
    if found is None:
        raise InvalidInput(
            f"{path}: unsupported file type; use .csv, .jsonl or .ndjson (optionally .gz)"
        )
    return found


@contextmanager
def open_text(path: Path, *, errors: str = "strict") -> Iterator[TextIO]:
    """Open a (maybe gzipped) UTF-8 text file, and turn read failures into :class:`InvalidInput`.

    Failures that only show while reading (a truncated gzip, a byte that is not UTF-8)
    surface inside the ``with`` block, so they are translated there too. A byte-order
    mark is dropped: spreadsheet exports often start with one, and it would otherwise
    stick to the first column's name.
    """
    if not path.exists():
        raise InvalidInput(f"{path}: no such file")
    if not path.is_file():
        raise InvalidInput(f"{path}: not a file")
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        raw: IO[bytes] = handle
        if path.suffix.lower() == ".gz":
            if handle.read(2) != _GZIP_MAGIC:
                raise InvalidInput(f"{path}: named .gz but is not a gzip file")
            handle.seek(0)
            # GzipFile reads like any binary file; typeshed just does not say it is an IO.
            raw = cast(IO[bytes], gzip.GzipFile(fileobj=handle, mode="rb"))
        yield io.TextIOWrapper(raw, encoding="utf-8-sig", errors=errors, newline="")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise InvalidInput(f"{path}: damaged gzip file ({exc})") from exc
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    finally:
        handle.close()


def check_utf8(path: Path) -> None:
    """Read a (maybe gzipped) file through once and refuse it if any of it is not UTF-8.

    Rows are stored as they are read, so a bad byte found half-way would leave half the
    file loaded; checking first keeps the promise that such a file is refused whole.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with open_text(path) as text:
        while True:
            block = text.buffer.read(1 << 16)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                line += block.count(b"\n", 0, max(exc.start, 0))
                raise InvalidInput(
                    f"{path}:{line}: not UTF-8 text ({exc.reason}); nothing was loaded"
                ) from None
            if not block:
                return
            line += block.count(b"\n")
