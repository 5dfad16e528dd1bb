"""The SQL record store and the whole agent on a real PostgreSQL server.

A throwaway cluster is started once for the session (see :mod:`tests.pg`); every test gets
a database of its own. The demo shop is loaded into PostgreSQL once for this module and
each agent test works on a copy of it (``CREATE DATABASE … TEMPLATE``), with Chroma copied
from the session's demo template, so the embeddings are computed only once.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from agent.clock import FixedClock
from agent.domain import (
    QuestionStatus,
)
from agent.embedding import Embedder
from agent.errors import StoreUnavailable, UnknownShopper
from agent.facade import Tactful
from agent.ingest.online_retail import OnlineRetailData
from agent.settings import Settings
from agent.stores.records import RecordStore
from tests.conftest import load
from tests.distinctive import FACT, SAID, SECRETS, SHOPPER, adopt_history
from tests.helpers import purchase
from tests.pg import PostgresServer, postgres_server, postgres_url  # noqa: F401
from tests.scan import rows_mentioning


def test_a_database_missing_on_the_server_raises_store_unavailable(
    postgres_server: PostgresServer,  # noqa: F811
) -> None:
    with pytest.raises(StoreUnavailable, match="Cannot open the database"):
        RecordStore(postgres_server.url("no_such_database"))


# -- the whole agent -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_on_postgres(
    postgres_server: PostgresServer,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
    demo_template: Path,
    demo_data: OnlineRetailData,
    data_now: datetime,
    embedder: Embedder,
) -> Iterator[tuple[str, Path]]:
    """The demo shop loaded into a PostgreSQL database, and a home with its Chroma."""
    database = postgres_server.create_database()
    home = tmp_path_factory.mktemp("pg-demo-template")
    # Chroma comes already filled from the SQLite demo template: the items are then
    # unchanged, so loading does not embed the catalog a second time.
    shutil.copytree(demo_template / "chroma", home / "chroma")
    settings = Settings(home=home, database_url=postgres_server.url(database))
    with Tactful.open(settings, clock=FixedClock(data_now), embedder=embedder) as tactful:
        load(tactful, demo_data)
        assert tactful.records.count_events() == len({e.event_id for e in demo_data.events})
    yield database, home
    postgres_server.drop_database(database)


@pytest.fixture
def agent(
    postgres_server: PostgresServer,  # noqa: F811
    demo_on_postgres: tuple[str, Path],
    tmp_path: Path,
    clock: FixedClock,
    embedder: Embedder,
) -> Iterator[Tactful]:
    """A private copy of the demo shop on PostgreSQL, clock at the day after its data ends."""
    template, template_home = demo_on_postgres
    database = postgres_server.create_database(template=template)
    home = tmp_path / "home"
    shutil.copytree(template_home, home)
    settings = Settings(home=home, database_url=postgres_server.url(database))
    with Tactful.open(settings, clock=clock, embedder=embedder) as tactful:
        assert tactful.records.engine.dialect.name == "postgresql"
        yield tactful
    postgres_server.drop_database(database)


def test_a_correction_on_postgres_changes_the_very_next_answer(
    agent: Tactful, demo_shopper: str
) -> None:
    before = agent.chat(demo_shopper, "show me candles")
    assert any("candle" in s.item.title.lower() for s in before.suggestions)

    agent.chat(demo_shopper, "I'm not into candles", conversation_id=before.conversation_id)
    after = agent.recommend(demo_shopper, k=10)

    assert not any("candle" in s.item.title.lower() for s in after)
    turns = agent.records.turns(before.conversation_id)
    assert [t.role for t in turns] == ["shopper", "agent", "shopper", "agent"]
    assert turns[0].text == "show me candles"
    assert any(t.payload for t in turns if t.role == "agent")
    assert "fact.add" in [a.action for a in agent.records.audit_for(demo_shopper)]


def test_an_out_of_profile_purchase_on_postgres_is_asked_about_at_the_next_turn(
    agent: Tactful, demo_shopper: str, gift_item: str, clock: FixedClock
) -> None:
    report = agent.record_events([purchase(demo_shopper, gift_item, clock)])
    assert [q.item_id for q in report.questions] == [gift_item]

    reply = agent.chat(demo_shopper, "show me something")

    assert reply.question is not None and reply.question.item_id == gift_item
    assert reply.question.status is QuestionStatus.ASKED
    [stored] = agent.records.questions_for(demo_shopper)
    assert (stored.item_id, stored.status) == (gift_item, QuestionStatus.ASKED)
    assert reply.suggestions


def test_erasing_on_postgres_leaves_no_row_holding_the_shopper_or_their_words(
    agent: Tactful, demo_shopper: str, gift_item: str
) -> None:
    """Every value of every row of every table in the database is searched (see
    :mod:`tests.distinctive` for why the shopper is a new one)."""
    adopt_history(agent, demo_shopper)
    agent.record_events([purchase(SHOPPER, gift_item, agent.clock)])
    agent.remember(SHOPPER, FACT)
    agent.chat(SHOPPER, "hello")
    agent.chat(SHOPPER, SAID)
    agent.chat(SHOPPER, "talk to a person")
    agent.profiles.snapshot_taste(SHOPPER, agent.index.catalog, agent.clock.now())
    engine = agent.records.engine
    assert {secret for _, secret in rows_mentioning(engine, SECRETS)} == set(SECRETS)
    key = str(agent.records.facts.vector_key(SHOPPER))

    report = agent.erase(SHOPPER)

    assert rows_mentioning(engine, [*SECRETS, key]) == []
    assert [a.action for a in agent.records.audit_for(str(report.audit_token))][-1] == "erase"
    with pytest.raises(UnknownShopper):
        agent.recommend(SHOPPER)
