"""Workers of one server starting at once on a new PostgreSQL database: both create the
same tables, and the one whose CREATE waited for the other's must carry on. PostgreSQL
then reports the clash on its catalog of row types (an IntegrityError), not as an
existing table; a worker that stopped on it stopped the whole server."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from agent.stores.sql.base import create_tables
from tests.pg import postgres_server, postgres_url  # noqa: F401

#: How long the other worker's CREATE stays uncommitted, so that ours waits for it.
HOLD_SECONDS = 0.5


def _tables_created_meanwhile(url: str, done: list[threading.Thread]) -> sa.MetaData:
    """Tables whose first CREATE meets another connection's CREATE of the same table,
    made just before and committed a moment later."""
    tables = sa.MetaData()
    table = sa.Table("buckets", tables, sa.Column("bucket", sa.String(64), primary_key=True))

    @sa.event.listens_for(table, "before_create")
    def _other_worker_first(*_: object, **__: object) -> None:
        if done:
            return
        other = sa.create_engine(url)
        conn = other.connect()
        conn.exec_driver_sql("CREATE TABLE buckets (bucket VARCHAR(64) PRIMARY KEY)")

        def commit_later() -> None:
            time.sleep(HOLD_SECONDS)
            conn.commit()
            conn.close()
            other.dispose()

        done.append(threading.Thread(target=commit_later))
        done[0].start()

    return tables


def test_plain_create_all_loses_the_race_on_postgres(postgres_url: str) -> None:  # noqa: F811
    engine, done = sa.create_engine(postgres_url), []
    with pytest.raises(sa.exc.IntegrityError, match="pg_type_typname_nsp_index"):
        _tables_created_meanwhile(postgres_url, done).create_all(engine)
    done[0].join()
    engine.dispose()


def test_create_tables_carries_on_when_another_worker_made_them_meanwhile(
    postgres_url: str,  # noqa: F811
) -> None:
    engine, done = sa.create_engine(postgres_url), []
    create_tables(_tables_created_meanwhile(postgres_url, done), engine)
    done[0].join()
    assert sa.inspect(engine).get_table_names() == ["buckets"]
    engine.dispose()
