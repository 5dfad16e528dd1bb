"""The offline understanding layer: real-sounding messages → structured intents."""

from __future__ import annotations

import time
from typing import Any

import pytest

from agent.brain.intents import (
    Answer,
    Budget,
    Correction,
    DataRequest,
    Feedback,
    Forget,
    Greeting,
    Handoff,
    ModeSwitch,
    Personalization,
    Request,
    Sensitive,
    Thanks,
    Unclear,
    Why,
    understanding_adapter,
)
from agent.brain.modes import detect_mode
from agent.brain.understanding import understand
from agent.domain import EventKind, FeedbackValue, ShopperMode

GIFT, BROWSING, RESEARCH, PURCHASE = (
    ShopperMode.GIFT,
    ShopperMode.BROWSING,
    ShopperMode.RESEARCH,
    ShopperMode.PURCHASE,
)
UP, DOWN, NOT_FOR_ME = FeedbackValue.UP, FeedbackValue.DOWN, FeedbackValue.NOT_FOR_ME


def _fields(model: Any, expected: dict[str, Any]) -> dict[str, Any]:
    return {key: getattr(model, key) for key in expected}


# --- requests -----------------------------------------------------------------------------

REQUESTS: list[tuple[str, dict[str, Any]]] = [
    (
        "a gift for my sister under £20",
        {"query": "gift", "budget_max": 20, "recipient": "sister", "mode": GIFT, "currency": "£"},
    ),
    ("show me candles", {"query": "candles", "budget_max": None, "mode": None}),
    ("Show me CANDLES!!", {"query": "candles"}),
    (
        "I need 24 tea lights for the shop, ready to order",
        {"query": "tea lights", "mode": PURCHASE, "budget_max": None},
    ),
    ("compare lunch boxes", {"query": "lunch boxes", "mode": RESEARCH}),
    (
        "what's the difference between bamboo and steel lunch boxes?",
        {"query": "bamboo steel lunch boxes", "mode": RESEARCH},
    ),
    ("which water bottle is best", {"query": "water bottle", "mode": RESEARCH}),
    ("pros and cons of cast iron pans", {"query": "cast iron pans", "mode": RESEARCH}),
    ("just looking", {"query": "", "mode": BROWSING}),
    ("browsing for candles", {"query": "candles", "mode": BROWSING}),
    ("just show me something", {"query": "", "mode": None, "recipient": None}),
    ("surprise me", {"query": ""}),
    ("any owl mugs?", {"query": "owl mugs"}),
    ("I'd like a lamp", {"query": "lamp"}),
    ("hi, show me candles", {"query": "candles"}),
    ("thanks! now show me lamps", {"query": "lamps"}),
    (
        "something for my niece, 8, under a tenner",
        {"query": "", "recipient": "niece, 8", "budget_max": 10, "currency": "£"},
    ),
    ("for my 8 year old niece", {"recipient": "niece, 8"}),
    ("a present for my boss", {"query": "present", "recipient": "boss", "mode": GIFT}),
    ("something for a friend", {"recipient": "friend"}),
    ("something for my best friend", {"recipient": "best friend", "mode": None}),
    ("a scarf for mum", {"query": "scarf", "recipient": "mum"}),
    ("a kids bike for a 5 year old", {"query": "kids bike", "recipient": "child, 5"}),
    ("toys for kids", {"query": "toys kids", "recipient": None}),
    ("my sister loves owls, any ideas?", {"query": "owls", "recipient": "sister"}),
    (
        "Hey! Can you find me a scarf for my mum, about £25?",
        {"query": "scarf", "recipient": "mum", "budget_max": 31.25, "budget_min": 18.75},
    ),
    (
        "between 10 and 20 euros for my dad",
        {"budget_min": 10, "budget_max": 20, "currency": "€", "recipient": "dad"},
    ),
    ("lamps from £30 to £60", {"query": "lamps", "budget_min": 30, "budget_max": 60}),
    ("€15-€25 earrings", {"query": "earrings", "budget_min": 15, "budget_max": 25}),
    ("over $50", {"budget_min": 50, "budget_max": None, "currency": "$"}),
    ("more than 40 dollars", {"budget_min": 40, "currency": "$"}),
    ("no more than 45 pounds", {"budget_max": 45, "currency": "£"}),
    ("wallets below 30 quid", {"query": "wallets", "budget_max": 30, "currency": "£"}),
    ("a lamp up to 80", {"query": "lamp", "budget_max": 80, "currency": None}),
    ("max 40 for a candle", {"query": "candle", "budget_max": 40}),
    ("20ish quid", {"budget_min": 15, "budget_max": 25}),
    ("sweets under 50p", {"query": "sweets", "budget_max": 0.5}),
    ("a £20 gift for my mum", {"budget_max": 20, "recipient": "mum", "mode": GIFT}),
    ("£1,250 sofa", {"query": "sofa", "budget_max": 1250}),
    ("toys for under 5s", {"budget_max": None}),
    ("secret santa ideas under £10", {"query": "secret santa", "mode": GIFT, "budget_max": 10}),
    ("something for mother's day", {"mode": GIFT, "recipient": None}),
    (
        "do you have any vegan leather wallets under $60",
        {"query": "vegan leather wallets", "budget_max": 60, "currency": "$"},
    ),
    ("my budget is 30, show me candles", {"query": "candles", "budget_max": 30}),
    ("I'm ready to buy a lamp", {"query": "lamp", "mode": PURCHASE}),
    ("candles", {"query": "candles"}),
]


@pytest.mark.parametrize(("message", "expected"), REQUESTS)
def test_requests_are_read_into_query_budget_recipient_and_mode(
    message: str, expected: dict[str, Any]
) -> None:
    found = understand(message)
    assert isinstance(found, Request), found
    assert _fields(found, expected) == expected


def test_category_words_are_the_content_words_of_the_query() -> None:
    found = understand("do you have any blue linen tablecloths?")
    assert isinstance(found, Request)
    assert found.category_words == ["blue", "linen", "tablecloths"]


# --- answers to the pending clarifying question -------------------------------------------

ANSWERS: list[tuple[str, bool, str | None]] = [
    ("for a friend", False, "friend"),
    ("it was a gift", False, None),
    ("for my nephew", False, "nephew"),
    ("someone else", False, None),
    ("yes", False, None),
    ("Yes!", False, None),
    ("yes please", False, None),
    ("yeah it was", False, None),
    ("Yes, for my nephew", False, "nephew"),
    ("yeah it was for my sister, she's 12", False, "sister, 12"),
    ("my son, he's 10", False, "son, 10"),
    ("a friend", False, "friend"),
    ("nephew", False, "nephew"),
    ("my husband", False, "husband"),
    ("gift", False, None),
    ("no it was a present", False, None),
    ("no, it was for my sister", False, "sister"),
    ("not for me", False, None),
    ("it wasn't for me", False, None),
    ("I bought it for my dad", False, "dad"),
    ("for me", True, None),
    ("mine", True, None),
    ("no, it's for me", True, None),
    ("no", True, None),
    ("Nope.", True, None),
    ("nope, that was mine", True, None),
    ("it's for me actually", True, None),
    ("me", True, None),
    ("for myself", True, None),
]


@pytest.mark.parametrize(("message", "about_me", "recipient"), ANSWERS)
def test_answers_are_read_while_a_question_is_pending(
    message: str, about_me: bool, recipient: str | None
) -> None:
    assert understand(message, awaiting_answer=True) == Answer(
        about_me=about_me, recipient=recipient
    )


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("show me candles", Request),
        ("I need a gift for my nephew under £15", Request),
        ("a lamp under £40", Request),
        ("no more candles please", Correction),
        ("I like owls", Correction),
        ("thanks", Thanks),
        ("No thanks", Thanks),
        ("hello", Greeting),
        ("why this?", Why),
        ("talk to a person", Handoff),
        ("my order never arrived", Sensitive),
        ("thumbs up on 2", Feedback),
        ("I'd rather not say", Unclear),
    ],
)
def test_a_new_request_is_not_mistaken_for_an_answer(message: str, kind: type) -> None:
    assert isinstance(understand(message, awaiting_answer=True, suggestion_count=3), kind)


@pytest.mark.parametrize("message", ["yes", "no", "for me", "mine", "someone else"])
def test_answer_words_are_not_answers_when_no_question_is_pending(message: str) -> None:
    assert not isinstance(understand(message), Answer)


def test_yes_and_no_alone_are_unclear_without_a_pending_question() -> None:
    assert understand("yes") == Unclear(text="yes")
    assert understand("no") == Unclear(text="no")


def test_not_for_me_is_feedback_on_suggestions_but_an_answer_to_the_question() -> None:
    assert understand("not for me", suggestion_count=3) == Feedback(value=NOT_FOR_ME)
    assert understand("not for me", awaiting_answer=True) == Answer(about_me=False)
    assert understand("no", awaiting_answer=True) == Answer(about_me=True)


# --- corrections --------------------------------------------------------------------------

CORRECTIONS: list[tuple[str, str, int, str]] = [
    ("I'm not into candles", "candles", -1, "not into candles"),
    (
        "I’m not really into scented candles anymore",
        "scented candles",
        -1,
        "not into scented candles",
    ),
    ("I don't like candles", "candles", -1, "doesn't like candles"),
    ("no more candles please", "candles", -1, "not into candles"),
    ("stop showing me candles", "candles", -1, "not into candles"),
    ("please don't show me any more glitter", "glitter", -1, "not into glitter"),
    ("I hate glitter", "glitter", -1, "really dislikes glitter"),
    ("I can't stand plastic", "plastic", -1, "really dislikes plastic"),
    ("Not a fan of neon", "neon", -1, "not into neon"),
    ("I'm allergic to wool", "wool", -1, "allergic to wool"),
    ("I never buy fast fashion", "fast fashion", -1, "avoids fast fashion"),
    ("I love vintage stuff", "vintage", 1, "loves vintage"),
    ("I prefer vegan leather", "vegan leather", 1, "prefers vegan leather"),
    ("I'm into gardening", "gardening", 1, "into gardening"),
    ("I like owls", "owls", 1, "likes owls"),
    ("I really love anything with owls on it", "owls", 1, "loves owls"),
    (
        "I'm a big fan of mid-century furniture",
        "mid-century furniture",
        1,
        "into mid-century furniture",
    ),
    ("I prefer second-hand stuff", "second-hand", 1, "prefers second-hand"),
    ("I collect enamel pins", "enamel pins", 1, "collects enamel pins"),
    ("I like owls but not candles", "owls", 1, "likes owls"),
]


@pytest.mark.parametrize(("message", "subject", "polarity", "text"), CORRECTIONS)
def test_corrections_become_facts_with_polarity_and_plain_wording(
    message: str, subject: str, polarity: int, text: str
) -> None:
    found = understand(message)
    assert isinstance(found, Correction), found
    assert (found.subject, found.polarity, found.text) == (subject, polarity, text)


def test_a_correction_beats_the_request_it_mentions() -> None:
    found = understand("I'm not into candles, show me lamps instead")
    assert isinstance(found, Correction)
    assert found.subject == "candles"


@pytest.mark.parametrize(
    "message", ["I'd like a lamp", "I would love a new kettle", "I don't like spending much"]
)
def test_wanting_something_is_not_a_stated_preference(message: str) -> None:
    assert not isinstance(understand(message), Correction)


# --- standing budgets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "amount", "currency"),
    [
        ("my budget is £30", 30, "£"),
        ("I usually spend around 50", 50, None),
        ("my budget's about 80 dollars", 80, "$"),
        ("I never spend more than £100", 100, "£"),
        ("I normally spend up to €40", 40, "€"),
    ],
)
def test_a_standing_budget_is_told_apart_from_a_one_off_request_budget(
    message: str, amount: float, currency: str | None
) -> None:
    assert understand(message) == Budget(amount=amount, currency=currency)


# --- why ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "position", "item_words"),
    [
        ("why this?", None, []),
        ("why am I seeing this", None, []),
        ("Why?", None, []),
        ("why number 2", 2, []),
        ("why the second one", 2, []),
        ("how come you picked number 3?", 3, []),
        ("explain the third one", 3, []),
        ("why #4", 4, []),
        ("why did you suggest the lantern", None, ["lantern"]),
        ("why is the brass lantern here?", None, ["brass", "lantern"]),
    ],
)
def test_why_questions_name_a_position_or_the_item(
    message: str, position: int | None, item_words: list[str]
) -> None:
    assert understand(message, suggestion_count=5) == Why(position=position, item_words=item_words)


def test_why_the_last_one_resolves_against_the_suggestions_shown() -> None:
    assert understand("why the last one?", suggestion_count=4) == Why(position=4)


# --- personalization, handoff, sensitive topics -------------------------------------------


@pytest.mark.parametrize(
    ("message", "on"),
    [
        ("stop personalizing", False),
        ("Please stop personalising my suggestions", False),
        ("don't use my history", False),
        ("turn off personalization", False),
        ("show me generic suggestions", False),
        ("I'd like non-personalised recommendations", False),
        ("personalize again", True),
        ("use my history", True),
        ("you can use my history again", True),
        ("turn personalization back on", True),
        ("switch personalisation on", True),
    ],
)
def test_personalization_can_be_switched_off_and_on(message: str, on: bool) -> None:
    assert understand(message) == Personalization(on=on)


def test_a_personalised_product_is_a_request_not_a_switch() -> None:
    found = understand("personalised mug for my grandma")
    assert isinstance(found, Request)
    assert found.recipient == "grandma"


@pytest.mark.parametrize(
    "message",
    [
        "talk to a person",
        "human please",
        "can I speak to someone",
        "real agent",
        "customer service",
        "can I talk to a human",
        "let me speak with your manager",
        "get me a real person",
        "agent",
    ],
)
def test_asking_for_a_person_is_a_handoff(message: str) -> None:
    assert understand(message) == Handoff()


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("this is terrible", "complaint"),
        ("I want to complain", "complaint"),
        ("my order never arrived", "complaint"),
        ("damaged", "complaint"),
        ("the candle arrived damaged", "complaint"),
        ("I bought candles last week and the box was damaged, can you help", "complaint"),
        ("hi there, my parcel hasn't arrived", "complaint"),
        ("I'm not into candles and my order never arrived", "complaint"),
        ("charged twice", "payment"),
        ("my card was declined", "payment"),
        ("refund my payment", "payment"),
        ("billing", "payment"),
        ("I want a refund for the candles", "payment"),
        ("return this", "return"),
        ("how do I return the lamp", "return"),
        ("send it back", "return"),
        ("exchange", "return"),
        ("can I exchange it for a bigger size", "return"),
    ],
)
def test_sensitive_topics_beat_everything_else(message: str, topic: str) -> None:
    expected = Sensitive(topic=topic)
    assert understand(message) == expected
    assert understand(message, awaiting_answer=True, suggestion_count=3) == expected


@pytest.mark.parametrize(
    "message", ["conditioner for damaged hair", "a gift exchange game", "many happy returns mug"]
)
def test_products_that_merely_sound_sensitive_are_requests(message: str) -> None:
    assert isinstance(understand(message), Request)


# --- feedback -----------------------------------------------------------------------------

FEEDBACK: list[tuple[str, int, int | None, FeedbackValue]] = [
    ("thumbs up on 2", 3, 2, UP),
    ("love the first one", 3, 1, UP),
    ("the 2nd one is lovely", 3, 2, UP),
    ("yes to #2", 3, 2, UP),
    ("👍", 3, None, UP),
    ("👍🏽 3", 3, 3, UP),
    ("not for me #3", 3, 3, NOT_FOR_ME),
    ("number 4 isn't my style", 5, 4, NOT_FOR_ME),
    ("no to number 1", 3, 1, DOWN),
    ("👎 2", 3, 2, DOWN),
    ("3 👎", 3, 3, DOWN),
    ("I don't like the second one", 3, 2, DOWN),
    ("the last one was great", 4, 4, UP),
    ("these are perfect", 3, None, UP),
    ("I like it", 2, None, UP),
    ("none of these", 3, None, DOWN),
    ("I don't like any of these", 3, None, DOWN),
    ("not for me", 3, None, NOT_FOR_ME),
]


@pytest.mark.parametrize(("message", "count", "position", "value"), FEEDBACK)
def test_feedback_names_a_position_or_the_whole_set(
    message: str, count: int, position: int | None, value: FeedbackValue
) -> None:
    assert understand(message, suggestion_count=count) == Feedback(position=position, value=value)


def test_set_level_feedback_needs_suggestions_on_screen() -> None:
    assert understand("👍") == Thanks()
    assert not isinstance(understand("not for me"), Feedback)
    assert not isinstance(understand("these are perfect"), Feedback)


def test_a_question_about_a_suggestion_is_not_a_rating() -> None:
    assert not isinstance(understand("is number 2 good for kids?", suggestion_count=3), Feedback)


def test_an_ordinal_inside_a_product_phrase_is_not_a_position() -> None:
    assert isinstance(understand("I prefer second-hand stuff", suggestion_count=3), Correction)


# --- modes, forgetting, data --------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "mode"),
    [
        ("switch to gift mode", GIFT),
        ("I'm buying a gift now", GIFT),
        ("I'm just browsing", BROWSING),
        ("go back to browsing mode", BROWSING),
        ("I'm ready to buy", PURCHASE),
        ("I'm ready to order now", PURCHASE),
        ("research mode", RESEARCH),
        ("I'm doing some research", RESEARCH),
    ],
)
def test_a_bare_mode_statement_is_a_mode_switch(message: str, mode: ShopperMode) -> None:
    assert understand(message) == ModeSwitch(mode=mode)


@pytest.mark.parametrize(
    ("message", "what"),
    [
        ("forget that I like candles", "i like candles"),
        ("forget that I'm into gardening", "i'm into gardening"),
        ("forget my budget", "budget"),
        ("that's wrong about me: budget", "budget"),
        ("that's not true about me - I don't have kids", "i don't have kids"),
        ("delete the fact that I like owls", "i like owls"),
        ("that's wrong about me", ""),
    ],
)
def test_forgetting_a_fact_keeps_what_to_match(message: str, what: str) -> None:
    assert understand(message) == Forget(what=what)


@pytest.mark.parametrize(
    ("message", "action"),
    [
        ("what do you know about me", "profile"),
        ("what do you think about me", "profile"),
        ("What have you got on me?", "profile"),
        ("show me my profile", "profile"),
        ("export my data", "export"),
        ("download my data", "export"),
        ("can I get a copy of my data", "export"),
        ("delete my data", "erase"),
        ("forget me", "erase"),
        ("erase everything", "erase"),
        ("wipe everything you know about me", "erase"),
    ],
)
def test_data_requests_see_export_or_erase(message: str, action: str) -> None:
    assert understand(message) == DataRequest(action=action)


# --- small talk and the unclear -----------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("hi", Greeting()),
        ("Hello there!", Greeting()),
        ("Good morning!", Greeting()),
        ("hiya, how are you?", Greeting()),
        ("thanks", Thanks()),
        ("thank you so much!", Thanks()),
        ("cheers!", Thanks()),
        ("perfect, thanks", Thanks()),
        ("ta", Thanks()),
        ("", Unclear(text="")),
        ("   \n\t ", Unclear(text="")),
        ("???", Unclear(text="???")),
        ("what's the weather like", Unclear(text="what's the weather like")),
        ("how are you", Unclear(text="how are you")),
        ("forget it", Unclear(text="forget it")),
    ],
)
def test_small_talk_and_unclear_messages(message: str, expected: object) -> None:
    assert understand(message) == expected


@pytest.mark.parametrize("message", ["tables", "evening dress", "yoga mat", "tea towels"])
def test_words_that_start_like_greetings_or_thanks_are_still_requests(message: str) -> None:
    found = understand(message)
    assert isinstance(found, Request)
    assert found.query == message


# --- normalisation, robustness, speed -----------------------------------------------------


def test_case_curly_quotes_and_spacing_do_not_change_the_reading() -> None:
    plain = understand("I'm not into candles")
    assert understand("  I’M   NOT into\n candles ") == plain
    assert understand("“show me candles”") == understand("show me candles")


def test_a_100_kb_message_is_read_quickly_from_its_first_2000_characters() -> None:
    message = "show me candles " + "x" * 100_000 + " I want to complain"
    start = time.perf_counter()
    found = understand(message)
    elapsed = time.perf_counter() - start
    assert isinstance(found, Request)  # the complaint lies beyond the cap
    assert elapsed < 0.05


def test_typical_messages_take_well_under_a_millisecond() -> None:
    corpus = [m for m, _ in REQUESTS] + [m for m, *_ in CORRECTIONS] + [m for m, *_ in FEEDBACK]
    for message in corpus:  # warm up
        understand(message)
    start = time.perf_counter()
    rounds = 5
    for _ in range(rounds):
        for message in corpus:
            understand(message, awaiting_answer=True, suggestion_count=3)
    mean = (time.perf_counter() - start) / (rounds * len(corpus))
    assert mean < 0.001


@pytest.mark.parametrize(
    "message", ["a gift for my sister under £20", "👎 2", "I hate glitter", "why number 2", "hi"]
)
def test_every_understanding_round_trips_through_the_discriminated_union(message: str) -> None:
    found = understand(message, suggestion_count=3)
    assert understanding_adapter.validate_python(found.model_dump()) == found
    assert understanding_adapter.validate_json(found.model_dump_json()) == found


# --- detect_mode --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message_mode", "recent", "recipient", "mode", "reason"),
    [
        (GIFT, [EventKind.CART], None, GIFT, "you mentioned a gift"),
        (RESEARCH, [], "sister", RESEARCH, "you asked to compare"),
        (None, [EventKind.CART], "niece, 8", GIFT, "you said it's for your niece"),
        (None, [EventKind.VIEW, EventKind.CART], None, PURCHASE, "you have items in your basket"),
        (None, [EventKind.VIEW, EventKind.PURCHASE], None, BROWSING, "you're looking around"),
        (None, [], "  ", BROWSING, "you're looking around"),
    ],
)
def test_the_mode_comes_from_the_message_then_a_recipient_then_the_basket(
    message_mode: ShopperMode | None,
    recent: list[EventKind],
    recipient: str | None,
    mode: ShopperMode,
    reason: str,
) -> None:
    assert detect_mode(message_mode, recent_kinds=recent, recipient=recipient) == (mode, reason)


@pytest.mark.parametrize("mode", list(ShopperMode))
def test_every_explicit_mode_has_a_plain_reason(mode: ShopperMode) -> None:
    chosen, reason = detect_mode(mode, recent_kinds=[], recipient=None)
    assert chosen is mode
    assert reason and reason == reason.strip()


def test_an_unclear_message_keeps_its_original_wording_for_the_record() -> None:
    assert understand("  What's   The Weather?") == Unclear(text="What's The Weather?")
