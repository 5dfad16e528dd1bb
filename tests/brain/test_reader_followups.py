"""Likes said of someone else, narrowing follow-ups, "any more…?" and anger at the list."""

from __future__ import annotations

import pytest

from agent.brain.base import ReadContext
from agent.brain.intents import (
    Answer,
    Basket,
    BoughtFor,
    Confirm,
    Correction,
    Feedback,
    Greeting,
    Handoff,
    OrderHistory,
    Refine,
    Request,
    SmallTalk,
    Why,
)
from agent.brain.offline.reader import OfflineReader
from agent.domain import FeedbackValue
from agent.wording import someone, with_sex

ON_SCREEN = ReadContext(suggestion_count=10)


@pytest.mark.parametrize(
    ("text", "subject", "polarity", "recipient"),
    [
        ("my sister loves cats", "cats", 1, "sister"),
        ("my 7 year old nephew is really into dinosaurs", "dinosaurs", 1, "nephew, 7"),
        ("my dad doesn't like mugs", "mugs", -1, "dad"),
        ("she loves gardening", "gardening", 1, "she"),
        ("she's allergic to wool", "wool", -1, "she"),
        ("my mum's not into pink", "pink", -1, "mum"),
    ],
)
def test_a_like_said_of_someone_else_is_held_for_them(
    reader: OfflineReader, text: str, subject: str, polarity: int, recipient: str
) -> None:
    reading = reader.read(text, ON_SCREEN)
    assert isinstance(reading, Correction)
    assert (reading.subject, reading.polarity, reading.recipient) == (subject, polarity, recipient)


def test_the_shoppers_own_like_names_nobody_else(reader: OfflineReader) -> None:
    reading = reader.read("I love owls", ON_SCREEN)
    assert isinstance(reading, Correction) and reading.recipient is None


def test_a_question_about_someone_with_a_search_is_still_a_search(reader: OfflineReader) -> None:
    reading = reader.read("my mum likes gardening, any ideas?", ReadContext())
    assert isinstance(reading, Request)
    assert reading.recipient == "mum"


@pytest.mark.parametrize("text", ["any in red?", "got them in blue", "same but in green"])
def test_a_colour_asked_of_the_list_on_screen_narrows_it(reader: OfflineReader, text: str) -> None:
    reading = reader.read(text, ON_SCREEN)
    assert isinstance(reading, Refine)
    assert reading.change in (None, "more_like") and reading.position is None
    assert reading.query == text.rstrip("?").split()[-1]


@pytest.mark.parametrize("text", ["any more candles?", "got any more mugs", "any other lanterns?"])
def test_asking_for_more_of_a_thing_is_a_search_not_a_dislike(
    reader: OfflineReader, text: str
) -> None:
    assert isinstance(reader.read(text, ON_SCREEN), Request)


def test_anger_at_the_whole_list_is_marked_but_an_ugly_item_is_not(reader: OfflineReader) -> None:
    angry = reader.read("ffs these are all sh*t, useless bloody thing", ON_SCREEN)
    calm = reader.read("number 2 is ugly", ON_SCREEN)
    assert isinstance(angry, Feedback) and angry.furious
    assert isinstance(calm, Feedback) and not calm.furious and calm.position == 2


@pytest.mark.parametrize(
    ("text", "subject", "polarity"),
    [
        ("I don't like vintage things", "vintage", -1),
        ("that's wrong, I don't like red", "red", -1),
        ("I'm sick of candles", "candles", -1),
        ("I love vintage stuff", "vintage", 1),
    ],
)
def test_the_words_not_the_nearest_example_decide_which_way_a_taste_goes(
    reader: OfflineReader, text: str, subject: str, polarity: int
) -> None:
    reading = reader.read(text, ON_SCREEN)
    assert isinstance(reading, Correction)
    assert (reading.subject, reading.polarity) == (subject, polarity)


def test_a_search_that_names_no_feeling_is_never_stored_as_a_taste(reader: OfflineReader) -> None:
    reading = reader.read("cheapest mugs", ReadContext())
    assert isinstance(reading, Request) and reading.query == "mugs"


def test_a_gift_for_someone_is_a_search_for_them_not_only_a_mode(reader: OfflineReader) -> None:
    reading = reader.read("a gift for my best mate", ReadContext())
    assert isinstance(reading, Request)
    assert reading.recipient == "friend" and reading.mode is not None


def test_turning_down_the_suggestions_is_no_answer_to_the_question(reader: OfflineReader) -> None:
    asked = ReadContext(suggestion_count=10, awaiting_answer=True)
    assert not isinstance(reader.read("nah not them", asked), Answer)
    assert isinstance(reader.read("no", asked), Answer)


@pytest.mark.parametrize(
    ("text", "position", "price", "budget"),
    [
        ("more like number 2 but cheaper", 2, "cheaper", None),
        ("something like no. 2, cheaper", 2, "cheaper", None),
        ("more like the third but under a fiver", 3, None, 5.0),
    ],
)
def test_more_like_one_of_them_keeps_the_price_said_with_it(
    reader: OfflineReader, text: str, position: int, price: str | None, budget: float | None
) -> None:
    reading = reader.read(text, ReadContext(suggestion_count=5))

    assert isinstance(reading, Refine) and reading.change == "more_like"
    assert (reading.position, reading.price, reading.budget_max) == (position, price, budget)


@pytest.mark.parametrize(
    "text",
    [
        "not those, smth w/ trucks",
        "no not those. trucks?",
        "those are rubbish, she likes trucks",
        "trucks please, not these",
        "nah none of them - got anything with trucks",
    ],
)
def test_turning_down_the_list_and_naming_something_else_goes_that_way(
    reader: OfflineReader, text: str
) -> None:
    reading = reader.read(text, ON_SCREEN)
    assert isinstance(reading, Refine) and reading.change == "different", reading
    assert reading.query == "trucks"


def test_turning_down_the_list_for_someone_new_is_a_new_search(reader: OfflineReader) -> None:
    reading = reader.read("nah not them, for my brother then, something with cars", ON_SCREEN)
    assert isinstance(reading, Request)
    assert (reading.recipient, reading.query) == ("brother", "cars")


@pytest.mark.parametrize(
    "text", ["not those, too pricey", "none of those, sorry", "love those, any in blue?"]
)
def test_a_verdict_that_names_nothing_new_keeps_its_own_reading(
    reader: OfflineReader, text: str
) -> None:
    reading = reader.read(text, ON_SCREEN)
    assert not (isinstance(reading, Refine) and reading.change == "different"), reading


def test_gift_search_keeps_its_person_when_pink_is_ruled_out(reader: OfflineReader) -> None:
    reading = reader.read("dont show me anything pink", ON_SCREEN)
    assert isinstance(reading, Refine) and reading.exclude == ["pink"]
    assert not reading.query and reading.recipient is None


@pytest.mark.parametrize(
    "text",
    [
        "i'd rather something practical",
        "i would prefer something practical",
        "rather sth practical",
    ],
)
def test_a_preference_for_something_else_is_asked_for_not_held(
    reader: OfflineReader, text: str
) -> None:
    reading = reader.read(text, ON_SCREEN)
    assert isinstance(reading, (Request, Refine)), reading
    assert reading.query == "practical"


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("ok i'll take the first one", 1),
        ("great, ill buy the third", 3),
        ("number 2 please", 2),
        ("i'd like to order the last one", 10),
        ("can i get the first one", 1),
        ("could i order the third", 3),
        # "I have" here is choosing, not owning it already.
        ("can i have number 2 please", 2),
    ],
)
def test_choosing_one_is_a_thumbs_up(reader: OfflineReader, text: str, position: int) -> None:
    reading = reader.read(text, ON_SCREEN)
    assert isinstance(reading, Feedback), reading
    assert (reading.position, reading.value.value) == (position, "up")


@pytest.mark.parametrize(
    "text",
    [
        "what's the second one made of?",
        "how big is the 2nd one",
        "what colours does the 2nd come in",
        "can you tell me more about number 2",
    ],
)
def test_a_question_of_fact_about_one_asks_about_it(reader: OfflineReader, text: str) -> None:
    reading = reader.read(text, ON_SCREEN)
    assert isinstance(reading, Why) and reading.position == 2, reading


def test_what_about_one_in_another_colour_is_no_verdict(reader: OfflineReader) -> None:
    assert not isinstance(reader.read("what about number 2 in blue", ON_SCREEN), Feedback)


@pytest.mark.parametrize(
    "text",
    [
        "is the second one dishwasher safe",
        "does the 2nd have a lid?",
        "can number 2 be engraved?",
        "is #2 in stock?",
        "do you think number 2 would suit a 5 year old",
        "is the second one any good",
    ],
)
def test_a_yes_no_question_about_one_asks_about_it_whatever_it_names(
    reader: OfflineReader, text: str
) -> None:
    # Not a search for lids or engraving, and never a verdict on it.
    reading = reader.read(text, ON_SCREEN)
    assert isinstance(reading, Why) and reading.position == 2, reading


@pytest.mark.parametrize(
    "text",
    [
        "does number 2 come in blue",
        "number 2 in blue?",
        "do you have the second one in blue",
        "is number 2 available in blue?",
    ],
)
def test_one_in_another_colour_asks_for_more_like_it_in_that_colour(
    reader: OfflineReader, text: str
) -> None:
    reading = reader.read(text, ON_SCREEN)
    assert isinstance(reading, Refine), reading
    assert (reading.change, reading.position, reading.query) == ("more_like", 2, "blue")


@pytest.mark.parametrize(
    "text",
    [
        "is this a real person?",
        "am i talking to a bot",
        "are you human",
        "r u a bot or a real person",
        "r u a real person lol",
        "hi, is this automated?",
    ],
)
def test_asked_whether_a_person_answers_it_says_it_is_an_assistant(
    reader: OfflineReader, text: str
) -> None:
    assert reader.read(text, ReadContext()) == SmallTalk(what="identity")


@pytest.mark.parametrize(
    "text", ["is this a real person? i want to talk to one", "can i speak to a human"]
)
def test_asking_for_a_person_still_fetches_one(reader: OfflineReader, text: str) -> None:
    assert isinstance(reader.read(text, ReadContext()), Handoff)


def test_slang_names_the_person_and_adds_no_words_to_the_search(reader: OfflineReader) -> None:
    reading = reader.read("yo need sumthing for my lil bro, hes 9 n into space", ReadContext())
    assert isinstance(reading, Request)
    assert (reading.recipient, reading.query) == ("brother, 9", "space")
    tail = reader.read("no pink stuff tho", ON_SCREEN)
    assert isinstance(tail, Refine | Request) and (tail.query, tail.exclude) == ("", ["pink"])


@pytest.mark.parametrize(("text", "yes"), [("y", True), ("n", False), ("N.", False)])
def test_one_letter_answers_a_confirmation(reader: OfflineReader, text: str, yes: bool) -> None:
    # "n" must never erase anything: it is a no.
    assert reader.read(text, ReadContext(confirming=True)) == Confirm(yes=yes)


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("what's in my basket", None),
        ("whats in my cart?", None),
        ("add number 2 to cart", 2),
        ("can you put the first one in my basket", 1),
        ("empty my trolley", None),
    ],
)
def test_the_basket_is_the_shops_not_a_search(
    reader: OfflineReader, text: str, position: int | None
) -> None:
    # "add number 2 to cart" was a thumbs-down on it, "what's in my basket" a search.
    assert reader.read(text, ON_SCREEN) == Basket(position=position)


@pytest.mark.parametrize("text", ["a basket for my mum", "wicker baskets please", "shopping bags"])
def test_baskets_to_buy_are_still_searched(reader: OfflineReader, text: str) -> None:
    assert isinstance(reader.read(text, ReadContext()), Request)


@pytest.mark.parametrize("text", ["are you there?", "anyone there?", "hello? u there"])
def test_asking_if_anyone_is_there_is_a_hello(reader: OfflineReader, text: str) -> None:
    assert reader.read(text, ReadContext()) == Greeting()


@pytest.mark.parametrize(
    ("text", "words", "recipient"),
    [
        ("the candles i bought were a gift for my sister", ["candles"], "sister"),
        ("those mugs were for my dad", ["mugs"], "dad"),
        ("i bought loads of tea towels for my mum, theyre not for me", ["tea", "towels"], "mum"),
        ("the lego was a present for my nephew", ["lego"], "nephew"),
    ],
)
def test_saying_past_purchases_were_for_someone_else_sets_them_aside(
    reader: OfflineReader, text: str, words: list[str], recipient: str
) -> None:
    reading = reader.read(text, ReadContext())
    assert isinstance(reading, BoughtFor), reading
    assert (reading.item_words, reading.recipient) == (words, recipient)


@pytest.mark.parametrize(
    "text",
    [
        "i'm buying tea towels for my mum",
        "tea towels for my mum",
        "i bought a mug for my dad last year, what else would he like?",
        "i bought candles for my sister, show me more like them",
        "the owl mug is for me",
    ],
)
def test_a_gift_to_find_is_not_a_purchase_set_aside(reader: OfflineReader, text: str) -> None:
    assert not isinstance(reader.read(text, ReadContext()), BoughtFor)


@pytest.mark.parametrize(
    "text", ["too childish", "bit too girly for him", "way too plain tbh", "hmm too big"]
)
def test_too_something_said_of_the_list_is_a_verdict_on_it(
    reader: OfflineReader, text: str
) -> None:
    # "too childish" searched for "childish".
    reading = reader.read(text, ON_SCREEN)
    assert isinstance(reading, Feedback) and reading.position is None, reading
    assert reading.value.value == "down"


@pytest.mark.parametrize(
    "text",
    [
        "what would you suggest?",
        "what do you suggest",
        "so what would you recommend for me?",
        "wat wud u suggest?",
    ],
)
def test_asking_what_we_suggest_is_a_request_whatever_is_on_screen(
    reader: OfflineReader, text: str
) -> None:
    assert reader.read(text, ON_SCREEN) == Request()
    assert reader.read(text, ReadContext()) == Request()


@pytest.mark.parametrize(
    ("text", "query", "order"),
    [
        ("cheapest candles pls", "candles", "price_low"),
        ("what are your most expensive doormats?", "doormats", "price_high"),
        ("the priciest lanterns you do", "lanterns", "price_high"),
        ("lanterns, priciest first", "lanterns", "price_high"),
        ("sort those mugs by price", "mugs", "price_low"),
        ("doormats sorted by price, high to low", "doormats", "price_high"),
        ("mugs, price low to high", "mugs", "price_low"),
    ],
)
def test_a_price_order_said_with_a_kind_of_thing_is_a_search_in_that_order(
    reader: OfflineReader, text: str, query: str, order: str
) -> None:
    for context in (ReadContext(), ON_SCREEN):
        reading = reader.read(text, context)
        assert isinstance(reading, Request), (text, context)
        assert (reading.query, reading.order) == (query, order)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("what's good for a teenage lad", "request"),
        ("which is best for my sister", "refine"),
        ("whichs the least expensive one", "refine"),
    ],
)
def test_choosing_among_the_ones_shown_is_told_from_asking_for_others(
    reader: OfflineReader, text: str, kind: str
) -> None:
    assert reader.read(text, ON_SCREEN).kind == kind


@pytest.mark.parametrize(
    ("text", "recipient", "sex", "said"),
    [
        ("something for my 6 year old boy", "child, 6", "m", "a 6-year-old boy"),
        ("got anything for a toddler girl?", "child", "f", "a girl"),
        ("ideas for a teenage lad", "teenager", "m", "a teenage boy"),
        ("a present for a baby boy", "baby", "m", "a baby boy"),
        ("something for a 9 year old", "child, 9", None, "a 9-year-old child"),
        ("a gift for my 8 year old niece", "niece, 8", "f", "your 8-year-old niece"),
    ],
)
def test_a_young_person_is_kept_by_age_band_and_said_as_a_boy_or_girl_when_the_words_say_so(
    reader: OfflineReader, text: str, recipient: str, sex: str | None, said: str
) -> None:
    reading = reader.read(text, ReadContext())
    assert isinstance(reading, Request)
    assert (reading.recipient, reading.sex) == (recipient, sex)
    assert someone(with_sex(reading.recipient, reading.sex)) == said


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("what did i order last?", ""),
        ("what did i buy last time", ""),
        ("what have i ordered before", ""),
        ("when did I last buy tea lights?", "tea lights"),
        ("have i bought this before: the rabbit night light", "rabbit night light"),
        ("did i ever order the owl mug", "owl mug"),
        ("how many times have i bought candles", "candles"),
        ("show me my past orders", ""),
        ("what's my order history", ""),
    ],
)
def test_a_question_about_past_orders_asks_the_history_not_a_search(
    reader: OfflineReader, text: str, query: str
) -> None:
    for context in (ReadContext(), ON_SCREEN):
        reading = reader.read(text, context)
        assert isinstance(reading, OrderHistory), (text, reading)
        assert reading.query == query


@pytest.mark.parametrize(
    "text",
    [
        "stop using my past orders",
        "things i haven't bought before",
        "what should i buy my mum",
        "the candles i bought were for my sister",
    ],
)
def test_orders_named_for_other_reasons_are_no_question_about_them(
    reader: OfflineReader, text: str
) -> None:
    assert not isinstance(reader.read(text, ReadContext()), OrderHistory)


@pytest.mark.parametrize(
    ("text", "position", "subject", "whose"),
    [
        ("not number 3, she hates owls", 3, "owls", "she"),
        ("no to the 2nd, he doesn't like gardening", 2, "gardening", "he"),
        ("nah not number 2 cos my mum hates pink", 2, "pink", "mum"),
        ("not the 3rd one, she's allergic to wool", 3, "wool", "she"),
        ("number 2 is naff, she cant stand hot water bottles", 2, "hot water bottles", "she"),
    ],
)
def test_a_verdict_with_a_reason_turns_one_down_and_keeps_the_reason(
    reader: OfflineReader, text: str, position: int, subject: str, whose: str
) -> None:
    reading = reader.read(text, ON_SCREEN)
    assert isinstance(reading, Feedback), reading
    assert reading.position == position and reading.value is not FeedbackValue.UP
    assert reading.stated is not None
    assert (reading.stated.subject, reading.stated.polarity) == (subject, -1)
    assert reading.stated.recipient == whose


@pytest.mark.parametrize(
    "text", ["number 5, no thanks, i don't like it", "number 2 is ugly", "not the 4th one"]
)
def test_a_verdict_alone_states_no_taste_and_asks_for_nothing_like_it(
    reader: OfflineReader, text: str
) -> None:
    reading = reader.read(text, ON_SCREEN)
    assert isinstance(reading, Feedback) and reading.stated is None, reading
    assert reading.value is not FeedbackValue.UP
