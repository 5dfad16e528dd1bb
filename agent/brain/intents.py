"""What a shopper's message means: the typed union every brain fills in.

The offline reader (:mod:`agent.brain.offline`) and an LLM reader produce the same
:data:`Understanding`, so the conversation acts on one shape whoever read the message.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from agent.domain import FeedbackValue, ShopperMode

MAX_CHARS = 2000
#: A larger "budget" is not a budget (and hundreds of digits would parse as infinity).
MAX_AMOUNT = 1e9


class _Intent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Search(_Intent):
    """The slots of a search, shared by a new request and a follow-up that edits one."""

    query: str = Field(default="", description='content words; "" means "show me something"')
    budget_max: float | None = Field(default=None, ge=0)
    budget_min: float | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, description="£, $ or € when the shopper named one")
    recipient: str | None = Field(default=None, description="who it is for, e.g. 'niece, 8'")
    pronoun: Literal["her", "him"] | None = Field(
        default=None,
        description='"something for her": the recipient named only by a pronoun, meaning '
        "whoever the search on screen is for",
    )
    sex: Literal["f", "m"] | None = Field(
        default=None, description='the recipient\'s, when the words say it: "sister", "for him"'
    )
    mode: ShopperMode | None = Field(default=None, description="only when the message says so")
    category_words: list[str] = Field(default_factory=list)
    audience: Literal["baby", "child", "teen"] | None = Field(
        default=None, description="who it should suit, when the message says a young person"
    )
    age: float | None = Field(default=None, ge=0, description="their age in years, if said")
    exclude: list[str] = Field(
        default_factory=list, description='words ruled out: "not leather" → ["leather"]'
    )
    goes_with: str = Field(
        default="",
        description='what it should go with: "cushions to go with my sofa" → "sofa" '
        '(and query "cushions")',
    )
    popular: bool = Field(
        default=False,
        description="what other shoppers buy most, not tailored to this one: \"what's "
        'popular?", "show me your bestsellers", "what are people buying"',
    )
    new_only: bool = Field(
        default=False,
        description="only what the shopper has not bought or got yet: \"anything I haven't "
        'bought before?", "something new", "not the usual"',
    )
    order: Literal["price_low", "price_high"] | None = Field(
        default=None,
        description='a price order asked for: "the cheapest candles", "the cheapest of '
        'those" → price_low; "your most expensive rugs" → price_high',
    )


class Request(_Search):
    """Something to show: a search with optional budget, recipient and mode."""

    kind: Literal["request"] = "request"


Change = Literal["cheaper", "pricier", "exclude_shown", "more_like", "among_shown", "different"]


class Refine(_Search):
    """A follow-up that edits the active request; unset slots keep their earlier values.

    ``change`` says how: cheaper or pricier than what was shown, the same search without
    the shown items, more like the item at ``position``, a choice among the shown items
    (``order`` names a price order, if asked for), or a different direction altogether.
    """

    kind: Literal["refine"] = "refine"
    change: Change | None = None
    position: int | None = Field(default=None, ge=1, description="the item for more_like")
    price: Literal["cheaper", "pricier"] | None = Field(
        default=None, description='the price moving with another change: "like #2 but cheaper"'
    )


class Owned(_Intent):
    """ "I already have that one": the shown item at ``position`` (None = the only or first)."""

    kind: Literal["owned"] = "owned"
    position: int | None = Field(default=None, ge=1)


class AskWhyAsked(_Intent):
    """The shopper asks why the agent wants to know (after its clarifying question)."""

    kind: Literal["ask_why_asked"] = "ask_why_asked"


class DeclineAnswer(_Intent):
    """The shopper will not answer the clarifying question ("none of your business")."""

    kind: Literal["decline_answer"] = "decline_answer"


class Answer(_Intent):
    """A reply to the pending clarifying question ("was the X for someone else?")."""

    kind: Literal["answer"] = "answer"
    about_me: bool
    recipient: str | None = None
    sex: Literal["f", "m"] | None = Field(
        default=None, description='the recipient\'s, when the words say it: "my nephew"'
    )


class BoughtFor(_Intent):
    """Past purchases the shopper says were for someone else, unasked: "the tea towels I
    bought were for my mum". ``item_words`` pick out the purchases by title."""

    kind: Literal["bought_for"] = "bought_for"
    item_words: list[str] = Field(min_length=1)
    recipient: str | None = None
    sex: Literal["f", "m"] | None = None


class Correction(_Intent):
    """A stated like or dislike: becomes a preference fact."""

    kind: Literal["correction"] = "correction"
    subject: str = Field(min_length=1)
    polarity: Literal[1, -1]
    text: str = Field(min_length=1, description="the fact's wording, e.g. 'not into candles'")
    recipient: str | None = Field(
        default=None,
        description="whose like it is when not the shopper's: 'my sister loves cats' → sister",
    )


class Budget(_Intent):
    """A standing budget ("my budget is £30"), unlike a one-off request budget."""

    kind: Literal["budget"] = "budget"
    amount: float = Field(ge=0)
    currency: str | None = None


class Why(_Intent):
    """A "why this?" question: position is 1-based; item_words name the item otherwise."""

    kind: Literal["why"] = "why"
    position: int | None = Field(default=None, ge=1)
    item_words: list[str] = Field(default_factory=list)
    #: A question of fact about it ("is it dishwasher safe?"), which only what the catalog
    #: says of it can answer.
    asks_fact: bool = False


class Personalization(_Intent):
    """Switch personalized suggestions on or off."""

    kind: Literal["personalization"] = "personalization"
    on: bool


class Handoff(_Intent):
    """The shopper asked for a person, or is angry enough that one should step in."""

    kind: Literal["handoff"] = "handoff"
    #: Anger that asks for nothing ("ugh, these are all wrong"), not a request for a person.
    upset: bool = False


#: What a person must handle: the reader and the LLM brain name these and nothing else.
SensitiveTopic = Literal["complaint", "payment", "return", "delivery"]


class Sensitive(_Intent):
    """A topic a person should handle."""

    kind: Literal["sensitive"] = "sensitive"
    topic: SensitiveTopic


class Feedback(_Intent):
    """A verdict on a suggestion; position None means the last set as a whole."""

    kind: Literal["feedback"] = "feedback"
    position: int | None = Field(default=None, ge=1)
    value: FeedbackValue
    furious: bool = Field(default=False, description="said in anger or with swearing")
    stated: Correction | None = Field(
        default=None,
        description="a like or dislike said with the verdict: 'not number 3, she hates "
        "owls' → her dislike of owls",
    )


class ModeSwitch(_Intent):
    """An explicit change of shopping mode with nothing else asked."""

    kind: Literal["mode_switch"] = "mode_switch"
    mode: ShopperMode


class Forget(_Intent):
    """Drop a fact; ``what`` is matched against the facts, "" means the latest one."""

    kind: Literal["forget"] = "forget"
    what: str = ""


class DataRequest(_Intent):
    """See, export or erase what tactful holds about the shopper."""

    kind: Literal["data_request"] = "data_request"
    action: Literal["export", "erase", "profile"]


class Confirm(_Intent):
    """A yes or no to an action the agent asked the shopper to confirm (e.g. erasing)."""

    kind: Literal["confirm"] = "confirm"
    yes: bool


class CallOff(_Intent):
    """The shopper no longer wants the person they asked for."""

    kind: Literal["call_off"] = "call_off"


class Goodbye(_Intent):
    """A closing ("thanks, bye", "that's all for now"), and nothing else."""

    kind: Literal["goodbye"] = "goodbye"


class SmallTalk(_Intent):
    """A laugh or a plain acknowledgement ("lol", "ok cool", "hmm") that asks for nothing,
    or a question whether a person is answering ("am I talking to a bot?")."""

    kind: Literal["smalltalk"] = "smalltalk"
    what: Literal["laughter", "acknowledgement", "identity"]


class Basket(_Intent):
    """The shopper's basket or cart: what is in it, or putting something there
    ("add number 2 to my basket"). Tactful sees and changes neither; ``position`` is the
    suggestion they named, if any."""

    kind: Literal["basket"] = "basket"
    position: int | None = Field(default=None, ge=1)


class OrderHistory(_Intent):
    """What the shopper bought before: "what did I order last?", "when did I last buy tea
    lights?", "have I had the owl mug before?"; ``query`` names the thing ("" = their
    latest order)."""

    kind: Literal["order_history"] = "order_history"
    query: str = ""


class Greeting(_Intent):
    """Hello, and nothing else."""

    kind: Literal["greeting"] = "greeting"


class Thanks(_Intent):
    """Thanks or a plain acknowledgement ("perfect", "ok"), and nothing else."""

    kind: Literal["thanks"] = "thanks"


class Unclear(_Intent):
    """Nothing recognisable; ``text`` is the (capped, tidied) message for the record."""

    kind: Literal["unclear"] = "unclear"
    text: str = ""


Understanding = Annotated[
    Request
    | Refine
    | Owned
    | AskWhyAsked
    | DeclineAnswer
    | Answer
    | Correction
    | Budget
    | Why
    | Personalization
    | Handoff
    | Sensitive
    | Feedback
    | ModeSwitch
    | Forget
    | DataRequest
    | Confirm
    | CallOff
    | Goodbye
    | SmallTalk
    | Basket
    | OrderHistory
    | BoughtFor
    | Greeting
    | Thanks
    | Unclear,
    Field(discriminator="kind"),
]

# For the LLM path and HTTP edges: validate a dict into the right member.
understanding_adapter: TypeAdapter[Understanding] = TypeAdapter(Understanding)
