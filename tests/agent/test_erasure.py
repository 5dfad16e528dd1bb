"""Erase means gone from every file of the data folder; export holds everything kept."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import datetime
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from agent.clock import FixedClock
from agent.domain import FactSource, PreferenceFact
from agent.embedding import Embedder
from agent.errors import UnknownShopper
from agent.facade import Tactful
from agent.policy.clarify import ClarifyConfig
from agent.settings import Settings
from agent.stores.records import RecordStore
from agent.stores.sql.erasure import ErasureReport
from agent.stores.vectors import FACT_VECTORS, LEGACY_FACTS, TASTE_VECTORS
from tests.distinctive import FACT, SAID, SECRETS, SHOPPER, adopt_history
from tests.helpers import purchase
from tests.scan import files_mentioning


def test_after_erase_no_byte_of_the_shopper_or_their_words_is_left_in_the_data_folder(
    tactful: Tactful, demo_home: Path, demo_shopper: str, gift_item: str
) -> None:
    """A new shopper with a distinctive id and a real shopper's purchases (see
    :mod:`tests.distinctive`) states a fact, chats, gives feedback, asks for a person, buys
    something out of profile and exports their data; then every byte of every file under
    the data folder (SQLite with its log, Chroma's database and segment files, exports) is
    searched for the id and the words."""
    purchases = adopt_history(tactful, demo_shopper)
    tactful.remember(SHOPPER, FACT)
    tactful.chat(SHOPPER, "hello")
    tactful.chat(SHOPPER, SAID)
    tactful.chat(SHOPPER, "not for me #1")
    # A question must be on record to be erased: any out-of-profile purchase will do,
    # consequential or not (the copied history's twin among the neighbours damps it).
    tactful.clarifier.config = ClarifyConfig(min_changed=1)
    tactful.record_events([purchase(SHOPPER, gift_item, tactful.clock)])
    tactful.chat(SHOPPER, "talk to a person")
    tactful.profiles.snapshot_taste(SHOPPER, tactful.index.catalog, tactful.clock.now())
    tactful.export_to_file(SHOPPER)
    assert {secret for _, secret in files_mentioning(demo_home, SECRETS)} == set(SECRETS)
    key = str(tactful.records.facts.vector_key(SHOPPER))

    report = tactful.erase(SHOPPER)
    tactful.close()

    assert files_mentioning(demo_home, SECRETS) == []
    # Chroma may keep the vector key in its queue and free pages; nothing else names it.
    assert {path.split("/")[0] for path, _ in files_mentioning(demo_home, [key])} <= {"chroma"}
    assert report.events == {"purchase": purchases + 1, "dismiss": 1}
    assert (report.conversations, report.facts, report.questions) == (1, 2, 1)
    assert (report.feedback, report.escalations, report.exports) == (1, 1, 1)
    assert report.messages >= 8


def test_after_erase_chroma_files_nothing_under_the_old_vector_key_and_a_return_gets_a_new_one(
    tactful: Tactful, demo_home: Path, demo_shopper: str
) -> None:
    tactful.remember(demo_shopper, FACT)
    tactful.profiles.snapshot_taste(demo_shopper, tactful.index.catalog, tactful.clock.now())
    old = str(tactful.records.facts.vector_key(demo_shopper))
    assert filed_under(demo_home, old) == (1, 1)

    tactful.erase(demo_shopper)

    assert filed_under(demo_home, old) == (0, 0)
    tactful.chat(demo_shopper, "I love owls")
    assert tactful.records.facts.vector_key(demo_shopper) not in {None, old}


def filed_under(home: Path, key: str) -> tuple[int, int]:
    """How many fact vectors and taste vectors Chroma holds under a vector key."""
    client = chromadb.PersistentClient(
        path=str(home / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    facts = client.get_collection(FACT_VECTORS).get(where={"owner": key}, include=[])
    tastes = client.get_collection(TASTE_VECTORS).get(ids=[key], include=[])
    return len(facts["ids"]), len(tastes["ids"])


def test_erasure_leaves_nothing_the_agent_answers_with(tactful: Tactful, demo_shopper: str) -> None:
    fact = tactful.remember(demo_shopper, FACT)

    tactful.erase(demo_shopper)

    with pytest.raises(UnknownShopper):
        tactful.recommend(demo_shopper)
    reply = tactful.chat(demo_shopper, "hello")  # a new visitor with the same id
    assert fact.fact_id not in {
        e.ref for s in reply.suggestions for f in s.factors for e in f.evidence
    }
    assert tactful.profile(demo_shopper).facts == []
    assert tactful.profile(demo_shopper).event_count == 0


def test_an_erasure_report_says_what_went_in_words() -> None:
    report = ErasureReport(conversations=3, facts=1, events={"purchase": 179}, exports=0)

    assert report.summary() == "3 conversations, 1 stated preference and 179 purchases"
    assert ErasureReport(messages=1, feedback=2).summary() == "1 message and 2 pieces of feedback"
    assert ErasureReport().summary() == "nothing"


def test_an_export_holds_everything_kept_about_the_shopper(
    tactful: Tactful, demo_shopper: str, gift_item: str
) -> None:
    fact = tactful.remember(demo_shopper, FACT)
    shown = tactful.chat(demo_shopper, "show me candles")
    tactful.chat(demo_shopper, "not for me")
    tactful.record_events([purchase(demo_shopper, gift_item, tactful.clock)])
    tactful.chat(demo_shopper, "talk to a person")

    data = tactful.export(demo_shopper)

    assert data["shopper"]["shopper_id"] == demo_shopper
    [exported_fact] = data["facts"]
    assert exported_fact["fact_id"] == fact.fact_id and exported_fact["text"] == FACT
    assert {"source", "created_at", "reinforced_at", "status"} <= set(exported_fact)
    assert len(data["events"]) == len(tactful.records.events_for(demo_shopper))
    assert [q["item_id"] for q in data["questions"]] == [gift_item]
    [conversation] = data["conversations"]
    first_answer = conversation["turns"][1]
    assert first_answer["role"] == "agent" and first_answer["text"] == shown.text
    assert [s["item_id"] for s in first_answer["shown"]] == [
        s.item.item_id for s in shown.suggestions
    ]
    assert first_answer["shown"][0]["title"] == shown.suggestions[0].item.title
    assert first_answer["shown"][0]["reason"] == shown.suggestions[0].reason
    assert first_answer["shown"][0]["factors"][0]["name"] == shown.suggestions[0].factors[0].name
    [feedback] = data["feedback"]
    assert feedback["value"] == "not_for_me" and feedback["at"]
    assert len(data["escalations"]) == 1
    assert ("fact.add", fact.fact_id) in {(a["action"], a["target"]) for a in data["audit"]}
    assert "zanzibarwood" not in json.dumps(data["audit"])


def test_an_export_file_is_private_to_its_owner_and_goes_with_the_shopper(
    tactful: Tactful, demo_home: Path, demo_shopper: str
) -> None:
    tactful.remember(demo_shopper, FACT)

    path = tactful.export_to_file(demo_shopper)

    assert path.parent == demo_home / "exports"
    assert demo_shopper not in path.name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text(encoding="utf-8")) == tactful.export(demo_shopper)
    assert tactful.erase(demo_shopper).exports == 1
    assert not path.exists()


def test_a_data_folder_from_an_older_version_opens_and_its_words_leave_chroma(
    demo_home: Path, clock: FixedClock, embedder: Embedder, demo_shopper: str
) -> None:
    """Older versions kept facts with their words in Chroma, fact words in the audit trail,
    and a plain sha256 of an erased shopper's id in the audit."""
    at = datetime(2011, 12, 1)
    legacy = PreferenceFact(
        fact_id="f-0a1b2c3d4e5f",
        shopper_id=demo_shopper,
        text=FACT,
        subject="zanzibarwood",
        polarity=-1,
        source=FactSource.STATED,
        confidence=0.9,
        created_at=at,
        reinforced_at=at,
    )
    metadata = legacy.model_dump(mode="json", exclude={"text", "amount", "recipient"})
    metadata["evidence"] = "[]"
    client = chromadb.PersistentClient(
        path=str(demo_home / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    client.get_or_create_collection(LEGACY_FACTS, embedding_function=None).upsert(
        ids=[legacy.fact_id],
        embeddings=embedder.embed([legacy.subject]),
        documents=[FACT],
        metadatas=[metadata],
    )
    hashed = hashlib.sha256(b"12346").hexdigest()
    with RecordStore(f"sqlite:///{demo_home / 'tactful.db'}") as old:
        detail = {"text": FACT, "source": "stated", "status": "active"}
        old.audit("shopper", demo_shopper, "fact.add", legacy.fact_id, detail, at)
        old.audit("system", hashed, "erase", hashed, {"events": 3}, at)
    assert files_mentioning(demo_home / "chroma", [FACT])

    with Tactful.open(Settings(home=demo_home), clock=clock, embedder=embedder) as tactful:
        assert tactful.profile(demo_shopper).facts == [legacy]
        query = embedder.embed(["zanzibarwood"])[0]
        assert tactful.profiles.relevant_facts(demo_shopper, query) == [legacy]
        [added] = tactful.records.audit_for(demo_shopper)
        assert added.detail == {"source": "stated", "status": "active"}
        assert files_mentioning(demo_home, [hashed]) == []
        assert files_mentioning(demo_home / "chroma", [FACT, "zanzibarwood"]) == []
        tactful.erase(demo_shopper)

    assert files_mentioning(demo_home, [FACT, "zanzibarwood"]) == []
