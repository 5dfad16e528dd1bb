"""Suggestions that suit who they are for: catalog fields, their derivation from Online
Retail wording, the readers and the vector store, and the ranking on the demo shop."""

from __future__ import annotations

import json
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from agent.domain import Audience, CatalogItem, FactorName, ShopperMode, Suggestion
from agent.errors import IngestError, InvalidInput
from agent.facade import Tactful
from agent.ingest.audience import default_audiences
from agent.ingest.online_retail import OnlineRetailData
from agent.ingest.readers import read_catalog
from agent.recommender import Request
from agent.stores.vectors import ITEMS, ChromaVectorStore
from tests.fakes import HashingEmbedder
from tools.explain import explain

KIDS_CATEGORY = "kids & toys"
#: Tags that never belong in front of a child.
NOT_FOR_CHILDREN = {"alcohol", "innuendo", "smoking", "shaving", "cosmetics"}


def _rank(tactful: Tactful, shopper: str, request: Request) -> list[Suggestion]:
    return tactful.recommender.recommend(shopper, request, personalized=True)


def _ranking(suggestions: list[Suggestion]) -> list[tuple[str, float, list[tuple[str, float]]]]:
    return [
        (s.item.item_id, s.score, [(f.name.value, f.contribution) for f in s.factors])
        for s in suggestions
    ]


# -- the catalog fields -------------------------------------------------------------------


def test_an_item_says_nothing_about_its_audience_unless_told() -> None:
    item = CatalogItem(item_id="1", title="Owl Mug")

    assert (item.audience, item.age_min, item.age_max, item.tags) == (None, None, None, ())
    assert item.fits_age(5) is None


def test_an_item_without_audience_fields_keeps_its_stored_content_key() -> None:
    # Catalogs stored before these fields existed must still match and not be re-embedded.
    item = CatalogItem(item_id="1", title="Owl Mug", category="kitchen & dining")

    assert item.content_key() == item.embedding_text()


def test_audience_fields_change_the_content_key_but_not_the_embedded_text() -> None:
    plain = CatalogItem(item_id="1", title="Wooden Train")
    for_children = plain.model_copy(update={"audience": Audience.CHILD, "age_min": 3.0})

    assert for_children.embedding_text() == plain.embedding_text()
    assert for_children.content_key() != plain.content_key()


def test_tags_are_tidied_and_kept_once() -> None:
    item = CatalogItem(item_id="1", title="Mug", tags=["  Gin ", "gin", "Tea  Time"])

    assert item.tags == ("gin", "tea time")


@pytest.mark.parametrize(
    "fields",
    [
        {"age_min": 8, "age_max": 3},
        {"age_min": -1},
        {"age_max": 121},
        {"age_min": float("nan")},
        {"age_max": float("inf")},
        {"tags": ["a|b"]},
        {"audience": "kids"},
    ],
)
def test_impossible_audience_fields_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        CatalogItem.model_validate({"item_id": "1", "title": "Toy", **fields})


# -- readers ------------------------------------------------------------------------------


def test_a_catalog_csv_carries_audience_ages_and_pipe_separated_tags(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text(
        "item_id,title,audience,age_min,age_max,tags\n"
        "t1,Wooden Train,Child,3,8,toy|wood| \n"
        "t2,Owl Mug,,,,\n",
        encoding="utf-8",
    )

    train, mug = (row.value for row in read_catalog(path, strict=True))

    assert train is not None and mug is not None
    assert (train.audience, train.age_min, train.age_max) == (Audience.CHILD, 3.0, 8.0)
    assert train.tags == ("toy", "wood")
    assert (mug.audience, mug.age_min, mug.age_max, mug.tags) == (None, None, None, ())


def test_a_catalog_jsonl_carries_audience_ages_and_tags_as_a_list_or_text(
    tmp_path: Path,
) -> None:
    path = tmp_path / "catalog.jsonl"
    rows = [
        {"item_id": "b1", "title": "Baby Bib", "audience": "baby", "age_max": 2, "tags": ["bib"]},
        {"item_id": "w1", "title": "Wine Glass", "audience": "adult", "tags": "alcohol|glass"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")

    bib, glass = (row.value for row in read_catalog(path, strict=True))

    assert bib is not None and glass is not None
    assert (bib.audience, bib.age_min, bib.age_max, bib.tags) == (
        Audience.BABY,
        None,
        2.0,
        ("bib",),
    )
    assert (glass.audience, glass.tags) == (Audience.ADULT, ("alcohol", "glass"))


def test_bad_audience_values_are_reported_with_their_line_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text(
        "item_id,title,audience,age_min,age_max\n"
        "ok,Wooden Train,child,3,8\n"
        "older,Puzzle,child,8,3\n"
        "nan,Kite,,nan,\n"
        "minus,Rattle,baby,-1,\n"
        "who,Game,kids,,\n",
        encoding="utf-8",
    )

    rows = list(read_catalog(path))

    assert [row.value.item_id for row in rows if row.value] == ["ok"]
    assert [row.error for row in rows if row.error] == [
        "line 3: age_max 3 is below age_min 8",
        "line 4: age_min 'nan' is not a number",
        "line 5: age_min -1 must be at least 0",
        "line 6: audience 'kids' is not one of baby, child, teen, adult",
    ]


def test_strict_reading_stops_at_an_age_range_the_wrong_way_round(tmp_path: Path) -> None:
    path = tmp_path / "catalog.jsonl"
    path.write_text('{"item_id": "p", "title": "Puzzle", "age_min": 9, "age_max": 4}\n')

    with pytest.raises(IngestError) as caught:
        list(read_catalog(path, strict=True))

    assert caught.value.line == 1
    assert str(caught.value).endswith("catalog.jsonl:1: age_max 4 is below age_min 9")


# -- the vector store ---------------------------------------------------------------------


def test_audience_fields_round_trip_through_chroma_and_clear_when_removed() -> None:
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    if ITEMS in {c.name for c in client.list_collections()}:
        client.delete_collection(ITEMS)
    store = ChromaVectorStore(client)
    embed = HashingEmbedder()
    train = CatalogItem(
        item_id="t1", title="Wooden Train", audience="child", age_min=3, age_max=8.5,
        tags=["toy", "wood"],
    )  # fmt: skip
    store.upsert_items([train], embed.embed([train.embedding_text()]), ["h1"])
    assert [i for batch, _ in store.iter_items() for i in batch] == [train]

    plain = train.model_copy(
        update={"audience": None, "age_min": None, "age_max": None, "tags": ()}
    )
    store.upsert_items([plain], embed.embed([plain.embedding_text()]), ["h2"])
    assert [i for batch, _ in store.iter_items() for i in batch] == [plain]


# -- Online Retail ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "audience", "tags"),
    [
        ("CHILDRENS CUTLERY SPACEBOY", Audience.CHILD, ("kids",)),
        ("KIDS RAIN MAC PINK", Audience.CHILD, ("kids",)),
        ("DOLLY GIRL LUNCH BOX", Audience.CHILD, ("kids",)),
        ("SCOTTIE DOGS BABY BIB", Audience.BABY, ("baby",)),
        ("GIN + TONIC DIET METAL SIGN", Audience.ADULT, ("alcohol",)),
        ("BLACK WINE GLASS", Audience.ADULT, ("alcohol",)),
        ("HOT WATER BOTTLE SEX BOMB", Audience.ADULT, ("innuendo",)),
        ("COSY HOUR CIGAR BOX MATCHES", Audience.ADULT, ("smoking",)),
        ("LIPSTICK PEN BABY PINK", None, ("cosmetics",)),
        ("WHITE HANGING HEART T-LIGHT HOLDER", None, ()),
    ],
)
def test_online_retail_wording_gives_an_audience_only_where_it_says_so(
    description: str, audience: Audience | None, tags: tuple[str, ...]
) -> None:
    derived = default_audiences().derive(description)

    assert (derived.audience, derived.tags) == (audience, tags)


@pytest.mark.parametrize(
    ("description", "ages"),
    [
        ("WOODEN TRAIN AGE 3+", (3.0, None)),
        ("JIGSAW AGES 3-5", (3.0, 5.0)),
        ("SOFT RATTLE 0-6 MONTHS", (0.0, 0.5)),
        ("SET OF 3 BIRDS, 3+ DESIGNS", (None, None)),
    ],
)
def test_ages_are_read_from_wording_that_states_them(
    description: str, ages: tuple[float | None, float | None]
) -> None:
    derived = default_audiences().derive(description)

    assert (derived.age_min, derived.age_max) == ages


def test_the_demo_import_marks_childrens_and_adult_items(demo_data: OnlineRetailData) -> None:
    by_title = {item.title: item for item in demo_data.items}

    assert by_title["Childrens Cutlery Dolly Girl"].audience is Audience.CHILD
    assert by_title["Spaceboy Baby Gift Set"].audience is Audience.BABY
    assert by_title["Cook With Wine Metal Sign"].audience is Audience.ADULT
    assert by_title["Lipstick Pen Baby Pink"].tags == ("cosmetics",)
    assert by_title["Regency Cakestand 3 Tier"].audience is None


# -- ranking on the demo shop ---------------------------------------------------------------


def test_a_gift_for_a_five_year_old_is_childrens_things_and_nothing_for_grown_ups(
    tactful: Tactful, demo_shopper: str
) -> None:
    request = Request(mode=ShopperMode.GIFT, audience="child", age=5, query="")

    top = _rank(tactful, demo_shopper, request)

    assert len(top) == 10
    assert not [s.item.title for s in top if s.item.audience is Audience.ADULT]
    assert not [s.item.title for s in top if NOT_FOR_CHILDREN & set(s.item.tags)]
    for_children = [
        s for s in top if s.item.category == KIDS_CATEGORY or s.item.audience is Audience.CHILD
    ]
    assert len(for_children) >= 6, [s.item.title for s in top]


def test_a_gift_for_a_child_says_it_suits_their_age_and_the_reason_names_it(
    tactful: Tactful, demo_shopper: str
) -> None:
    top = _rank(tactful, demo_shopper, Request(mode=ShopperMode.GIFT, audience="child", age=5))

    factor = top[0].factor(FactorName.AUDIENCE)
    assert factor is not None and factor.contribution > 0
    assert factor.evidence[0].label == "someone aged 5"
    assert "it suits someone aged 5" in top[0].reason
    assert any(line.name is FactorName.AUDIENCE and line.cited for line in explain(top[0]).factors)


def test_a_gift_for_a_baby_leaves_out_the_baby_pink_lipstick_pen(
    tactful: Tactful, demo_shopper: str
) -> None:
    request = Request(mode=ShopperMode.GIFT, audience="baby", k=100, query="pink")

    titles = [s.item.title for s in _rank(tactful, demo_shopper, request)]

    assert "Lipstick Pen Baby Pink" not in titles
    # …which a request for "pink" with nobody named does find.
    plain = _rank(tactful, demo_shopper, Request(mode=ShopperMode.GIFT, k=100, query="pink"))
    assert "Lipstick Pen Baby Pink" in [s.item.title for s in plain]


def test_an_age_outside_what_an_item_is_for_leaves_it_out(
    tactful: Tactful, demo_shopper: str
) -> None:
    # Baby items are for 0-2: a ten-year-old is not offered a bib.
    request = Request(mode=ShopperMode.GIFT, audience="child", age=10, k=100)

    audiences = {s.item.audience for s in _rank(tactful, demo_shopper, request)}

    assert Audience.BABY not in audiences and Audience.ADULT not in audiences


def test_an_age_alone_stands_for_the_audience_it_falls_in(
    tactful: Tactful, demo_shopper: str
) -> None:
    by_age = _rank(tactful, demo_shopper, Request(mode=ShopperMode.GIFT, age=5))
    by_both = _rank(tactful, demo_shopper, Request(mode=ShopperMode.GIFT, audience="child", age=5))

    assert _ranking(by_age) == _ranking(by_both)


@pytest.mark.parametrize("mode", list(ShopperMode))
def test_a_request_for_nobody_in_particular_ranks_exactly_as_before(
    tactful: Tactful, demo_shopper: str, mode: ShopperMode
) -> None:
    request = Request(mode=mode, k=20, query="red lanterns" if mode is ShopperMode.RESEARCH else "")
    rank_input = tactful.recommender.rank_input(demo_shopper, request, personalized=True)
    suggestions = _rank(tactful, demo_shopper, request)

    assert (rank_input.audience, rank_input.age, rank_input.audience_rules) == (None, None, None)
    assert all(s.factor(FactorName.AUDIENCE) is None for s in suggestions)


@pytest.mark.parametrize(
    ("audience", "age"), [("kids", None), (None, -1.0), (None, float("nan")), ("child", 200.0)]
)
def test_an_unknown_audience_or_impossible_age_is_invalid_input(
    tactful: Tactful, demo_shopper: str, audience: str | None, age: float | None
) -> None:
    with pytest.raises(InvalidInput):
        _rank(tactful, demo_shopper, Request(mode=ShopperMode.GIFT, audience=audience, age=age))


@pytest.mark.parametrize(
    ("message", "audience"),
    [
        ("something for a 5 year old boy", Audience.CHILD),
        ("any ideas for my 7-year-old nephew?", Audience.CHILD),
        ("a present for a toddler", Audience.CHILD),
        ("a gift for a new baby", Audience.BABY),
    ],
)
def test_asking_in_chat_for_a_young_person_gets_things_that_suit_them(
    tactful: Tactful, demo_shopper: str, message: str, audience: Audience
) -> None:
    reply = tactful.chat(demo_shopper, message)

    titles = [s.item.title for s in reply.suggestions]
    assert len(titles) == 10, reply.text
    assert "Lipstick Pen Baby Pink" not in titles
    assert not [s.item.title for s in reply.suggestions if s.item.audience is Audience.ADULT]
    suited = [
        s
        for s in reply.suggestions
        if s.item.audience is audience
        or s.item.category == KIDS_CATEGORY
        or s.factor(FactorName.AUDIENCE) is not None
    ]
    assert len(suited) >= 6, titles


def test_a_new_price_or_link_changes_the_content_key() -> None:
    item = CatalogItem(item_id="1", title="Owl Mug", price=4.5)

    assert item.model_copy(update={"price": 3.99}).content_key() != item.content_key()
    assert item.model_copy(update={"url": "https://shop/owl"}).content_key() != item.content_key()
