"""Workers opening one database at once: the one that finds a table made between its check
and its CREATE carries on, as ``tactful serve --workers`` needs."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from agent.stores.sql.base import create_tables


def _tables_raced_by_another_process(url: str) -> sa.MetaData:
    """Tables whose first CREATE is preceded by another engine creating the same table."""
    tables = sa.MetaData()
    table = sa.Table("buckets", tables, sa.Column("bucket", sa.String(64), primary_key=True))
    raced = False

    @sa.event.listens_for(table, "before_create")
    def _other_process_first(*_: object, **__: object) -> None:
        nonlocal raced
        if raced:
            return
        raced = True
        other = sa.create_engine(url)
        with other.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE buckets (bucket VARCHAR(64) PRIMARY KEY)")
        other.dispose()

    return tables


def test_plain_create_all_loses_the_race(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    engine = sa.create_engine(url)
    with pytest.raises(sa.exc.OperationalError, match="already exists"):
        _tables_raced_by_another_process(url).create_all(engine)
    engine.dispose()


def test_create_tables_survives_the_race(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    engine = sa.create_engine(url)
    create_tables(_tables_raced_by_another_process(url), engine)
    assert sa.inspect(engine).get_table_names() == ["buckets"]
    engine.dispose()
