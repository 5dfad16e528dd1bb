"""The offline reader: a shopper's message → :data:`Understanding`, by meaning.

Safety first (sensitive topics and asking for a person are exact rules), then the
intent nearest in meaning among those the conversation's state allows, then the slots
from the precise parsers. When no intent is near enough, a message that names
something to look for is a search and anything else is :class:`Unclear`.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

from agent.brain.base import ReadContext
from agent.brain.intents import (
    Answer,
    AskWhyAsked,
    Basket,
    BoughtFor,
    Budget,
    CallOff,
    Confirm,
    Correction,
    DataRequest,
    DeclineAnswer,
    Feedback,
    Forget,
    Goodbye,
    Greeting,
    Handoff,
    ModeSwitch,
    OrderHistory,
    Owned,
    Personalization,
    Refine,
    Request,
    Sensitive,
    SensitiveTopic,
    SmallTalk,
    Thanks,
    Unclear,
    Understanding,
    Why,
)
from agent.brain.offline import rules
from agent.brain.offline.anger import is_furious
from agent.brain.offline.money import parse_money
from agent.brain.offline.patterns import (
    ABOUT_BASKET,
    ABOUT_MY_DATA,
    ABOUT_SHOWN_WORDS,
    AMONG_SHOWN,
    ASKS_ABOUT,
    ASKS_DETAIL,
    ASKS_ELSEWHERE,
    ASKS_FOR_ANY,
    ASKS_IF_HUMAN,
    ASKS_OF,
    ASKS_OF_SHOWN,
    ASKS_ORDER_HISTORY,
    ASKS_PRICE,
    ASKS_REASON,
    ASKS_WHAT_YOU_SUGGEST,
    ASKS_WHY,
    ASKS_WHY_ANYWHERE,
    BARE_TOO,
    BOUGHT_FOR,
    CALLS_OFF,
    CARRIES_ON,
    CHECKS_PRESENCE,
    CHOOSES_ONE,
    CHOOSING,
    EYE_ROLL,
    FIRST_PERSON,
    FOR_GOOD,
    FOR_SOMEONE,
    FORGETS_FACT,
    FORGETS_REMARK,
    HAVING,
    IN_ANOTHER,
    JOKING,
    JUDGES_AGENT,
    JUDGES_THIS,
    LIKENESS,
    LOVES_DESPITE_NOT,
    MY_HISTORY,
    NEGATING,
    NO_GOOD,
    ONE_OF_THEM,
    OTHER_DIRECTION,
    OTHERS_ASK_FOR_PERSON,
    PERSONALISING,
    SAYS_OWNED,
    SORTS_BY_PRICE,
    TASK_ELSEWHERE,
    THIRD_PERSON,
    TOO_DEAR,
    WANTING,
    WANTS_MORE_LIKE,
    WAVES_OFF,
    WHAT_ABOUT,
    WHEN_ORDERED,
    WHICH,
    YES_NO_QUESTION,
)
from agent.brain.offline.positions import parse_position
from agent.brain.offline.recipients import parse_recipient
from agent.brain.offline.semantic import Guess, SemanticIntents
from agent.brain.offline.slots import (
    asks_search,
    asks_to_see,
    blank,
    content_words,
    fact_wording,
    feedback_value,
    forget_what,
    holder,
    message_mode,
    names_wanted,
    narrows,
    new_to_me_spans,
    personalization_words,
    popular_spans,
    price_extreme,
    price_order,
    recipient_sex,
    recipient_text,
    says_dislike,
    says_forget,
    says_price_change,
    search_slots,
    standing_budget,
    states_taste,
    subject,
    turns_away,
)
from agent.brain.offline.small_talk import small_talk
from agent.brain.offline.spelling import correct, english_words, tidy
from agent.domain import FeedbackValue, ShopperMode
from agent.embedding import Embedder

#: "A doorstop shaped like a cat": a thing named with an article ("a bit much" is none).
NAMES_ONE_THING = re.compile(r"(?:an?|some)\s+(?!(?:bit|lot|little|while)\b)\w")
#: Where one clause of a message ends and the next begins: "not those, smth with trucks".
_CLAUSE_BREAK = re.compile(r"\s*(?:[,;.!?]+|\s[-–]\s|\bbut\b)\s*")
#: "y" or "n" alone, as people answer a yes-or-no question in a hurry.
_ONE_LETTER_ANSWER = re.compile(r"^\s*([yn])\s*[.!]*\s*$")
#: How likely a hand-over reading must be when no safety rule matched.
HANDOVER_BY_MEANING = 0.5
_ABOUT_ME = frozenset({"like", "dislike", "owned"})
_PRONOUNS = frozenset({"she", "he", "they"})
#: "don't like", "not like": a "like" that asks for nothing like it.
NOT_LIKING = re.compile(
    r"\b(?:do|does|did|would|could|wo|ca)(?:n'?t|\s+not)\s+(?:really\s+)?like\b"
    r"|\b(?:not|never|no\s+longer)\s+(?:really\s+)?like\b"
)
#: Where a verdict's clause ends and another may begin: "not no. 3, she hates owls".
VERDICT_CLAUSES = re.compile(r"[,;.!?]|\s[-–]\s|\b(?:because|cos|cause|since|as)\b")
_FEELERS = frozenset({"i", "i'm", "im", "i've"})
_ANSWERING = frozenset({"answer_for_me", "answer_for_someone", "ask_why_asked", "decline_answer"})
_HANDOVER = frozenset({"handoff", *(f"sensitive_{topic}" for topic in get_args(SensitiveTopic))})
_CONFIRMING = frozenset({"confirm_yes", "confirm_no"})
_FEEDBACK = frozenset({"feedback_up", "feedback_down", "feedback_not_for_me"})
_ABOUT_SHOWN = ("refine_", "feedback_", "why", "owned")
# Readings that ask for nothing: an angry message that lands here wants a person.
_NOTHING_ASKED = frozenset({"unclear", "smalltalk", "thanks", "greeting"})
# Sure readings of these are kept over the small-talk parser's laugh ("hi" is no laugh).
_SOCIAL = frozenset({"greeting", "thanks", "goodbye"})
_UNASKING = _NOTHING_ASKED | _SOCIAL
_MODES = {
    "mode_browsing": ShopperMode.BROWSING,
    "mode_research": ShopperMode.RESEARCH,
    "mode_purchase": ShopperMode.PURCHASE,
    "mode_gift": ShopperMode.GIFT,
}


def allowed_intents(intents: tuple[str, ...], context: ReadContext) -> frozenset[str]:
    """The intents that can make sense in ``context``."""
    out = set()
    for intent in intents:
        if intent in _ANSWERING and not context.awaiting_answer:
            continue
        if intent in _CONFIRMING and not context.confirming:
            continue
        if intent == "call_off" and not context.handover_open:
            continue
        if intent.startswith(_ABOUT_SHOWN) and context.suggestion_count == 0:
            continue
        out.add(intent)
    return frozenset(out)


class OfflineReader:
    """Reads messages with the shipped embedding model and the offline parsers."""

    def __init__(self, embedder: Embedder) -> None:
        self._intents = SemanticIntents(embedder)

    def read(self, text: str, context: ReadContext) -> Understanding:
        """What ``text`` means in ``context``."""
        return self.read_surely(text, context)[0]

    def read_surely(self, text: str, context: ReadContext) -> tuple[Understanding, bool]:
        """What ``text`` means in ``context``, and whether a rule or a sure meaning said
        so (False: the nearest meaning was not sure and the words' slots decided)."""
        tidied = tidy(text)
        low = correct(tidied.lower())
        if not low:
            return Unclear(text=""), True
        # "No need for a human, you're doing great": what is waved away is not asked for
        # (though "I don't need a refund, I need a human" still asks).
        low = tidy(WAVES_OFF.sub(" ", low)).strip(" ,") or low
        reading, sure = self._read(low, tidied, context)
        if isinstance(reading, Feedback) and reading.position is not None:
            reading = self._with_stated(reading, low)
        elif context.suggestion_count:
            # "No to the 2nd, he doesn't like gardening": the whole may read as anything,
            # but its first clause is a verdict on one shown and the next says why. The
            # clause is read again only when a feeling follows it.
            first, *rest = VERDICT_CLAUSES.split(low, maxsplit=1)
            feeling = bool(rest) and _feels(rest[0])
            verdict = self._read(first.strip(), first.strip(), context)[0] if feeling else None
            if isinstance(verdict, Feedback) and verdict.position is not None:
                verdict = self._with_stated(verdict, low)
                if verdict.stated is not None:
                    reading, sure = verdict, True
        return (_while_confirming(reading, low) if context.confirming else reading), sure

    def _with_stated(self, verdict: Feedback, low: str) -> Feedback:
        """The verdict on one shown, with a like or dislike said after it in a clause of
        its own: "not number 3, she hates owls" turns the third down *and* says so."""
        for clause in VERDICT_CLAUSES.split(low)[1:]:
            clause = clause.strip()
            if not clause or not _feels(clause):
                continue
            stated, _ = self._read(clause, clause, ReadContext())
            if isinstance(stated, Correction):
                return verdict.model_copy(update={"stated": stated})
        return verdict

    def _read(self, low: str, tidied: str, context: ReadContext) -> tuple[Understanding, bool]:
        if context.handover_open and CALLS_OFF.search(low):
            return CallOff(), True
        if not context.handover_open:
            # Asked whether a person answers, the answer is the truth, not a person fetched.
            if ASKS_IF_HUMAN.match(low):
                return SmallTalk(what="identity"), True
            if CHECKS_PRESENCE.match(low):
                return Greeting(), True  # "are you there?": yes, and ready
        if context.suggestion_count and BARE_TOO.match(low) and not TOO_DEAR.search(low):
            # "too childish" says what "these are too childish" says.
            return self._read(f"these are {low}", tidied, context)
        bought_for = _bought_for(low)
        if bought_for is not None:
            return bought_for, True
        if ASKS_WHAT_YOU_SUGGEST.match(low) and not context.awaiting_answer:
            return Request(), True  # it names nothing: "wud" is no product
        if ABOUT_BASKET.search(low):
            # The basket is the shop's: saying where it is beats searching for baskets.
            return Basket(position=parse_position(low, context.suggestion_count)), True
        history = ASKS_ORDER_HISTORY.search(low)
        if history is not None:
            # "When did I last buy tea lights?" asks the history, it searches for nothing.
            spans = [history.span(), *(m.span() for m in WHEN_ORDERED.finditer(low))]
            asked = search_slots(blank(low, spans))["query"]
            return OrderHistory(query=asked), True
        allowed = allowed_intents(self._intents.intents, context)
        searching = asks_search(low)
        safe = rules.safety(low)
        guess = self._intents.guess(low, allowed)
        if isinstance(safe, Handoff) and (JOKING.search(low) or OTHERS_ASK_FOR_PERSON.search(low)):
            # "…kidding, just show me bath bombs"; "my dad always asks to speak to the
            # manager, mug ideas?": no one wants a person now.
            safe = None
        # A person asked for in as many words is fetched even beside a search; any other
        # rule gives way when the meaning, too, is a search that names a product.
        if safe is not None and (
            isinstance(safe, Handoff)
            or not (searching and guess.sure and guess.intent == "request")
        ):
            return safe, True
        asks_for_a_kind = new_to_me_spans(low) or _asks_for_popular(low, context)
        if asks_for_a_kind and not (context.awaiting_answer or context.confirming):
            # "things i've never ordered" asks to see, however near a complaint it reads;
            # "what's popular right now" asks to see, though it names nothing.
            return _member("request", low, context), True
        # "lanterns, priciest first" and "sort those mugs by price" ask anew, in that order.
        sorts_shown = SORTS_BY_PRICE.search(low) and not names_wanted(search_slots(low))
        if context.suggestion_count and sorts_shown:
            return Refine(change="among_shown", order=price_extreme(low)), True
        about_one = _about_one_shown(low, context)
        if about_one is not None:
            return about_one, True
        new_direction = _ask_after_verdict(low, context)
        if new_direction is not None and safe is None:
            return new_direction, True
        rejected: set[str] = set()
        while (ruled_out := _implausible(guess, low, context, searching, safe)) is not None:
            rejected |= ruled_out
            guess = self._intents.guess(low, allowed - rejected)
        # What the agent is waiting on comes before anything else the words could mean.
        if guess.sure and guess.intent in _CONFIRMING | {"call_off"}:
            return _member(guess.intent, low, context), True
        if context.handover_open and guess.intent == "forget" and not forget_what(low):
            return CallOff(), True  # "forget it" names no fact: it is the person being called off
        if guess.sure and guess.intent in _ANSWERING:
            return _member(guess.intent, low, context), True
        if context.awaiting_answer and _only_someone(low):
            return _member(
                "answer_for_someone", low, context
            ), True  # "my best mate", "for my nephew"
        chat = small_talk(low)
        # A word of leaving is exact ("cheerio"); other small talk may be a greeting.
        if chat == "goodbye" or (chat is not None and not (guess.sure and guess.intent in _SOCIAL)):
            return Goodbye() if chat == "goodbye" else SmallTalk(what=chat), True
        data = rules.data_request(low)
        erasing = data is not None and data.action == "erase"
        if (FORGETS_FACT.search(low) or FORGETS_REMARK.search(low)) and not erasing:
            return Forget(what=forget_what(low)), True
        # "don't use what you know about me" switches personalization, it asks to see nothing.
        if data is not None and not (data.action == "profile" and PERSONALISING.search(low)):
            return data, True
        switch = _switches_personalization(low)
        if switch is not None:
            return Personalization(on=switch), True
        if (
            context.suggestion_count
            and _chooses_among_shown(low)
            and (guess.intent == "request" or guess.intent.startswith("refine_"))
        ):
            return _member("refine_among_shown", low, context), True
        if context.suggestion_count and ASKS_REASON.search(low):
            return _member("why", low, context), True
        if context.suggestion_count and EYE_ROLL.search(low) and not searching:
            position = parse_position(low, context.suggestion_count)
            return Feedback(position=position, value=FeedbackValue.DOWN), True
        # "You're useless", or "this is pointless" with nothing on screen, judges us and
        # asks for nothing: a person should step in.
        if not searching and (
            JUDGES_AGENT.search(low) or (JUDGES_THIS.search(low) and not context.suggestion_count)
        ):
            return Handoff(upset=True), True
        # "I'm a sucker for…", "mad for thistles": a strong word in a taste is no anger.
        angry = is_furious(low) and not states_taste(low)
        # Anger that asks for nothing, or judges no item ("this is f***ing useless" is
        # about us; "these are all sh*t" about the list), wants a person.
        at_us = guess.intent.startswith("feedback_") and not _points_at_shown(low, context)
        if angry and not searching and (not guess.sure or at_us or guess.intent in _UNASKING):
            return Handoff(upset=True), True
        standing_dislike = _ruled_out_for_good(low)
        if standing_dislike is not None and guess.intent in ("request", "dislike", "unclear"):
            return standing_dislike, True
        whose, own_words = holder(low)
        priced = parse_money(low).spans
        if whose is not None and not (searching or priced) and guess.intent not in _HANDOVER:
            # "my nephew is really into dinosaurs" states a taste, whatever it resembles.
            return _member("dislike" if _negative(own_words) else "like", low, context), True
        if guess.sure:
            return _member(guess.intent, low, context), True
        if guess.intent.startswith(_ABOUT_SHOWN) and (
            _points_at_shown(low, context) and not narrows(low)
        ):
            # Pointing at what is on screen ("… #3", "nah, none of these") settles what a
            # near tie was about; "got them in blue" narrows the search (below).
            return _member(guess.intent, low, context), True
        return _fallback(low, tidied, context, guess), False


def _about_one_shown(text: str, context: ReadContext) -> Understanding | None:
    """A question or a price complaint about one suggestion, which no near example tells
    apart from a verdict on it; None when ``text`` is neither."""
    shown = context.suggestion_count
    position = parse_position(text, shown)
    if position is None:
        return None
    if TOO_DEAR.search(text):
        # "the first one looks nice but too pricey": like it, for less.
        return Refine(change="more_like", position=position, price="cheaper")
    likeness = LIKENESS.search(WANTING.sub(" ", text))
    if CHOOSES_ONE.search(text) and not (likeness or NEGATING.search(text)):
        # "I'll take the first one": a choice, the warmest verdict there is.
        return Feedback(position=position, value=FeedbackValue.UP)
    asked_of = ASKS_OF.match(text)
    asks_of_it = asked_of is not None and parse_position(asked_of["subject"], shown) == position
    slots = search_slots(text)
    if (asks_of_it or text.endswith("?")) and IN_ANOTHER.search(text) and names_wanted(slots):
        # "does number 2 come in blue", "number 2 in blue?": the same thing, otherwise.
        return _member("refine_more_like", text, context)
    if ASKS_DETAIL.search(text) and not (ASKS_WHY.search(text) or narrows(text)):
        # "what's the second one made of?", "how big is #3": all we know of it.
        return Why(position=position, asks_fact=True)
    if asks_of_it and not _judges(text):
        # "is the second one dishwasher safe", "can the 3rd be engraved?": a question of
        # fact about it, whatever it names; all we know of it is the honest answer.
        return Why(position=position, asks_fact=not ASKS_PRICE.search(text))
    if YES_NO_QUESTION.match(text) or ASKS_PRICE.search(text):
        bounded = slots["budget_max"] is not None or slots["budget_min"] is not None
        if not (names_wanted(slots) or bounded):
            # "is the 2nd one popular?", "how much is number 3?": what we know of it.
            return Why(position=position, asks_fact=not ASKS_PRICE.search(text))
    return None


def _bought_for(text: str) -> BoughtFor | None:
    """Purchases said to be someone else's ("the candles I bought were for my sister");
    None when the message asks for anything, or names no one or nothing bought."""
    found = BOUGHT_FOR.search(text)
    if found is None or "?" in text or ASKS_FOR_ANY.search(text):
        return None
    words = content_words(found["what"] or found["thing"])
    recipient = parse_recipient(text[found.end() :])
    if not words or recipient is None:
        return None
    return BoughtFor(
        item_words=words,
        recipient=recipient_text(recipient),
        sex=recipient_sex(recipient),
    )


def _feels(text: str) -> bool:
    """Whether ``text`` states a like or dislike, the shopper's or someone's ("she cant
    stand candles")."""
    return states_taste(text) or holder(text)[0] is not None


def _judges(text: str) -> bool:
    """Whether ``text`` has a word of judgement: "not", "don't like", "rubbish"."""
    return bool(NEGATING.search(text) or says_dislike(text) or NO_GOOD.search(text))


def _ask_after_verdict(text: str, context: ReadContext) -> Understanding | None:
    """ "Not those, smth with trucks", "those are rubbish, she likes trucks": one clause
    turns down what is on screen and another names something new to look for. The
    search goes that way; the verdict's own words are no part of it. None when the
    message is not made that way."""
    if not context.suggestion_count:
        return None
    clauses = [c for c in _CLAUSE_BREAK.split(text) if c.strip()]
    asking = [c for c in clauses if not _points_at_shown(c, context) and _asks_for(c)]
    verdict = ", ".join(c for c in clauses if c not in asking)
    asks = ", ".join(asking)
    if not (asks and _points_at_shown(verdict, context) and _turns_down(verdict)):
        return None  # "love those, any in blue?", "not those, too pricey"
    if ASKS_WHY_ANYWHERE.search(asks) or NO_GOOD.search(asks) or is_furious(text):
        return None  # "…why do you keep showing me mugs", "…useless bloody thing"
    slots = search_slots(asks)
    if slots["recipient"]:
        return Request.model_validate(slots)  # "…for my brother then": a new search
    return Refine.model_validate({**slots, "change": "different"})


def _asks_for(clause: str) -> bool:
    """Whether ``clause`` names something to find or someone to find it for."""
    slots = search_slots(clause)
    return names_wanted(slots) or slots["recipient"] is not None


def _turns_down(verdict: str) -> bool:
    """Whether a clause about what is on screen turns it down: "not those", "those are
    rubbish", "number 2 - not for me"."""
    if narrows(verdict) or feedback_value(verdict) == "up":
        return False
    return bool(NEGATING.search(verdict) or NO_GOOD.search(verdict) or says_dislike(verdict))


def _asks_for_popular(text: str, context: ReadContext) -> bool:
    """Whether ``text`` asks to see what sells most ("what's popular?", "bestsellers pls"),
    rather than asking why or whether something is popular, or saying how they feel
    about popular things."""
    return bool(popular_spans(text)) and not (
        ASKS_WHY.search(text)
        or ASKS_ABOUT.search(text)
        or states_taste(text)
        or says_forget(text)
        or parse_position(text, context.suggestion_count) is not None
    )


def _while_confirming(reading: Understanding, text: str) -> Understanding:
    """A yes or no to the action awaiting one, said any way: "okay", "yes, erase it",
    "not now", a bare "y" or "n". Anything else keeps its own meaning."""
    letter = _ONE_LETTER_ANSWER.match(text)
    if letter:
        return Confirm(yes=letter.group(1) == "y")
    if isinstance(reading, SmallTalk) and not NEGATING.search(text):
        return Confirm(yes=True)
    if isinstance(reading, DataRequest) and reading.action == "erase":
        return Confirm(yes=True)
    if isinstance(reading, (SmallTalk, Unclear, ModeSwitch, Goodbye)) and NEGATING.search(text):
        return Confirm(yes=False)
    return reading


def _switches_personalization(text: str) -> bool | None:
    """On or off, when ``text`` says to use (or stop using) the shopper's history in as
    many words: "quit using what you know about me". None otherwise."""
    if not (PERSONALISING.search(text) and MY_HISTORY.search(text)):
        return None
    return personalization_words(text)


def _chooses_among_shown(text: str) -> bool:
    """ "Of those, which is dishwasher safe?": a choice among the items on screen."""
    return bool(AMONG_SHOWN.search(text) and CHOOSING.search(text))


def _points_at_shown(text: str, context: ReadContext) -> bool:
    """Whether ``text`` refers to suggestions on screen: "#2", "those", "the last one"."""
    position = parse_position(text, context.suggestion_count)
    return position is not None or bool(ABOUT_SHOWN_WORDS.search(text))


def _only_a_taste(text: str) -> bool:
    """Whether ``text`` states a taste and nothing a search has: no one else ("she",
    "my mum"), no price, nothing ruled out ("nothing tacky, no more than £20")."""
    slots = search_slots(text)
    searchy = slots["recipient"] or slots["budget_max"] or slots["budget_min"] or slots["exclude"]
    if searchy or asks_search(text) or THIRD_PERSON.search(text) or TASK_ELSEWHERE.search(text):
        return False
    if not content_words(text):
        return False  # "no thanks" is a taste of nothing
    return states_taste(text)


def _ruled_out_for_good(text: str) -> Correction | None:
    """ "No animal prints ever thanks": things ruled out for good, and nothing asked for,
    is a standing dislike."""
    slots = search_slots(text)
    exclude = slots["exclude"]
    if not exclude or names_wanted(slots) or slots["recipient"] or not FOR_GOOD.search(text):
        return None
    about = " ".join(exclude)
    return Correction(subject=about, polarity=-1, text=fact_wording(text, about, -1))


def _price_change(text: str, change: str | None) -> str | None:
    """The way the price should move, said beside another change ("but cheaper")."""
    if change in ("cheaper", "pricier"):
        return change
    return next((p for p in ("cheaper", "pricier") if says_price_change(text, p)), None)


def _carries_on(text: str, slots: dict[str, object]) -> bool:
    """Whether a search said with suggestions on screen edits that search: "same person
    but books", "what about for my dad instead", "any of them in wood?", "anything
    without glass" (a constraint and nothing new to look for; someone new to shop for
    is a new search)."""
    if CARRIES_ON.search(text) or ASKS_OF_SHOWN.search(text):
        return True
    constraint = slots["budget_max"] or slots["budget_min"] or slots["exclude"]
    return bool(constraint) and not (names_wanted(slots) or slots["recipient"])


def _only_someone(text: str) -> bool:
    """Whether ``text`` names a person and nothing to show, buy or feel."""
    slots = search_slots(text)
    asks = names_wanted(slots) or slots["budget_max"] or slots["budget_min"] or states_taste(text)
    return slots["recipient"] is not None and not asks


def _negative(first_person: str) -> bool:
    # The feeling opens or closes the sentence, or follows the "I" who feels it: "I don't
    # like pink", "clowns creep me out", "bear in mind that I detest slogans"; a "not"
    # elsewhere ("I love anything that isn't pink") is about the thing.
    words = LOVES_DESPITE_NOT.sub("love", first_person).split()
    windows = [words[:5], words[-3:]]
    windows += [words[n : n + 5] for n, w in enumerate(words) if w in _FEELERS]
    return any(says_dislike(" ".join(window)) for window in windows)


def _names_things(text: str) -> bool:
    """Whether ``text`` names something in English words ("picture frames"; not "qwop")."""
    query = search_slots(text)["query"]
    return any(word in english_words() for word in query.split())


def _implausible(
    guess: Guess, text: str, context: ReadContext, searching: bool, safe: object
) -> frozenset[str] | None:
    """Intents the nearest meaning cannot be, given words the message lacks; None if the
    guess stands. Each check names what the meaning needs and a near example can't supply."""
    intent = guess.intent
    if intent == "budget" and (searching or not standing_budget(text)):
        return frozenset({"budget"})  # a price for this search, not for what follows
    if intent.startswith(("data_", "personalization_")) and not ABOUT_MY_DATA.search(text):
        # "I'm more of a vintage person", "I do not care for novelty items" name no data.
        return frozenset({intent})
    if intent == "forget" and not says_forget(text):
        return frozenset({"forget"})
    if intent.startswith("feedback_") and asks_to_see(text):
        # "any nice lanterns in?" asks for lanterns, it judges none; "nah, none of those,
        # show me some others" asks for more of the search.
        return _FEEDBACK
    asks = YES_NO_QUESTION.match(text) or ASKS_DETAIL.search(text) or WHAT_ABOUT.match(text)
    if intent.startswith("feedback_") and asks and not _judges(text):
        return _FEEDBACK  # "is the first one popular?", "what colours does the 3rd come in"
    if intent.startswith("feedback_") and (WANTS_MORE_LIKE.search(text) or narrows(text)):
        return _FEEDBACK  # "number 4, more like that please", "the first but in navy?"
    price_change = intent in ("refine_cheaper", "refine_pricier")
    if price_change and not says_price_change(text, intent.removeprefix("refine_")):
        return frozenset({intent})  # "any ideas for her under £5?" states a bound only
    if intent == "why" and not any(
        p.search(text) for p in (ASKS_WHY, ASKS_WHY_ANYWHERE, ASKS_REASON)
    ):
        return frozenset({intent})  # "number 2 is ugly, show me something else" asks no reason
    if intent == "refine_among_shown" and not (CHOOSING.search(text) or price_order(text)):
        return frozenset({intent})  # "none of these, sorry" chooses none of them
    if intent == "refine_among_shown" and not (
        ABOUT_SHOWN_WORDS.search(text) or ONE_OF_THEM.search(text) or narrows(text)
    ):
        slots = search_slots(text)
        if names_wanted(slots):
            return frozenset({intent})  # "your most expensive doormats?" asks for doormats
        if slots["recipient"] and not WHICH.search(text):
            return frozenset({intent})  # "what's good for a teenage lad" asks for ideas
    if intent == "refine_more_like" and not LIKENESS.search(NOT_LIKING.sub(" ", text)):
        # "number 2 is ugly, show me something else"; "no. 5, I don't like it".
        return frozenset({intent})
    if intent == "refine_different" and not turns_away(text):
        return frozenset({intent})  # "any ideas for her?" wants more of the same
    about_shown = intent in ("request", "owned") or intent.startswith(("refine_", "feedback_"))
    if about_shown and context.suggestion_count and ASKS_WHY.search(text):
        return frozenset({intent})  # "why recommend #3" asks about one, not for more
    if intent == "owned" and not HAVING.search(text):
        return frozenset({intent})  # "can i get a cheaper version of the 3rd one"
    owned = context.suggestion_count and not searching and SAYS_OWNED.search(text)
    if intent == "request" and owned:
        return frozenset({"request"})  # "i have that teapot already"
    if intent == "answer_for_me" and parse_recipient(text) is not None:
        return frozenset({intent})  # "yeah for me mam": "me" is dialect for "my"
    if intent in _ANSWERING and context.suggestion_count and ABOUT_SHOWN_WORDS.search(text):
        # "nah not them" with suggestions on screen is about those, not the question.
        return frozenset(_ANSWERING)
    if intent in ("like", "dislike") and parse_position(text, context.suggestion_count):
        return frozenset({"like", "dislike"})  # "luv the first one ngl" judges one shown
    if intent in ("like", "dislike") and (TASK_ELSEWHERE.search(text) or not content_words(text)):
        # "translate thank you into german"; "no thanks" names nothing disliked.
        return frozenset({"like", "dislike"})
    if intent in ("like", "dislike") and not _feels(text):
        return frozenset({"like", "dislike"})  # "cheapest mugs" names no feeling
    if intent in _MODES:
        slots = search_slots(text)
        if slots["recipient"] or names_wanted(slots) or slots["budget_max"] or slots["budget_min"]:
            # "a gift for my best mate", "santas please": the mode *and* what to find.
            return frozenset(_MODES)
    if searching and intent in _UNASKING:
        return _UNASKING  # "oi got any cake stands m8" asks for cake stands
    if intent == "unclear" and _names_things(text) and not ASKS_ELSEWHERE.search(text):
        return frozenset({"unclear"})  # "picture frames" names something to show
    if intent == "smalltalk" and NAMES_ONE_THING.match(text) and _names_things(text):
        return frozenset({"smalltalk"})  # "a doorstop shaped like a cat" is no "ok"
    if intent == "refine_exclude_shown":
        slots = search_slots(text)
        if names_wanted(slots) and not (narrows(text) or _carries_on(text, slots)):
            return frozenset({intent})  # "got any more mugs" asks for mugs
    if intent in _NOTHING_ASKED and message_mode(text) not in (None, ShopperMode.GIFT):
        return _NOTHING_ASKED  # "just having a look round" says how they shop
    said_of_self = FIRST_PERSON.search(text) and holder(text)[0] is None
    if intent == "request" and not searching and _only_a_taste(text):
        # "i really like kitchen stuff", "total sucker for fairy lights" ask for nothing;
        # "my mum's birthday, she likes gardening" may.
        return frozenset({"request"})
    if intent in _NOTHING_ASKED and FOR_SOMEONE.search(text) and search_slots(text)["recipient"]:
        return _NOTHING_ASKED  # "what about for my mum?" asks for ideas for her
    about_me = said_of_self and (intent == "owned" or states_taste(text))
    if searching and intent in _ABOUT_ME and not about_me:
        # "got any more mugs?" asks for mugs; a taste or "I have it" is said of oneself.
        return _ABOUT_ME
    if intent in _HANDOVER and safe is None:
        weak = guess.score < HANDOVER_BY_MEANING
        # With no rule behind it, a person is called only on a close match: a false
        # hand-over stops the shopper's search, and "got them in blue" is no complaint.
        # "I'm returning to the shop later but show me lamps" is a search naming a topic.
        if weak or searching or (context.suggestion_count and narrows(text)):
            return _HANDOVER
    return None


def _fallback(text: str, tidied: str, context: ReadContext, guess: Guess) -> Understanding:
    position = parse_position(text, context.suggestion_count)
    if position is not None and states_taste(text):
        # "luv the first one ngl" judges a suggestion; it is no standing taste.
        return Feedback(position=position, value=FeedbackValue(feedback_value(text)))
    if _only_a_taste(text):
        # No example near enough, but the words say how they feel: "sequins make me cringe".
        return _member("dislike" if _negative(text) else "like", text, context)
    slots = search_slots(text)
    if TASK_ELSEWHERE.search(text) and not asks_search(text):
        return Unclear(text=tidied)  # "translate thank you into german"
    asked = (
        "query",
        "recipient",
        "pronoun",
        "budget_max",
        "budget_min",
        "goes_with",
        "new_only",
        "popular",
        "exclude",
    )
    if any(slots[k] for k in asked):
        return _member("request", text, context)
    if slots["mode"] is not None:
        return ModeSwitch(mode=slots["mode"])  # "can we switch to purchase mode"
    if guess.intent.startswith("refine_"):
        # Nearest to a follow-up but not sure which: with nothing else said, it is
        # about the search on screen ("any other ideas?").
        return _member(guess.intent, text, context)
    return Unclear(text=tidied)


def _member(intent: str, text: str, context: ReadContext) -> Understanding:
    shown = context.suggestion_count
    if intent == "request":
        slots = search_slots(text)
        if (
            shown
            and OTHER_DIRECTION.search(text)
            and not (names_wanted(slots) or slots["recipient"])
        ):
            return Refine.model_validate({**slots, "change": "different"})
        if shown and (narrows(text) or _carries_on(text, slots)):
            turned = names_wanted(slots) and (turns_away(text) or "instead" in text)
            return Refine.model_validate({**slots, "change": "different" if turned else None})
        return Request.model_validate(slots)
    if intent.startswith("refine_"):
        change: str | None = intent.removeprefix("refine_")
        if change == "exclude_shown" and narrows(text):
            change = None  # "got them in blue" keeps a blue one on screen
        position = parse_position(text, shown)
        price = _price_change(text, change)
        if change in ("cheaper", "pricier") and position is not None and LIKENESS.search(text):
            change = "more_like"  # "something like no. 2, cheaper": like it, for less
        slots = search_slots(text)
        return Refine.model_validate(
            {
                **slots,
                "change": change,
                "position": position if change == "more_like" else None,
                "order": price_order(text) if change == "among_shown" else slots["order"],
                "price": price if change == "more_like" else None,
            }
        )
    if intent.startswith("feedback_"):
        value = intent.removeprefix("feedback_")
        if value != "not_for_me":
            value = feedback_value(text)
        position = parse_position(text, shown)
        # "Number 2 is ugly" is about an item; anger at the whole list is about us.
        furious = value != "up" and position is None and is_furious(text)
        return Feedback(position=position, value=FeedbackValue(value), furious=furious)
    if intent.startswith("sensitive_"):
        return Sensitive(topic=intent.removeprefix("sensitive_"))
    if intent in _MODES:
        return ModeSwitch(mode=_MODES[intent])
    return _simple(intent, text, shown)


def _simple(intent: str, text: str, shown: int) -> Understanding:
    match intent:
        case "answer_for_me":
            return Answer(about_me=True)
        case "answer_for_someone":
            recipient = parse_recipient(text)
            return Answer(
                about_me=False,
                recipient=recipient_text(recipient),
                sex=recipient_sex(recipient),
            )
        case "ask_why_asked":
            return AskWhyAsked()
        case "decline_answer":
            return DeclineAnswer()
        case "like" | "dislike":
            whose, own_words = holder(text)
            # "That's wrong, I don't like red": the clause with the feeling in it.
            clauses = [c.strip() for c in own_words.split(",")]
            feeling = next((c for c in clauses if states_taste(c)), own_words)
            if whose is None:
                # "it's for my sister, she loves cats": the feeling's clause says whose,
                # and the clause before may say who "she" is.
                whose, first_person = holder(feeling)
                if whose in _PRONOUNS:
                    rest = ", ".join(c for c in clauses if c != feeling)
                    whose = recipient_text(parse_recipient(rest)) or whose
                clauses = [first_person if c == feeling else c for c in clauses]
                feeling = first_person
            own_words = feeling
            about = subject(own_words)
            if states_taste(about):
                # "ew, tartan": the feeling had a clause to itself; the rest is the subject.
                about = subject(", ".join(c for c in clauses if c != own_words)) or about
            # The words decide which way a taste goes; the nearest example only that it is one.
            polarity: Literal[1, -1] = -1 if _negative(own_words) else 1
            wording = fact_wording(own_words, about, polarity)
            if whose is not None and whose not in _PRONOUNS:
                wording = f"{whose.split(',')[0]} {wording}"
            return Correction(subject=about, polarity=polarity, text=wording, recipient=whose)
        case "budget":
            money = parse_money(text)
            amount = money.high if money.high is not None else money.low
            if amount is None:
                return Unclear(text=text)
            return Budget(amount=amount, currency=money.currency)
        case "why":
            position = parse_position(text, shown)
            words = [] if position is not None else content_words(text)
            return Why(position=position, item_words=words)
        case "owned":
            return Owned(position=parse_position(text, shown))
        case "personalization_on" | "personalization_off":
            said = personalization_words(text)
            return Personalization(on=intent.endswith("_on") if said is None else said)
        case "handoff":
            return Handoff()
        case "forget":
            return Forget(what=forget_what(text))
        case "data_profile" | "data_export" | "data_erase":
            return rules.data_request(text) or _data(intent)
        case "confirm_yes" | "confirm_no":
            return Confirm(yes=intent == "confirm_yes")
        case "call_off":
            return CallOff()
        case "greeting":
            return Greeting()
        case "thanks":
            return Thanks()
        case "goodbye":
            return Goodbye()
        case "smalltalk":
            return SmallTalk(what="acknowledgement")
    return Unclear(text=text)


def _data(intent: str) -> Understanding:
    return DataRequest(action=intent.removeprefix("data_"))
