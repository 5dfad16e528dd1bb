"""The slots of a reading, from the precise parsers once the intent is known."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any, Literal

import prompts
from agent.brain.offline.cues import default_cues
from agent.brain.offline.money import parse_money
from agent.brain.offline.negation import cue_spans, negated_words
from agent.brain.offline.patterns import FROM_THE_TOP, PRICE_ORDER_WORDS, SORTS_BY_PRICE
from agent.brain.offline.recipients import Recipient, parse_recipient
from agent.domain import ShopperMode

_BY_AUDIENCE = {"baby": "baby", "child": "child", "teen": "teenager"}
_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")


@cache
def _stopwords() -> frozenset[str]:
    text = resources.files("agent.brain").joinpath("stopwords.txt").read_text("utf-8")
    words = {line.split("#", 1)[0].strip() for line in text.splitlines()}
    return frozenset(w for w in words if w) | default_cues().query_stopwords


@cache
def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, ordered)) + r")(?!\w)")


def _has(text: str, phrases: tuple[str, ...]) -> bool:
    return bool(_phrase_pattern(phrases).search(text))


def blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span replaced by spaces, so offsets elsewhere stay put."""
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def content_words(text: str, exclude: list[str] | None = None) -> list[str]:
    """The words of ``text`` that can pick out a product, in order."""
    ruled_out = set(exclude or [])
    stop = _stopwords()
    # "he's", "she'd": a contraction of a stop-word is one too, not the word "hes".
    words = [w.replace("'", "") for w in _WORD.findall(text) if w.split("'", 1)[0] not in stop]
    return [w for w in words if w not in stop and w not in ruled_out and not w.isdigit()]


def recipient_sex(found: Recipient | None) -> Literal["f", "m"] | None:
    """The recipient's sex as intents keep it ("f" or "m"), when the words say it."""
    if found is None:
        return None
    return "f" if found.sex == "female" else "m" if found.sex == "male" else None


def recipient_text(found: Recipient | None) -> str | None:
    """The recipient as the conversation keeps it: "niece, 8"."""
    if found is None:
        return None
    # Only an age, "a boy" or "a kid" names them: they are known by their age band.
    relation = found.relation
    if relation is None:
        relation = _BY_AUDIENCE.get(found.audience or "")
    if relation is None:
        return None
    if found.age is None:
        return relation
    return f"{relation}, {found.age:g}"


def message_mode(text: str) -> ShopperMode | None:
    """The shopping mode ``text`` states, if any; a gift outranks the rest."""
    cues = default_cues()
    if _has(text, cues.gift_words):
        return ShopperMode.GIFT
    if _has(text, cues.purchase_words):
        return ShopperMode.PURCHASE
    if _has(text, cues.research_words):
        return ShopperMode.RESEARCH
    if _has(text, cues.browsing_words):
        return ShopperMode.BROWSING
    return None


def filler_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` says something that names nothing to show: "I run a gift shop",
    "restocking for the store", "in at the moment". A gift shop's owner is not after gifts."""
    cues = default_cues()
    places = "|".join(map(re.escape, sorted(cues.trade_places, key=len, reverse=True)))
    trade = re.compile(
        rf"\b(?:(?:i|we)\s+(?:run|own|manage|have|work\s+in)\s+(?:a|an|my|our|the)\s+"
        rf"(?:[a-z&'-]+\s+){{0,3}}?(?:{places})"
        rf"|for\s+(?:my|our|the)\s+(?:[a-z&'-]+\s+)?(?:{places}))(?![\w&])"
    )
    spans = [m.span() for m in trade.finditer(text)] + [m.span() for m in _HEDGE.finditer(text)]
    return spans + [m.span() for m in _phrase_pattern(cues.filler_phrases).finditer(text)]


#: "nothing too personal", "not too big", "isn't overly fancy": a hedge names no product
#: and rules none out.
_HEDGE = re.compile(r"\b(?:nothing|not|isn'?t|isnt|aren'?t|arent|nowt)\s+(?:too|overly)\s+[a-z]+")


def _mode_spans(text: str) -> list[tuple[int, int]]:
    """How they shop is a mode, not a product: "comparing", "just browsing". Gift words
    stay, because "birthday present" names the occasion too."""
    cues = default_cues()
    modes = (*cues.browsing_words, *cues.purchase_words, *cues.research_words)
    return [m.span() for m in _phrase_pattern(modes).finditer(text)]


#: "goes with", "to go with", "to match", "pairs well with": what follows is the thing the
#: shopper wants something for, not the thing itself.
_GOES_WITH = re.compile(
    r"\b(?:go(?:es)?|going|goin|went)\s+(?:well\s+|nicely\s+)?(?:with|wiv|wif|w/)(?!\w)"
    r"|\b(?:to\s+)?match(?:es|ing)?(?:\s+with)?(?=\s+(?:my|me|mi|the|a|an|our|his|her|their|them)\b)"
    r"|\bpairs?\s+(?:well\s+|nicely\s+)?(?:with|wiv|wif|w/)(?!\w)"
    r"|\bcomplements?\b"
)
#: Where the thing it should go with ends: a budget, a recipient, another clause.
_GOES_WITH_END = re.compile(
    r"[.,;!?]|\b(?:for|under|below|over|less|more|cheaper|around|about|but|"
    r"that|which|in|from)\b|£|\$|€"
)


def _goes_with(text: str) -> tuple[str, tuple[int, int] | None]:
    """The words naming what the item should go with, and the span the phrase takes up."""
    cue = _GOES_WITH.search(text)
    if cue is None:
        return "", None
    rest = text[cue.end() :]
    end = _GOES_WITH_END.search(rest)
    stop = cue.end() + (end.start() if end else len(rest))
    return " ".join(content_words(text[cue.end() : stop])), (cue.start(), stop)


#: Only what the shopper has not had yet: "anything i haven't bought before?", "mugs
#: i've never ordered", "something new", "not the usual". The having must be said of
#: things ("i never ordered this" complains) and end its clause ("i never buy plastic"
#: rules out plastic).
_NOT_YET = (
    r"(?:have\s*n[o']?t|haven'?t|havent|hadn'?t|hadnt|never|not\s+yet|not|don'?t|dont"
    r"|do\s+not|didn'?t|didnt|did\s+not)"
)
_HAVING = r"(?:bought|buy|ordered|order|tried|try|got|get|gotten|had|have|owned|own|purchased)"
_THINGS = (
    r"(?:(?!(?:but|and|or|so|because|cos|as|if|when|though|although|since|that|which|it|this"
    r"|i|we|me|you)\b)[a-z]+)"
)
_NEW_TO_ME = re.compile(
    rf"\b{_THINGS}\s+(?P<clause>(?:(?:that|which)\s+)?(?:(?:i|we)\s*(?:'ve|ve|\s+have|\s+had)?\s+)?"
    rf"{_NOT_YET}\s+(?:(?:already|yet|ever|previously)\s+)?{_HAVING}"
    r"(?:\s+(?:before|yet|already|previously|so\s+far|from\s+(?:you|here|this\s+shop)|here))*)"
    r"(?=\s*(?:[.,;!?]|$|\b(?:for|under|below|over|less|around|about|but|and|pls|please)\b|£|\$|€))"
    r"|\b(?:some|any|no)thing\s+(?:brand\s+)?new\b"
    r"(?!\s+(?:in\b|arrivals?|arrived|stock|season|collection|range|line))"
    r"|\bnew\s+(?:stuff|things|ideas|bits|items|products|finds)\b"
    r"|\bnew\s+to\s+(?:me|us)\b"
    r"|\b(?:not|besides|other\s+than|apart\s+from|beyond|instead\s+of|different\s+(?:from|to|than)"
    r"|away\s+from|outside)\s+(?:(?:the|my|our)\s+usual(?:\s+(?:stuff|things|order|orders|bits|lot))?"
    r"|what\s+(?:i|we)\s+(?:usually|normally|always|tend\s+to)\s+(?:buy|get|order|have|pick))\b"
)


#: What the shop sells most, asked for as such: "bestsellers", "what's popular", "what
#: are people buying", "trending". Not "popular with kids" (that names who it suits).
_POPULAR = re.compile(
    r"\b(?:best\s*-?\s*sell(?:ers?|ing)|top\s+sell(?:ers?|ing)|most\s+popular|trending"
    r"|popular(?:\s+(?:right\s+now|now|at\s+the\s+moment|this\s+week|today))?(?!\s+with\b)"
    r"|(?:what|things|stuff)\s+(?:are\s+|is\s+)?(?:other\s+)?(?:people|others|everyone|everybody"
    r"|customers|shoppers)\s+(?:are\s+|is\s+)?(?:buying|getting|ordering|loving|into)"
    r"|what(?:'s|s|\s+is)\s+(?:hot|selling)(?:\s+(?:right\s+now|now|at\s+the\s+moment))?)\b"
)


def popular_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` asks for what the shop sells most."""
    return [m.span() for m in _POPULAR.finditer(text)]


def new_to_me_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` asks for only what the shopper has not bought or got yet (the
    things it names stay: "mugs i don't have yet" still searches for mugs)."""
    return [m.span("clause") if m["clause"] else m.span() for m in _NEW_TO_ME.finditer(text)]


#: "switch to gift mode", "can we change back to browsing": asking to move to a mode
#: names nothing to find (and "switch" or "change" may well name products).
_SWITCHING = re.compile(
    r"\b(?:switch|swap|change|go|move|put|set|turn)(?:\s+(?:me|it|us|this|things))?"
    r"(?:\s+(?:back|over))?\s+(?:to|into)\b"
)
_MODE_WORD = re.compile(r"\bmodes?\b")


def search_slots(text: str) -> dict[str, Any]:
    """The search slots of ``text`` (lower case), as keyword arguments of Request/Refine."""
    text = blank(text, filler_spans(text))
    new_only = new_to_me_spans(text)
    popular = popular_spans(text)
    text = blank(text, new_only + popular)
    mode = message_mode(text)
    text = blank(text, _mode_spans(text))
    if mode is not None or _MODE_WORD.search(text):
        text = blank(text, [m.span() for m in _SWITCHING.finditer(text)])
    order = price_extreme(text)
    if SORTS_BY_PRICE.search(text):
        text = blank(text, [m.span() for m in PRICE_ORDER_WORDS.finditer(text)])
    money = parse_money(text)
    recipient = parse_recipient(text)
    spans = list(money.spans)
    if recipient is not None:
        spans.append(recipient.span)
    negated = negated_words(text)
    exclude = [word for word, kept in negated if kept]
    goes_with, goes_with_span = _goes_with(blank(text, spans))
    if goes_with:
        spans.append(goes_with_span)  # type: ignore[arg-type]
    words = content_words(blank(text, spans + cue_spans(text)), [word for word, _ in negated])
    bounded = money.found and not money.around
    audience = recipient.audience if recipient is not None else None
    pronoun = None
    if recipient is not None and (recipient.relation, recipient.age, audience) == (None,) * 3:
        pronoun = {"female": "her", "male": "him"}.get(recipient.sex or "")
    return {
        "query": " ".join(words),
        "category_words": words,
        "budget_max": money.high if bounded else None,
        "budget_min": money.low if bounded else None,
        "currency": money.currency,
        "recipient": recipient_text(recipient),
        "pronoun": pronoun,
        "sex": recipient_sex(recipient),
        "mode": mode,
        "audience": audience if audience in ("baby", "child", "teen") else None,
        "age": recipient.age if recipient is not None else None,
        "exclude": exclude,
        "goes_with": goes_with,
        "new_only": bool(new_only),
        "popular": bool(popular),
        "order": order,
    }


#: "any nice lanterns in?", "anything in green": a question opening on "any" asks to see.
_ANY_OPENER = re.compile(r"^(?:(?:hi|hey|hello|hiya|ok|so)[,!. ]+)?(?:any|anything|got\s+any)\b")


def asks_to_see(text: str) -> bool:
    """Whether ``text`` asks to be shown something: "show me…", "got any…"."""
    return _has(text, default_cues().request_cues) or bool(_ANY_OPENER.match(text))


def asks_search(text: str) -> bool:
    """Whether ``text`` opens a search ("show me…", "gift for…") and names what to find."""
    if not asks_to_see(text):
        return False
    found = search_slots(text)
    handover = default_cues().handover_words
    words = [w for w in found["category_words"] if w not in handover]
    return bool(words or found["recipient"] or found["goes_with"])


def names_wanted(slots: dict[str, Any]) -> bool:
    """Whether search slots name something to find: its words, or what it goes with."""
    return bool(slots["query"] or slots["goes_with"])


def narrows(text: str) -> bool:
    """Whether ``text`` narrows the search on screen rather than starting one."""
    return _has(text, default_cues().narrow_cues)


#: "I'd like to see…", "looks like": the verb "like" without a taste in it.
_NOT_A_TASTE = re.compile(
    r"\b(?:would|'d|wd|should|might)\s+(?:really\s+|also\s+|much\s+)?(?:like|love|prefer)\b"
    r"|\bprefer\s+(?:something|anything|smth|sth|one|ones)\b"
    r"|\blike\s+to\s+(?:see|have|get|buy|order|find|look|know|ask|try|check)\b"
    r"|\b(?:looks?|looking|feels?|sounds?|smells?|tastes?|something|anything|things?|more|"
    r"one|ones|just|shaped|styled|designed|made|carved|painted|dressed|decorated)\s+like\b"
)


def says_price_change(text: str, change: str) -> bool:
    """Whether ``text`` has a word for asking ``change`` ("cheaper" or "pricier")."""
    cues = default_cues()
    return _has_stem(text, cues.cheaper_cues if change == "cheaper" else cues.pricier_cues)


def _has_stem(text: str, cues: tuple[str, ...]) -> bool:
    # "luxur" covers "luxurious" and "luxury": cues match at the start of a word.
    ordered = sorted(cues, key=len, reverse=True)
    return bool(re.search(r"(?<!\w)(?:" + "|".join(map(re.escape, ordered)) + ")", text))


def turns_away(text: str) -> bool:
    """Whether a follow-up asks for something other than the search on screen."""
    return _has(text, default_cues().different_cues)


def states_taste(text: str) -> bool:
    """Whether ``text`` uses a verb of liking or disliking ("love", "can't stand")."""
    cues = default_cues()
    text = _NOT_A_TASTE.sub(" ", text)
    if _has(text, cues.subject_leads) or _has(text, cues.taste_phrases):
        return True
    return bool(_taste_verbs().search(text))


@cache
def _taste_verbs() -> re.Pattern[str]:
    """The verbs of liking in any form ("loves", "hating"), but not words that start
    like them: "lovely" is no taste."""
    forms = set()
    for verb in default_cues().fact_templates:
        forms |= {verb, verb + "s", verb + "d", verb + "ed", verb + "ing"}
        if verb.endswith("e"):
            forms.add(verb[:-1] + "ing")
    ordered = sorted(forms, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, ordered)) + r")(?!\w)")


def says_dislike(text: str) -> bool:
    """Whether ``text`` holds a word that turns a taste into a dislike."""
    return _has(text, default_cues().negative_words)


def says_forget(text: str) -> bool:
    """Whether ``text`` uses a word that asks to drop something remembered."""
    return _has(text, default_cues().forget_words)


def standing_budget(text: str) -> bool:
    """Whether a price in ``text`` is meant for everything that follows."""
    return _has(text, default_cues().standing_budget_cues)


def price_order(text: str) -> str | None:
    """ "the cheapest of those" → price_low; "the priciest" → price_high."""
    cues = default_cues()
    if _has(text, cues.price_low_words):
        return "price_low"
    if _has(text, cues.price_high_words):
        return "price_high"
    return None


def price_extreme(text: str) -> str | None:
    """ "the cheapest candles" → price_low, "the poshest rugs" → price_high; "cheaper
    ones" compares with what was shown, and asks for no order. "Mugs sorted by price"
    is cheapest first unless it says "high to low"."""
    cues = default_cues()
    if SORTS_BY_PRICE.search(text):
        high = FROM_THE_TOP.search(text) or _has(text, cues.price_high_words)
        return "price_high" if high else "price_low"
    for order, words in (
        ("price_low", cues.price_low_words),
        ("price_high", cues.price_high_words),
    ):
        if _has(text, tuple(w for w in words if not w.endswith("er"))):
            return order
    return None


def _strip(text: str, leads: tuple[str, ...], trails: tuple[str, ...]) -> str:
    text = re.sub(r"[^\w\s'-]", " ", text).strip()
    for lead in sorted(leads, key=len, reverse=True):
        if re.match(rf"{re.escape(lead)}\b", text):
            text = text[len(lead) :].strip()
            break
    changed = True
    while changed:
        changed = False
        for trail in sorted(trails, key=len, reverse=True):
            if re.search(rf"\b{re.escape(trail)}$", text):
                text = text[: -len(trail)].strip()
                changed = True
    return text


#: "ok, i really like linen": what opens a sentence before the feeling is said.
_INTERJECTIONS = re.compile(
    r"^(?:(?:ok|okay|well|so|right|hmm+|oh|yeah|yes|actually|honestly|tbh|also"
    r"|ew+|ugh+|urgh+|yuck|meh|nah+|naw|nope)[,!. ]+)+"
)


#: "not *very* into", "not *too* keen on": a degree said of a feeling, which the phrases
#: that open a feeling are written without.
_DEGREE = re.compile(
    r"\b(?:very|too|overly|particularly|all\s+that|that|so|super|hugely)\s+"
    r"(?=(?:into|keen|fond|big\s+on|a\s+fan)\b)"
)


def subject(text: str) -> str:
    """What a like or dislike is about: "I love anything with cats on it" → "cats"."""
    cues = default_cues()
    text = _DEGREE.sub("", _INTERJECTIONS.sub("", text))
    cut = re.search(rf"(?:,|\s(?:{'|'.join(map(re.escape, cues.subject_cuts))})\b)", text)
    head = text[: cut.start()] if cut else text
    about = _strip(head, cues.subject_leads, cues.subject_trails)
    # "I love anything with cats": a feeling, then a hedge before the subject itself.
    return _strip(about, cues.subject_leads, cues.subject_trails) or about or text


#: "she's allergic to wool", "my mum's not into pink": the "is" a holder's verb needs.
#: ("He's into trains" stays a wish to search for him.)
_UNCONTRACTED = re.compile(r"(?<=\w)'s\s+(?=(?:allergic|not\s+into|not\s+a\s+fan)\b)")
_THEY_ARE = re.compile(r"\bthey're\b")


@cache
def _holder_pattern() -> re.Pattern[str]:
    verbs = sorted(default_cues().third_person, key=len, reverse=True)
    return re.compile(
        r"^(?:(?:my|our)\s+(?P<who>[\w' -]+?)|(?P<pronoun>she|he|they))\s+"
        r"(?P<verb>" + "|".join(map(re.escape, verbs)) + r")\b"
    )


def holder(text: str) -> tuple[str | None, str]:
    """Whose like a message states, and the message as if the shopper said it of
    themselves: "my sister loves cats" → ("sister", "i love cats"). A pronoun is kept
    as said ("she"); the conversation knows who is meant."""
    text = _UNCONTRACTED.sub(" is ", _THEY_ARE.sub("they are", text))
    found = _holder_pattern().match(text)
    if found is None:
        return None, text
    first_person = default_cues().third_person[found["verb"]] + text[found.end() :]
    if found["pronoun"]:
        return found["pronoun"], first_person
    who = recipient_text(parse_recipient(f"for my {found['who']}"))
    return (who, first_person) if who else (None, text)


def fact_wording(text: str, about: str, polarity: int) -> str:
    """The fact a like or dislike becomes, worded by its verb: "really dislikes glitter"."""
    template = "into" if polarity == 1 else "not_into"
    for verb, name in default_cues().fact_templates.items():
        if not re.search(rf"\b{re.escape(verb)}", text):
            continue
        # A positive verb in a dislike ("not a fan", "don't like") is the dislike's own.
        if polarity == 1 and name in {"likes", "loves", "enjoys", "prefers", "collects"}:
            template = name
            break
        if polarity == -1 and name in {"allergic", "avoids", "hates", "dislikes"}:
            template = name
            break
    return prompts.render(f"facts/{template}", subject=about)


def forget_what(text: str) -> str:
    """The fact a forget names, or "" for the latest one."""
    cues = default_cues()
    what = text
    for _ in range(3):  # "please forget that i like cats": a lead, then a verb, then "the"
        what = _strip(what, cues.forget_leads, ())
    return "" if what in cues.forget_latest else what


def feedback_value(text: str) -> str:
    """Up, down or not_for_me, from the words of a verdict."""
    cues = default_cues()
    if _has(text, cues.not_for_me_words):
        return "not_for_me"
    negated = re.search(r"\b(?:not|none|nope|no|never|isn't|aren't)\b", text)
    liked = _has(text, cues.up_words) or (states_taste(text) and not says_dislike(text))
    if liked and not negated:
        return "up"  # "number 2 is lovely", "adore the 4th one"
    return "down"


def personalization_words(text: str) -> bool | None:
    """Which way ``text`` turns personalization when its words say one way only ("stop
    personalising" → False, "use my history again" → True); None when they don't."""
    cues = default_cues()
    on = _has(text, cues.personalization_on_words)
    off = _has(text, cues.personalization_off_words)
    return on if on != off else None
