"""Searching everything a store wrote for given words: every byte of every file, or every
value of every row of every table the database has (not only the tables we know of)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa


def encodings(text: str) -> list[bytes]:
    """The ways ``text`` can appear in a file: UTF-8, inside JSON, and SQLite's UTF-16."""
    forms = {text, json.dumps(text)[1:-1]}
    return [f.encode(codec) for f in forms for codec in ("utf-8", "utf-16-le", "utf-16-be")]


def files_mentioning(root: Path, needles: Iterable[str]) -> list[tuple[str, str]]:
    """(file, needle) for every file under ``root`` holding any encoding of a needle."""
    wanted = {needle: encodings(needle) for needle in needles}
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [
            (str(path.relative_to(root)), needle)
            for needle, forms in wanted.items()
            if any(form in data for form in forms)
        ]
    return found


def rows_mentioning(engine: sa.Engine, needles: Iterable[str]) -> list[tuple[str, str]]:
    """(table, needle) for every row holding a needle anywhere in any of its values."""
    wanted = list(needles)
    tables = sa.MetaData()
    tables.reflect(engine)
    found = []
    with engine.connect() as conn:
        for table in tables.sorted_tables:
            for row in conn.execute(sa.select(table)):
                text = " ".join(
                    v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row
                )
                found += [(table.name, needle) for needle in wanted if needle in text]
    return found
