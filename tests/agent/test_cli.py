"""The ``tactful`` command line, driven as a user would: a real process per command.

Each process loads the embedding model and the shop index (a few seconds), so the
headline flows run as subprocesses and the long list of user mistakes runs in-process
through ``CliRunner`` with the session's embedder, which is the same code path minus
the start-up.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest
from chromadb.errors import InternalError
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from agent.cli import app
from agent.domain import EventKind
from agent.embedding import Embedder
from agent.ingest.online_retail import COLUMNS, OnlineRetailData
from agent.stores.records import RecordStore
from agent.stores.vectors import ChromaVectorStore

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "tactful"

SUGGESTION_KEYS = {"item_id", "title", "category", "price", "score", "reason", "factors"}
FACTOR_KEYS = {"name", "contribution", "evidence"}
EVIDENCE_KEYS = {"kind", "ref", "label", "weight"}


class Run(NamedTuple):
    """What one command did: its exit code and what it printed."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def json_lines(self) -> list[Any]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


Tactful = Callable[..., Run]


def _env(home: Path, now: datetime) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACTFUL_")}
    return env | {"TACTFUL_HOME": str(home), "TACTFUL_NOW": now.isoformat()}


def run_process(home: Path, now: datetime, *args: str, program: Sequence[str] = ()) -> Run:
    command = list(program) or [sys.executable, "-m", "agent.cli"]
    done = subprocess.run(
        [*command, *args],
        env=_env(home, now),
        cwd=ROOT,
        capture_output=True,
        text=True,
        # Only a guard against a hung command: `tactful tune` on the demo shop takes
        # minutes on a busy two-core machine.
        timeout=900,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def tactful(demo_home: Path, data_now: datetime) -> Tactful:
    """``tactful(*args)``: run the real command line in its own process."""
    return lambda *args: run_process(demo_home, data_now, *args)


class CountingEmbedder:
    """The session's embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed(texts)


@pytest.fixture
def counting_embedder(embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> CountingEmbedder:
    counting = CountingEmbedder(embedder)
    monkeypatch.setattr("agent.facade.load_default_embedder", lambda: counting)
    return counting


@pytest.fixture
def in_process(
    demo_home: Path,
    data_now: datetime,
    counting_embedder: CountingEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Tactful]:
    """``in_process(*args, env=…)``: the same command line through ``CliRunner``."""
    for name in list(os.environ):
        if name.startswith("TACTFUL_"):
            monkeypatch.delenv(name)
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None) -> Run:
        base = {"TACTFUL_HOME": str(demo_home), "TACTFUL_NOW": data_now.isoformat()}
        result = runner.invoke(app, list(args), env=base | (env or {}))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    yield invoke


def assert_user_error(run: Run, code: int, title: str, words: str) -> None:
    """One clear line on stderr, a non-zero exit code, nothing on stdout, no traceback."""
    assert "Traceback" not in run.out + run.err
    assert run.code == code, run
    assert run.out == ""
    lines = [line for line in run.err.splitlines() if line.startswith(f"{title}:")]
    assert len(lines) == 1, run.err
    assert words in lines[0], run.err


def other_shopper(demo_data: OnlineRetailData, demo_shopper: str) -> str:
    return next(s.shopper_id for s in demo_data.shoppers if s.shopper_id != demo_shopper)


# -- asking for suggestions ------------------------------------------------------------


def test_recommend_json_prints_one_object_in_the_documented_shape_with_honest_scores(
    tactful: Tactful, demo_shopper: str
) -> None:
    run = tactful("recommend", demo_shopper, "--json")

    assert run.code == 0, run.err
    assert len(run.out.strip().splitlines()) == 1
    body = run.json()
    assert body.keys() == {"shopper_id", "mode", "query", "suggestions"}
    assert (body["shopper_id"], body["mode"], body["query"]) == (demo_shopper, "browsing", None)
    assert len(body["suggestions"]) == 10
    for suggestion in body["suggestions"]:
        assert suggestion.keys() == SUGGESTION_KEYS
        assert suggestion["reason"].strip()
        assert suggestion["factors"]
        for factor in suggestion["factors"]:
            assert factor.keys() == FACTOR_KEYS
            for evidence in factor["evidence"]:
                assert evidence.keys() == EVIDENCE_KEYS
        total = sum(factor["contribution"] for factor in suggestion["factors"])
        assert suggestion["score"] == pytest.approx(total, abs=1e-5)


def test_recommend_for_two_shoppers_prints_one_json_line_each_from_one_process(
    tactful: Tactful, demo_data: OnlineRetailData, demo_shopper: str
) -> None:
    other = other_shopper(demo_data, demo_shopper)

    run = tactful("recommend", demo_shopper, other, "--k", "3")

    assert run.code == 0, run.err
    lines = run.json_lines()
    assert [line["shopper_id"] for line in lines] == [demo_shopper, other]
    assert all(len(line["suggestions"]) == 3 for line in lines)


def test_recommend_reads_shoppers_from_a_file_and_honours_mode_and_query(
    in_process: Tactful, tmp_path: Path, demo_data: OnlineRetailData, demo_shopper: str
) -> None:
    other = other_shopper(demo_data, demo_shopper)
    ids = tmp_path / "shoppers.txt"
    ids.write_text(f"# shoppers to brief\n{demo_shopper}\n\n{other}\n", encoding="utf-8")

    from_file = in_process("recommend", "--shoppers", str(ids), "--k", "3")
    gift = in_process(
        "recommend", demo_shopper, "--mode", "gift", "--query", "candle", "--k", "3", "--json"
    )

    assert from_file.code == 0, from_file.err
    assert [line["shopper_id"] for line in from_file.json_lines()] == [demo_shopper, other]
    assert gift.code == 0, gift.err
    body = gift.json()
    assert (body["mode"], body["query"]) == ("gift", "candle")
    assert len(body["suggestions"]) == 3
    for suggestion in body["suggestions"]:
        request = [f for f in suggestion["factors"] if f["name"] == "request"]
        assert [e["label"] for f in request for e in f["evidence"]] == ["candle"], suggestion


def test_recommend_new_only_leaves_out_everything_the_shopper_bought_before(
    in_process: Tactful, demo_data: OnlineRetailData
) -> None:
    bought: dict[str, set[str]] = {}
    for event in demo_data.events:
        if event.kind is EventKind.PURCHASE:
            bought.setdefault(event.shopper_id, set()).add(event.item_id)
    # The demo shopper who bought most things again: their list has re-orders in it.
    shopper = max(bought, key=lambda s: len(bought[s]))

    served = in_process("recommend", shopper, "--k", "40", "--mode", "purchase", "--json")
    new_only = in_process(
        "recommend", shopper, "--k", "40", "--mode", "purchase", "--new-only", "--json"
    )

    assert served.code == 0 and new_only.code == 0, (served.err, new_only.err)
    served_ids = {s["item_id"] for s in served.json()["suggestions"]}
    new_ids = {s["item_id"] for s in new_only.json()["suggestions"]}
    assert served_ids & bought[shopper], "without the flag, re-orders are served"
    assert len(new_ids) == 40 and not new_ids & bought[shopper]
    assert not any(
        f["name"] == "buy_again" for s in new_only.json()["suggestions"] for f in s["factors"]
    )


def test_a_gift_request_in_chat_answers_in_gift_mode_within_the_budget(
    tactful: Tactful, demo_shopper: str
) -> None:
    run = tactful("chat", demo_shopper, "-m", "a gift for my sister under £5", "--json")

    assert run.code == 0, run.err
    reply = run.json()
    assert reply["mode"] == "gift"
    assert reply["suggestions"]
    prices = [s["item"]["price"] for s in reply["suggestions"]]
    assert all(price is not None and price <= 5 for price in prices), prices


# -- events, profiles and control -----------------------------------------------------


class HeldPurchase(NamedTuple):
    added: Run
    profile: dict[str, Any]


@pytest.fixture(scope="module")
def held_purchase(
    tmp_path_factory: pytest.TempPathFactory, demo_template: Path, data_now: datetime
) -> HeldPurchase:
    """The demo shopper buys a child's game an hour ago, then looks at their profile."""
    home = tmp_path_factory.mktemp("held") / "home"
    shutil.copytree(demo_template, home)
    shopper, item = "16915", "23570"  # the demo's shopper and gift item (tests/conftest.py)
    at = (data_now - timedelta(hours=1)).isoformat()
    added = run_process(
        home, data_now, "events", "add", shopper, item, "--kind", "purchase", "--at", at
    )
    profile = run_process(home, data_now, "profile", shopper, "--json")
    assert profile.code == 0, profile.err
    return HeldPurchase(added, profile.json())


def test_an_out_of_profile_purchase_is_held_for_a_question_and_shown_in_the_profile(
    held_purchase: HeldPurchase, gift_item: str
) -> None:
    added, profile = held_purchase

    assert added.code == 0, added.err
    assert "Held for a question" in added.err
    assert "for someone else?" in added.err
    assert [q["item_id"] for q in profile["held"]] == [gift_item]
    assert profile["held"][0]["status"] == "pending"


def test_a_held_purchase_does_not_top_the_taste_shown_in_the_profile(
    held_purchase: HeldPurchase, gift_item: str
) -> None:
    taste = held_purchase.profile["taste"]
    held_event = held_purchase.profile["held"][0]["event_id"]

    assert taste[0]["ref"] != held_event, taste[0]


def test_a_fact_stated_in_chat_shows_in_the_profile_and_forgetting_it_retracts_it(
    tactful: Tactful, in_process: Tactful, demo_shopper: str
) -> None:
    chat = tactful("chat", demo_shopper, "-m", "I'm not into candles")
    stated = tactful("profile", demo_shopper, "--json")
    (fact,) = [f for f in stated.json()["facts"] if "candles" in f["text"]]
    forget = in_process("forget", demo_shopper, fact["fact_id"])
    shown = tactful("profile", demo_shopper)

    assert chat.code == 0, chat.err
    assert "candles" in chat.out
    assert (fact["status"], fact["source"], fact["polarity"]) == ("active", "stated", -1)
    assert forget.code == 0, forget.err
    assert "Forgotten: not into candles" in forget.err
    assert shown.code == 0, shown.err
    assert "Traceback" not in shown.err
    (line,) = [line for line in shown.out.splitlines() if fact["fact_id"] in line]
    assert "not into candles" in line
    assert "retracted" in line
    assert "From your history" in shown.out


def test_export_prints_everything_as_json_and_erase_leaves_an_unknown_shopper(
    tactful: Tactful, in_process: Tactful, demo_shopper: str
) -> None:
    exported = tactful("export", demo_shopper)
    erased = in_process("erase", demo_shopper, "--yes")
    after = tactful("profile", demo_shopper)

    assert exported.code == 0, exported.err
    data = exported.json()
    assert {"shopper", "facts", "events", "conversations", "audit"} <= data.keys()
    assert data["shopper"]["shopper_id"] == demo_shopper
    assert data["events"]
    assert erased.code == 0, erased.err
    assert "Erased:" in erased.err
    assert_user_error(after, 3, "Unknown shopper", f"No shopper with id '{demo_shopper}'.")


# -- user mistakes --------------------------------------------------------------------

MISTAKES: list[tuple[list[str], int, str, str]] = [
    (["recommend", "nobody"], 3, "Unknown shopper", "No shopper with id 'nobody'."),
    (["profile", "nobody"], 3, "Unknown shopper", "No shopper with id 'nobody'."),
    (["forget", "nobody", "f-123"], 3, "Unknown shopper", "No shopper with id 'nobody'."),
    (["forget", "16915", "f-nope"], 3, "Unknown fact", "has no fact 'f-nope'."),
    (["recommend", "16915", "--mode", "nonsense"], 2, "Invalid input", "purchase, gift."),
    (["recommend", "16915", "--k", "0"], 2, "Invalid input", "between 1 and 100, not 0."),
    (["recommend"], 2, "Invalid input", "pass --shoppers FILE."),
    (["recommend", "[/]"], 2, "Invalid input", "'[/]' is not a valid shopper id."),
    (["chat", "16915", "-m", ""], 2, "Invalid input", "The message is empty"),
    (["chat", "16915", "-m", "x" * 100_000], 2, "Invalid input", "the limit is 2,000)."),
    (["events", "add", "16915", "no-such-item"], 3, "Unknown item", "'no-such-item'"),
    (["events", "add", "16915", "22749", "--kind", "nonsense"], 2, "Invalid input", "return."),
    (["events", "add", "16915", "22749", "--at", "notatime"], 2, "Invalid input", "2011-12-09"),
    (["events", "add", "16915", "22749", "--quantity", "-1"], 2, "Invalid input", "than 0."),
    (
        ["events", "add", "16915", "22749", "--quantity", "inf"],
        2,
        "Invalid input",
        "is not a finite number.",
    ),
    (
        ["events", "add", "16915", "22749", "--quantity", "nan"],
        2,
        "Invalid input",
        "is not a finite number.",
    ),
    (["events", "add", "16915", "22749", "--quantity", "1e308"], 2, "Invalid input", "1,000,000."),
    (
        ["events", "add", "16915", "22749", "--at", "0001-01-01T00:00+01:00"],
        2,
        "Invalid input",
        "is outside the years 1 to 9999 once converted to UTC.",
    ),
    (
        ["events", "add", "16915", "22749", "--at", "9999-12-31"],
        2,
        "Invalid input",
        "--at 9999-12-31 00:00 is more than a day after now",
    ),
    (
        ["events", "add", "16915", "22749", "--id", "e\u202e1"],
        2,
        "Invalid input",
        "event_id 'e\\u202e1' must not contain spaces, slashes, backslashes or invisible",
    ),
    (["events", "add", "16915", "22749", "--kind", "rating"], 2, "Invalid input", "0 to 5."),
    (["ingest", "catalog", "no-such-file.csv"], 2, "Invalid input", "no such file"),
]


@pytest.mark.parametrize(
    ("args", "code", "title", "words"),
    MISTAKES,
    ids=[" ".join(a)[:40] for a, *_ in MISTAKES],
)
def test_a_user_mistake_prints_one_clear_line_and_exits_non_zero(
    in_process: Tactful, args: list[str], code: int, title: str, words: str
) -> None:
    assert_user_error(in_process(*args), code, title, words)


def test_a_bad_setting_or_an_unreadable_shoppers_file_is_a_mistake_not_a_crash(
    in_process: Tactful, tmp_path: Path
) -> None:
    binary = tmp_path / "shoppers.bin"
    binary.write_bytes(b"\xff\xfe\x00\xd0")

    bad_now = in_process("recommend", "16915", env={"TACTFUL_NOW": "notatime"})
    unreadable = in_process("recommend", "--shoppers", str(binary))

    assert_user_error(bad_now, 2, "Invalid input", "check the TACTFUL_* variables.")
    assert_user_error(unreadable, 2, "Invalid input", "it is not UTF-8 text.")


def test_a_data_folder_that_is_a_file_is_one_line_not_a_crash(
    in_process: Tactful, tmp_path: Path
) -> None:
    a_file = tmp_path / "home.txt"
    a_file.write_text("not a folder", encoding="utf-8")

    is_a_file = in_process("recommend", "16915", env={"TACTFUL_HOME": str(a_file)})
    under_a_file = in_process("recommend", "16915", "--home", str(a_file / "inside"))

    assert_user_error(is_a_file, 2, "Invalid input", f"The data folder {a_file} is a file;")
    assert_user_error(under_a_file, 2, "Invalid input", "Cannot make the data folder")


def test_tactful_now_with_a_zone_or_in_seconds_since_1970_means_the_same_utc_time(
    in_process: Tactful, data_now: datetime, demo_shopper: str
) -> None:
    spellings = [
        f"{data_now:%Y-%m-%dT%H:%M}Z",
        f"{data_now:%Y-%m-%dT%H:%M}+00:00",
        f"{data_now + timedelta(hours=1):%Y-%m-%dT%H:%M}+01:00",
        str(int(data_now.replace(tzinfo=UTC).timestamp())),
    ]

    def answer(now: str) -> Run:
        return in_process("recommend", demo_shopper, "--k", "3", "--json", env={"TACTFUL_NOW": now})

    expected = answer(data_now.isoformat())
    unreadable = answer("0001-01-01T00:00+01:00")

    assert expected.code == 0, expected.err
    for now in spellings:
        assert answer(now).out == expected.out, now
    assert_user_error(unreadable, 2, "Invalid input", "now '0001-01-01T00:00+01:00' is outside")


def test_events_add_twice_records_the_event_once_and_says_which_id_it_has(
    in_process: Tactful, demo_data: OnlineRetailData, demo_shopper: str
) -> None:
    item = demo_data.items[0].item_id
    args = ("events", "add", demo_shopper, item, "--kind", "view", "--at", "2011-12-08T10:00")

    first, second = in_process(*args), in_process(*args)
    named, named_again = in_process(*args, "--id", "till-7"), in_process(*args, "--id", "till-7")
    exported = in_process("export", demo_shopper).json()

    assert all(run.code == 0 for run in (first, second, named, named_again))
    found = re.search(r"Recorded view of \S+ by \S+ as event (cli-[0-9a-f]{16})\.", first.err)
    assert found, first.err
    assert f"Already recorded as event {found[1]}; nothing added." in second.err
    assert "as event till-7." in named.err
    assert "Already recorded as event till-7; nothing added." in named_again.err
    stored = {e["event_id"] for e in exported["events"] if e["context"] == "cli"}
    assert stored == {found[1], "till-7"}


# -- loading data ---------------------------------------------------------------------


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_malformed_event_row_stops_a_strict_ingest_and_is_skipped_otherwise(
    in_process: Tactful, tmp_path: Path, data_now: datetime, demo_shopper: str, gift_item: str
) -> None:
    day = (data_now - timedelta(days=1)).date().isoformat()
    events = write(
        tmp_path / "events.csv",
        "shopper_id,item_id,kind,at",
        f"{demo_shopper},{gift_item},view,{day}",
        f"{demo_shopper},{gift_item},view,yesterday",
    )

    strict = in_process("ingest", "events", str(events), "--strict")
    lenient = in_process("ingest", "events", str(events))
    again = in_process("ingest", "events", str(events))

    assert_user_error(strict, 4, "Bad input row", f"{events}:3: at 'yesterday' is not")
    assert lenient.code == 0, lenient.err
    assert "Events: 1 added, 0 already there, 1 bad rows skipped." in lenient.err
    assert "skipped line 3: at 'yesterday'" in lenient.err
    assert "Events: 0 added, 1 already there, 1 bad rows skipped." in again.err


def test_ingesting_the_same_files_twice_embeds_and_stores_nothing_the_second_time(
    in_process: Tactful,
    counting_embedder: CountingEmbedder,
    tmp_path: Path,
    data_now: datetime,
    demo_shopper: str,
) -> None:
    catalog = write(
        tmp_path / "catalog.csv",
        "item_id,title,description,category,price",
        "T-OWL-MUG,Owl mug,A stoneware mug with owls,kitchen,4.50",
        "T-FOX-SCARF,Fox scarf,A warm scarf with foxes,accessories,12",
    )
    day = (data_now - timedelta(days=1)).date().isoformat()
    events = write(
        tmp_path / "events.jsonl",
        json.dumps({"shopper_id": demo_shopper, "item_id": "T-OWL-MUG", "kind": "view", "at": day}),
        json.dumps(
            {"shopper_id": demo_shopper, "item_id": "T-FOX-SCARF", "kind": "cart", "at": day}
        ),
    )

    first = in_process("ingest", "catalog", str(catalog))
    embedded = counting_embedder.texts
    second = in_process("ingest", "catalog", str(catalog))
    stored = in_process("ingest", "events", str(events))
    again = in_process("ingest", "events", str(events))

    assert "Items: 2 added, 0 updated, 0 unchanged, 0 bad rows skipped." in first.err
    assert embedded == 2
    assert "Items: 0 added, 0 updated, 2 unchanged, 0 bad rows skipped." in second.err
    assert counting_embedder.texts == embedded, "unchanged items are not embedded again"
    assert "Events: 2 added, 0 already there, 0 bad rows skipped." in stored.err
    assert "Events: 0 added, 2 already there, 0 bad rows skipped." in again.err
    assert all(run.code == 0 for run in (first, second, stored, again))


def test_events_dated_more_than_a_day_ahead_are_refused_and_counted(
    in_process: Tactful, tmp_path: Path, data_now: datetime, demo_shopper: str, gift_item: str
) -> None:
    soon = data_now + timedelta(hours=20)
    events = write(
        tmp_path / "events.csv",
        "shopper_id,item_id,kind,at",
        f"{demo_shopper},{gift_item},view,{soon.isoformat()}",
        f"{demo_shopper},{gift_item},view,9999-12-31T23:59",
    )
    retail = write(
        tmp_path / "retail.csv",
        ",".join(COLUMNS),
        f"999001,{gift_item},DOLL,1,9999-12-31 23:59,2.95,{demo_shopper},United Kingdom",
    )

    lenient = in_process("ingest", "events", str(events))
    strict = in_process("ingest", "events", str(events), "--strict")
    imported = in_process("import", "online-retail", str(retail))

    assert lenient.code == 0, lenient.err
    assert (
        "Events: 1 added, 0 already there, 1 bad rows skipped (1 dated more than a day after now)."
        in lenient.err
    )
    assert "skipped line 3: at 9999-12-31 23:59 is more than a day after now" in lenient.err
    assert_user_error(strict, 4, "Bad input row", f"{events}:3: at 9999-12-31 23:59 is more")
    assert imported.code == 0, imported.err
    assert "Refused 1 rows dated more than a day after now." in imported.err
    assert "0 new events" in imported.err


def _full_disk(*_args: Any, **_kwargs: Any) -> None:
    raise OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))


def _chroma_full(*_args: Any, **_kwargs: Any) -> None:
    raise InternalError("Error in compaction: Failed to apply logs to the metadata segment")


def _no_space(*_args: Any, **_kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize(
    ("store", "method", "failure", "words"),
    [
        (RecordStore, "add_events", _full_disk, "(database or disk is full)"),
        (ChromaVectorStore, "upsert_items", _chroma_full, "(Error in compaction: Failed"),
        (ChromaVectorStore, "upsert_items", _no_space, "No space left on device"),
    ],
    ids=["sqlite", "chroma", "oserror"],
)
def test_a_store_failing_mid_load_is_one_line_naming_the_problem(
    in_process: Tactful,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    data_now: datetime,
    demo_shopper: str,
    gift_item: str,
    store: type,
    method: str,
    failure: Callable[..., None],
    words: str,
) -> None:
    day = (data_now - timedelta(days=1)).date().isoformat()
    files = {
        "catalog": write(tmp_path / "catalog.csv", "item_id,title", "T-NEW,A new thing"),
        "events": write(
            tmp_path / "events.csv",
            "shopper_id,item_id,kind,at",
            f"{demo_shopper},{gift_item},view,{day}",
        ),
    }
    what = "events" if method == "add_events" else "catalog"
    monkeypatch.setattr(store, method, failure)

    run = in_process("ingest", what, str(files[what]))

    assert_user_error(run, 5, "Store unavailable", words)
    assert "What was stored before this is kept" in run.err


# -- help -----------------------------------------------------------------------------


def test_help_lists_the_commands_and_demo_explains_itself(
    demo_home: Path, data_now: datetime, in_process: Tactful
) -> None:
    top = run_process(demo_home, data_now, "--help", program=[str(SCRIPT)])
    demo = in_process("demo", "--help")

    assert top.code == 0, top.err
    for command in ("recommend", "chat", "profile", "forget", "export", "erase", "ingest"):
        assert command in top.out
    assert demo.code == 0, demo.err
    assert "Online Retail" in demo.out


# -- tuning to the shop's history ------------------------------------------------------


def test_tune_fits_the_shop_reports_what_it_scored_and_recommend_then_ranks_with_it(
    tactful: Tactful, demo_home: Path, demo_shopper: str
) -> None:
    before = tactful("recommend", demo_shopper, "--json").json()

    tuned = tactful("tune", "--json")

    assert tuned.code == 0, tuned.err
    report = tuned.json()
    served = report["validation"]
    assert {"tuned", "defaults", "popular", "buy again by count"} <= set(served)
    assert report["adopted"] == (served["tuned"]["ndcg@10"] > served["defaults"]["ndcg@10"])
    assert report["shoppers"] >= 20 and report["trials"] > 10
    if not report["adopted"]:
        pytest.skip("the defaults served better on this history; nothing to rank with")
    assert report["saved_to"] == str(demo_home / "tuning" / "0001.json")
    saved = json.loads(Path(report["saved_to"]).read_text())
    assert saved["weights"] == report["weights"]

    shown = tactful("tune", "--show")
    assert shown.code == 0 and "0001.json" in shown.out and "NDCG@10" in shown.out
    after = tactful("recommend", demo_shopper, "--json").json()
    assert after["suggestions"] != before["suggestions"]

    undone = tactful("tune", "--undo")
    assert undone.code == 0 and "Removed" in undone.out and "built-in defaults" in undone.out
    assert tactful("recommend", demo_shopper, "--json").json() == before


def test_tune_dry_run_changes_nothing(in_process: Tactful, demo_home: Path) -> None:
    run = in_process("tune", "--dry-run", "--shoppers", "40")

    assert run.code == 0, run.err
    assert "NDCG@10" in run.out
    assert not (demo_home / "tuning").exists()


def test_tune_mistakes_say_what_to_do(in_process: Tactful, demo_home: Path) -> None:
    assert_user_error(in_process("tune", "--window", "4000"), 2, "Invalid input", "--window")
    assert_user_error(in_process("tune", "--undo"), 2, "Invalid input", "no tuning to undo")
    assert_user_error(
        in_process("tune", "--show", "--undo"), 2, "Invalid input", "one of --show and --undo"
    )
    (demo_home / "tuning").mkdir()
    (demo_home / "tuning" / "0001.json").write_text("{not json")
    assert_user_error(in_process("tune", "--show"), 2, "Invalid input", "tactful tune --undo")
    assert_user_error(in_process("recommend", "16915"), 2, "Invalid input", "cannot be read")
