"""Ordinary phrasing the reader once misread: words, not nearest examples, decide these.

Each phrasing is new to ``intent_examples.jsonl`` and to the labelled utterances.
"""

from __future__ import annotations

import pytest

from agent.brain.base import ReadContext
from agent.brain.intents import (
    Answer,
    CallOff,
    Confirm,
    Correction,
    DataRequest,
    Feedback,
    Forget,
    Handoff,
    ModeSwitch,
    Personalization,
    Refine,
    Request,
    Sensitive,
    Why,
)
from agent.brain.offline.reader import OfflineReader
from agent.domain import ShopperMode

FRESH = ReadContext()
SHOWN = ReadContext(suggestion_count=5)
ASKED = ReadContext(awaiting_answer=True)
CONFIRMING = ReadContext(confirming=True)
HANDOVER = ReadContext(handover_open=True, suggestion_count=5)


@pytest.mark.parametrize(
    ("message", "on"),
    [
        ("please stop tailoring things to my history", False),
        ("i'd like non-personalized picks for now", False),
        ("turn personalisation off", False),
        ("you can start personalising again", True),
        ("switch the personal stuff back on", True),
    ],
)
def test_the_words_say_which_way_personalization_goes(
    reader: OfflineReader, message: str, on: bool
) -> None:
    assert reader.read(message, FRESH) == Personalization(on=on)


def test_not_using_what_is_known_switches_personalization_rather_than_showing_it(
    reader: OfflineReader,
) -> None:
    assert reader.read("quit using what you know about me", FRESH) == Personalization(on=False)
    assert isinstance(reader.read("what do you know about me then", FRESH), DataRequest)


@pytest.mark.parametrize(
    "message",
    [
        "forget that i said i adore owls",
        "scratch the bit about tartan",
        "ignore what i said about being into yoga",
        "remove my like for hedgehogs",
    ],
)
def test_dropping_something_said_is_a_forget_even_when_it_names_a_taste(
    reader: OfflineReader, message: str
) -> None:
    assert isinstance(reader.read(message, FRESH), Forget)


@pytest.mark.parametrize(
    ("message", "yes"),
    [("okay", True), ("yep, wipe it", True), ("right then", True), ("not now", False)],
)
def test_a_yes_or_no_to_a_pending_action_can_be_said_any_way(
    reader: OfflineReader, message: str, yes: bool
) -> None:
    assert reader.read(message, CONFIRMING) == Confirm(yes=yes)


def test_calling_off_the_person_outranks_the_word_human(reader: OfflineReader) -> None:
    assert reader.read("cancel the human, found it", HANDOVER) == CallOff()
    assert reader.read("get me a human", FRESH) == Handoff()


def test_a_person_named_after_the_question_answers_it(reader: OfflineReader) -> None:
    assert reader.read("my nephew", ASKED) == Answer(about_me=False, recipient="nephew", sex="m")
    reading = reader.read("for my auntie, she's 60", ASKED)
    assert isinstance(reading, Answer) and reading.about_me is False


def test_data_rights_in_other_words(reader: OfflineReader) -> None:
    assert reader.read("bin my account details", FRESH) == DataRequest(action="erase")
    assert reader.read("export everything you hold on me", FRESH) == DataRequest(action="export")
    assert not isinstance(reader.read("a gift for my boss who works in export", FRESH), DataRequest)


def test_being_charged_or_sent_something_broken_goes_to_a_person(reader: OfflineReader) -> None:
    assert isinstance(reader.read("you charged me twice for postage", FRESH), Sensitive)
    assert isinstance(reader.read("they sent me a cracked vase", FRESH), Sensitive)


def test_trade_buyers_are_not_gift_shoppers_and_their_shop_is_no_product(
    reader: OfflineReader,
) -> None:
    reading = reader.read("we own a little gift shop and need some tote bags", FRESH)
    assert isinstance(reading, Request)
    assert (reading.query, reading.mode) == ("tote bags", None)
    reading = reader.read("stocking up notebooks for our store", FRESH)
    assert isinstance(reading, Request) and reading.query == "notebooks"


def test_w_slash_is_with_and_w_slash_o_is_without(reader: OfflineReader) -> None:
    reading = reader.read("smth w/ trucks on it", SHOWN)
    assert isinstance(reading, Request) and reading.query == "trucks"
    reading = reader.read("candles w/o scent", FRESH)
    assert isinstance(reading, Request)
    assert (reading.query, reading.exclude) == ("candles", ["scent"])


def test_how_they_shop_is_a_mode_and_names_no_product(reader: OfflineReader) -> None:
    assert reader.read("just having a look round", FRESH) == ModeSwitch(mode=ShopperMode.BROWSING)
    reading = reader.read("comparing teapots before i buy", FRESH)
    assert isinstance(reading, Request) and reading.query == "teapots"


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("switch to gift mode", ShopperMode.GIFT),
        ("could you change it to gift mode", ShopperMode.GIFT),
        ("can we switch to purchase mode", ShopperMode.PURCHASE),
        ("go back to browsing mode", ShopperMode.BROWSING),
    ],
)
def test_asking_to_switch_modes_searches_for_nothing(
    reader: OfflineReader, text: str, mode: ShopperMode
) -> None:
    # "switch" and "change" are words a catalog may hold (a light switch, a change purse).
    assert reader.read(text, FRESH) == ModeSwitch(mode=mode)
    assert reader.read(text, ReadContext(suggestion_count=10)) == ModeSwitch(mode=mode)


def test_a_switch_or_change_that_is_the_product_is_still_searched(reader: OfflineReader) -> None:
    reading = reader.read("a light switch cover for my sister", FRESH)
    assert isinstance(reading, Request) and "switch" in reading.query
    reading = reader.read("got any change purses", FRESH)
    assert isinstance(reading, Request) and reading.query == "change purses"


def test_a_mode_word_beside_a_product_is_a_search(reader: OfflineReader) -> None:
    assert isinstance(reader.read("reindeer ornaments please", FRESH), Request)
    assert isinstance(reader.read("christmas bits and bobs?", FRESH), Request)


def test_would_like_is_a_want_not_a_taste(reader: OfflineReader) -> None:
    reading = reader.read("I would like to see your kitchen stuff", FRESH)
    assert isinstance(reading, Request) and reading.query == "kitchen"
    assert isinstance(reader.read("i really like kitchen stuff", FRESH), Correction)


def test_a_pronoun_recipient_is_kept_for_the_conversation_to_resolve(
    reader: OfflineReader,
) -> None:
    reading = reader.read("anything for her?", SHOWN)
    assert isinstance(reading, Request | Refine)
    assert (reading.pronoun, reading.recipient, reading.sex) == ("her", None, "f")
    reading = reader.read("a present for my nephew", FRESH)
    assert isinstance(reading, Request) and (reading.pronoun, reading.sex) == (None, "m")


@pytest.mark.parametrize(
    ("message", "pronoun", "query"),
    [
        ("i reckon she'd like a lantern", "her", "lantern"),
        ("he would really enjoy a puzzle", "him", "puzzle"),
        ("he's into trains", "him", "trains"),
        ("i think she\u2019ll want a mug", "her", "mug"),
    ],
)
def test_someone_who_would_like_a_thing_is_who_it_is_for(
    reader: OfflineReader, message: str, pronoun: str, query: str
) -> None:
    reading = reader.read(message, FRESH)
    assert isinstance(reading, Request)
    assert (reading.pronoun, reading.query) == (pronoun, query)


def test_what_i_would_love_is_for_me(reader: OfflineReader) -> None:
    mine = reader.read("i would love a teapot", FRESH)
    assert isinstance(mine, Request) and mine.pronoun is None and mine.recipient is None


def test_more_for_the_same_person_is_no_change_of_direction(reader: OfflineReader) -> None:
    for message in ("any ideas for her?", "anything else?", "any other ideas?"):
        reading = reader.read(message, SHOWN)
        assert not (isinstance(reading, Refine) and reading.change == "different"), message
    reading = reader.read("something else altogether for her", SHOWN)
    assert isinstance(reading, Refine) and reading.change == "different"


def test_a_question_opening_on_any_with_a_product_is_a_search_not_a_verdict(
    reader: OfflineReader,
) -> None:
    assert isinstance(reader.read("any lovely cushins in this week?", SHOWN), Request | Refine)
    assert isinstance(reader.read("the second one is lovely", SHOWN), Feedback)


def test_why_with_a_position_is_a_why_not_a_follow_up(reader: OfflineReader) -> None:
    assert isinstance(reader.read("why pick #4", SHOWN), Why)


def test_choosing_among_the_shown_needs_a_choice_word(reader: OfflineReader) -> None:
    reading = reader.read("from those, which is the most practical", SHOWN)
    assert isinstance(reading, Refine) and reading.change == "among_shown"
    reading = reader.read("not keen on any of those, more please", SHOWN)
    assert not (isinstance(reading, Refine) and reading.change == "among_shown")


def test_mistyped_function_words_are_put_right_before_reading(reader: OfflineReader) -> None:
    reading = reader.read("any mugs for less tahn £8 pleese", FRESH)
    assert isinstance(reading, Request)
    assert (reading.query, reading.budget_max, reading.exclude) == ("mugs", 8, [])


@pytest.mark.parametrize(
    "message",
    [
        "fetch me your manager right now",
        "can i have a quick word with the owner",
        "just give me a flipping human",
        "i want someone from the shop, not a bot",
        "could somebody ring me back",
        "talk to a real humen",
        "i'd rather ask a member of staff",
    ],
)
def test_asking_for_a_person_in_other_words_hands_over(reader: OfflineReader, message: str) -> None:
    assert isinstance(reader.read(message, FRESH), Handoff | Sensitive)


@pytest.mark.parametrize(
    "message",
    [
        "a gift for someone who has everything",
        "a 'best boss ever' mug for my manager",
        "i need a present for my supervisor",
        "want to return the favour to my neighbour, something nice?",
        "a talking alarm clock for my grandad",
    ],
)
def test_people_and_returns_inside_a_request_do_not_hand_over(
    reader: OfflineReader, message: str
) -> None:
    assert not isinstance(reader.read(message, FRESH), Handoff | Sensitive)


@pytest.mark.parametrize(
    "message",
    [
        "i was charged for postage twice",
        "the discount code didn't apply at checkout",
        "ordered a teapot but got a jug",
    ],
)
def test_payments_and_wrong_orders_in_other_words_go_to_a_person(
    reader: OfflineReader, message: str
) -> None:
    assert isinstance(reader.read(message, FRESH), Sensitive)


@pytest.mark.parametrize(
    "message",
    [
        "wipe the comment about my cat",
        "please disregard the bit about sequins",
        "that thing about me loving owls isn't true anymore",
    ],
)
def test_dropping_a_remembered_remark_is_a_forget(reader: OfflineReader, message: str) -> None:
    assert isinstance(reader.read(message, FRESH), Forget)


@pytest.mark.parametrize(
    ("message", "ceiling"),
    [
        ("lanterns, nothing over £12", 12),
        ("got any cute mugs for my gran? shes 90, nowt over a tenner", 10),
    ],
)
def test_nothing_over_a_price_caps_it(reader: OfflineReader, message: str, ceiling: int) -> None:
    reading = reader.read(message, FRESH)
    assert isinstance(reading, Request)
    assert (reading.budget_min, reading.budget_max) == (None, ceiling)


@pytest.mark.parametrize(
    ("message", "polarity"),
    [("sequins make me cringe", -1), ("big fan of botanical prints", 1), ("ew, tartan", -1)],
)
def test_tastes_without_a_liking_verb(reader: OfflineReader, message: str, polarity: int) -> None:
    reading = reader.read(message, FRESH)
    assert isinstance(reading, Correction) and reading.polarity == polarity
    assert reading.subject in ("sequins", "botanical prints", "tartan")


@pytest.mark.parametrize(
    ("message", "subject"),
    [
        ("im into vintage stuff atm", "vintage"),
        ("into candles these days", "candles"),
        ("i love owls rn", "owls"),
    ],
)
def test_a_taste_for_now_is_about_the_thing_not_the_time(
    reader: OfflineReader, message: str, subject: str
) -> None:
    reading = reader.read(message, FRESH)
    assert isinstance(reading, Correction) and reading.polarity == 1
    assert reading.subject == subject


def test_a_why_said_briefly_or_at_length_is_a_why(reader: OfflineReader) -> None:
    assert isinstance(reader.read("y the 3rd", SHOWN), Why)
    assert isinstance(reader.read("how did you come up with the second one", SHOWN), Why)
    reading = reader.read("the third one's lovely, more like that", SHOWN)
    assert isinstance(reading, Refine) and reading.change == "more_like"


def test_a_greeting_in_front_of_a_search_is_the_search(reader: OfflineReader) -> None:
    reading = reader.read("oi got any tea towels mate", FRESH)
    assert isinstance(reading, Request) and reading.query == "tea towels"
    reading = reader.read("heya! got any doorstops?", FRESH)
    assert isinstance(reading, Request) and reading.query == "doorstops"


@pytest.mark.parametrize(
    "message",
    [
        "could my question be handed to a member of your team",
        "is there somebody in the office I could ring about this",
        "honestly I'd prefer to discuss it with an employee",
        "have you got these plates in white or can I ask someone who really works there",
    ],
)
def test_asking_for_staff_in_any_words_hands_over(reader: OfflineReader, message: str) -> None:
    assert isinstance(reader.read(message, FRESH), Handoff)


@pytest.mark.parametrize(
    "message",
    [
        "a board game about customer service for my boss",
        "my dad always asks to speak to the manager lol, mug ideas?",
        "I need to talk to someone about... only joking, show me aprons",
    ],
)
def test_people_and_staff_named_in_a_search_are_no_hand_over(
    reader: OfflineReader, message: str
) -> None:
    assert not isinstance(reader.read(message, FRESH), (Handoff, Sensitive))


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("the vase had a chip on it when it arrived", "complaint"),
        ("there's a coaster missing from my parcel", "complaint"),
        ("my voucher code WINTER10 isn't working", "payment"),
        ("you took £30 off me for a £20 order", "payment"),
        ("could I exchange the scarf for a different colour", "return"),
    ],
)
def test_problems_with_an_order_reach_a_person(
    reader: OfflineReader, message: str, topic: str
) -> None:
    assert reader.read(message, FRESH) == Sensitive(topic=topic)


@pytest.mark.parametrize(
    ("message", "change"),
    [
        ("same person, but maybe some socks this time", None),
        ("do any of them come in green?", None),
        ("could we try something completely unrelated", "different"),
        ("ok forget cushions, what about throws instead", "different"),
    ],
)
def test_follow_ups_that_carry_the_search_on_are_refinements(
    reader: OfflineReader, message: str, change: str | None
) -> None:
    reading = reader.read(message, SHOWN)
    assert isinstance(reading, Refine)
    assert change is None or reading.change == change


@pytest.mark.parametrize(
    ("message", "polarity"),
    [
        ("please note that I really detest tinsel", -1),
        ("tinsel isnt my thing", -1),
        ("I can't get enough of enamel pins", 1),
        ("I'm a sucker for anything nautical", 1),
        ("no feathers ever please", -1),
    ],
)
def test_tastes_keep_the_direction_their_words_give(
    reader: OfflineReader, message: str, polarity: int
) -> None:
    reading = reader.read(message, FRESH)
    assert isinstance(reading, Correction) and reading.polarity == polarity


@pytest.mark.parametrize(
    "message",
    [
        "kindly disregard my earlier remark about pink",
        "the robin thing was a typo, delete it",
        "please forget my budget",
        "don't remember that I have a cat",
    ],
)
def test_dropping_a_remark_is_a_forget_wherever_the_verb_stands(
    reader: OfflineReader, message: str
) -> None:
    assert isinstance(reader.read(message, FRESH), Forget)


def test_a_reason_asked_without_why_is_a_why(reader: OfflineReader) -> None:
    assert reader.read("explain number three", SHOWN) == Why(position=3)
    assert isinstance(reader.read("wait, why is there a dog lead in here", SHOWN), Why)


def test_words_that_name_no_data_ask_for_no_data(reader: OfflineReader) -> None:
    for message in ("I'm more of a retro person", "I do not care for frills"):
        assert not isinstance(reader.read(message, FRESH), (DataRequest, Personalization))


def test_a_ceiling_said_as_what_not_to_show_is_a_maximum(reader: OfflineReader) -> None:
    reading = reader.read("don't show me anything over £40", FRESH)
    assert getattr(reading, "budget_max", None) == 40 or getattr(reading, "amount", None) == 40


def test_pointing_at_the_list_settles_a_near_tie(reader: OfflineReader) -> None:
    assert isinstance(reader.read("nah, none of these", SHOWN), Feedback)


def test_what_goes_with_an_item_names_the_item_words_only(reader: OfflineReader) -> None:
    reading = reader.read("got anything that goes with the popcorn holder i just got?", FRESH)
    assert isinstance(reading, Request)
    assert (reading.query, reading.goes_with) == ("", "popcorn holder")


@pytest.mark.parametrize(
    "message", ["ugh hate glitter", "nah i dont like glitter", "nope, dont like glitter"]
)
def test_a_dislike_without_i_keeps_only_what_is_disliked(
    reader: OfflineReader, message: str
) -> None:
    reading = reader.read(message, SHOWN)
    assert getattr(reading, "subject", None) == "glitter"


def test_a_taste_said_of_her_after_naming_her_is_hers(reader: OfflineReader) -> None:
    # Owls for the niece either way: remembered for her, or looked for for her.
    reading = reader.read("its for my niece, she loves owls", ReadContext(suggestion_count=10))
    if isinstance(reading, Correction):
        assert (reading.subject, reading.recipient, reading.polarity) == ("owls", "niece", 1)
    else:
        assert isinstance(reading, Request)
        assert (reading.query, reading.recipient) == ("owls", "niece")
    reading = reader.read("it's for my sister, she likes cats", FRESH)
    assert isinstance(reading, Correction)
    assert (reading.subject, reading.recipient, reading.polarity) == ("cats", "sister", 1)
    reading = reader.read("for my dad, he hates glitter", FRESH)
    assert isinstance(reading, Correction)
    assert (reading.subject, reading.recipient, reading.polarity) == ("glitter", "dad", -1)


@pytest.mark.parametrize(
    ("message", "query"),
    [
        ("anything i haven't bought before?", ""),
        ("show me stuff ive never ordered", ""),
        ("something new pls", ""),
        ("not the usual stuff", ""),
        ("got any candles i havent tried", "candles"),
        ("mugs that i don't already own, under £5", "mugs"),
    ],
)
def test_what_the_shopper_has_not_had_yet_is_only_new_things(
    reader: OfflineReader, message: str, query: str
) -> None:
    reading = reader.read(message, FRESH)
    assert isinstance(reading, Request)
    assert reading.new_only and reading.query == query


@pytest.mark.parametrize(
    "message",
    [
        "i never ordered this",
        "this arrived but i never ordered it",
        "i ordered a lamp last week and still haven't got it",
        "you charged me for something i never ordered",
    ],
)
def test_something_never_ordered_or_never_come_is_no_search(
    reader: OfflineReader, message: str
) -> None:
    assert not getattr(reader.read(message, FRESH), "new_only", False)


def test_never_buying_a_material_rules_it_out(reader: OfflineReader) -> None:
    reading = reader.read("i never buy plastic", FRESH)
    assert not getattr(reading, "new_only", False)
    said = [getattr(reading, "subject", ""), *getattr(reading, "exclude", [])]
    assert "plastic" in " ".join(said)


@pytest.mark.parametrize(
    ("message", "query"),
    [
        ("what's popular right now?", ""),
        ("show me ur bestsellers", ""),
        ("what are other people buying", ""),
        ("any popular mugs?", "mugs"),
        ("whats trending under £5", ""),
    ],
)
def test_what_others_buy_most_is_asked_for_as_such(
    reader: OfflineReader, message: str, query: str
) -> None:
    reading = reader.read(message, FRESH)
    assert isinstance(reading, Request)
    assert reading.popular and reading.query == query


def test_popular_with_someone_names_who_it_suits_not_bestsellers(reader: OfflineReader) -> None:
    assert not getattr(reader.read("toys popular with kids", FRESH), "popular", True)


def test_a_cheaper_version_of_one_shown_is_more_like_it_for_less(reader: OfflineReader) -> None:
    reading = reader.read("can i get a cheaper version of the 3rd one", SHOWN)
    assert isinstance(reading, Refine)
    assert (reading.change, reading.position, reading.price) == ("more_like", 3, "cheaper")


@pytest.mark.parametrize(
    "message",
    ["does the 2nd one come in blue?", "is the first one popular?", "is number 3 any good?"],
)
def test_a_question_about_one_shown_is_no_verdict_on_it(
    reader: OfflineReader, message: str
) -> None:
    assert not isinstance(reader.read(message, SHOWN), Feedback)


@pytest.mark.parametrize(
    ("message", "position"), [("is the 2nd one popular?", 2), ("is number 3 any good?", 3)]
)
def test_whether_one_shown_is_any_good_asks_what_we_know_of_it(
    reader: OfflineReader, message: str, position: int
) -> None:
    reading = reader.read(message, SHOWN)
    assert isinstance(reading, Why) and reading.position == position


@pytest.mark.parametrize(
    ("message", "position"),
    [
        ("how much is the second one", 2),
        ("what does no. 3 cost?", 3),
        ("whats the price of the 4th", 4),
    ],
)
def test_the_price_of_one_shown_is_asked_of_it(
    reader: OfflineReader, message: str, position: int
) -> None:
    reading = reader.read(message, SHOWN)
    assert isinstance(reading, Why) and reading.position == position


def test_a_hedge_names_nothing_to_find(reader: OfflineReader) -> None:
    reading = reader.read("need a present for my boss, nothing too personal", FRESH)
    assert isinstance(reading, Request)
    assert (reading.query, reading.recipient) == ("", "boss")
    reading = reader.read("something not too big for my desk", FRESH)
    assert isinstance(reading, Request) and reading.query == "desk"


@pytest.mark.parametrize("message", ["i'm not very into glitter", "not too keen on glitter tbh"])
def test_a_dislike_said_by_degree_is_about_its_thing(reader: OfflineReader, message: str) -> None:
    reading = reader.read(message, FRESH)
    assert isinstance(reading, Correction)
    assert (reading.subject, reading.polarity) == ("glitter", -1)


@pytest.mark.parametrize(
    ("message", "position"),
    [("the first one looks nice but too pricey", 1), ("#3 is a bit overpriced", 3)],
)
def test_one_shown_too_dear_asks_for_more_like_it_for_less(
    reader: OfflineReader, message: str, position: int
) -> None:
    reading = reader.read(message, SHOWN)
    assert isinstance(reading, Refine)
    assert (reading.change, reading.position, reading.price) == ("more_like", position, "cheaper")


@pytest.mark.parametrize(
    "message", ["i dont want candles", "no candles pls", "i don't need more candles"]
)
def test_what_is_not_wanted_leaves_the_list(reader: OfflineReader, message: str) -> None:
    for context in (FRESH, SHOWN):
        reading = reader.read(message, context)
        assert isinstance(reading, Request | Refine), context
        assert reading.exclude == ["candles"] and not reading.query


@pytest.mark.parametrize(
    ("message", "order"),
    [
        ("sort by price", "price_low"),
        ("cheapest first pls", "price_low"),
        ("can you sort them by price high to low", "price_high"),
        ("could you order those by cost please", "price_low"),
        ("price high to low", "price_high"),
        ("sort em by price", "price_low"),
    ],
)
def test_sorting_by_price_reorders_the_ones_shown(
    reader: OfflineReader, message: str, order: str
) -> None:
    reading = reader.read(message, SHOWN)
    assert isinstance(reading, Refine)
    assert (reading.change, reading.order) == ("among_shown", order)


def test_slang_about_one_shown_is_read_like_the_plain_words(reader: OfflineReader) -> None:
    reading = reader.read("wot does number 1 cost", SHOWN)
    assert isinstance(reading, Why) and reading.position == 1
    reading = reader.read("the 2nd one is a bit steep", SHOWN)
    assert isinstance(reading, Refine) and (reading.position, reading.price) == (2, "cheaper")
    reading = reader.read("hmm whats trending rn", FRESH)
    assert isinstance(reading, Request) and reading.popular and not reading.query
