"""What a turn did, as typed data: the brain words it, the conversation decided it.

Every fact in an outcome comes from the data or from an action taken in the turn, so
whatever words a brain puts around it, the claims underneath are true.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.domain import EscalationCause, FeedbackValue, ShopperMode


class _Outcome(BaseModel):
    model_config = ConfigDict(frozen=True)


class Shown(_Outcome):
    """Suggestions were shown for a request, with nothing else to say first."""

    kind: Literal["shown"] = "shown"
    mode: ShopperMode
    personalized: bool
    recipient: str | None = None
    goes_with: str | None = Field(
        default=None, description="the title of the item every suggestion was chosen with"
    )
    searched: str | None = Field(
        default=None,
        description='what the shopper asked for, as it was searched (""mugs" under £5")',
    )
    popular: bool = Field(
        default=False,
        description="ranked by what other shoppers buy most, with nothing about this one",
    )
    excluded: list[str] = Field(
        default_factory=list, description='words the shopper ruled out ("pink")'
    )


class Refined(_Outcome):
    """A follow-up edited the active request: what was kept and what changed."""

    kind: Literal["refined"] = "refined"
    kept: list[str] = Field(description='constraints carried over, e.g. "for your sister"')
    changed: list[str] = Field(description='what this turn changed, e.g. "under £5"')


class LooseMatches(_Outcome):
    """Words were searched for and none of the suggestions names them or clearly means
    them: each is only loosely related (what is left once the close matches were shown)."""

    kind: Literal["loose_matches"] = "loose_matches"


class NoMatch(_Outcome):
    """Nothing in the catalog answers the request well enough to show."""

    kind: Literal["no_match"] = "no_match"
    constraints: str = Field(description="the request in words, quoted back")


class AnswerTaken(_Outcome):
    """The shopper answered the clarifying question about an item."""

    kind: Literal["answer_taken"] = "answer_taken"
    item: str
    about_me: bool
    recipient: str | None = None


class QuestionExplained(_Outcome):
    """Why the agent asked about an item; the question stays open."""

    kind: Literal["question_explained"] = "question_explained"
    item: str
    bought_at: str = Field(description="when, in words, e.g. '3 weeks ago'")


class AnswerDeclined(_Outcome):
    """The shopper would rather not say; the item stays held and is not asked about again."""

    kind: Literal["answer_declined"] = "answer_declined"
    item: str


class FactNoted(_Outcome):
    """A stated like or dislike was remembered."""

    kind: Literal["fact_noted"] = "fact_noted"
    subject: str
    polarity: Literal[1, -1]
    recipient: str | None = Field(default=None, description="whose like it is, if not theirs")
    shapes_list: bool = Field(
        default=True, description="whether any suggestion shown with it draws on it"
    )


class BudgetNoted(_Outcome):
    """A standing budget was remembered."""

    kind: Literal["budget_noted"] = "budget_noted"
    amount: str


class Forgotten(_Outcome):
    """Facts were retracted, named in the shopper's words."""

    kind: Literal["forgotten"] = "forgotten"
    facts: list[str]


class NothingToForget(_Outcome):
    """No fact matched what the shopper asked to forget; what is held is listed."""

    kind: Literal["nothing_to_forget"] = "nothing_to_forget"
    what: str
    facts: list[str]


class PersonalizationSet(_Outcome):
    kind: Literal["personalization_set"] = "personalization_set"
    on: bool


class FeedbackTaken(_Outcome):
    kind: Literal["feedback_taken"] = "feedback_taken"
    value: FeedbackValue
    #: A verdict on every suggestion shown ("none of these"), not on one of them.
    whole_set: bool = False


class OwnedNoted(_Outcome):
    """The shopper already has an item: it is remembered as theirs and not suggested again."""

    kind: Literal["owned_noted"] = "owned_noted"
    item: str


class ModeSwitched(_Outcome):
    kind: Literal["mode_switched"] = "mode_switched"
    mode: ShopperMode


class BoughtForNoted(_Outcome):
    """Purchases the shopper said were someone else's, now kept out of their own taste:
    ``items`` are their distinct titles, ``count`` how many purchases, and
    ``recipient`` who they were for (None: not said). ``count`` 0: none matched."""

    kind: Literal["bought_for_noted"] = "bought_for_noted"
    words: str
    items: list[str] = Field(default_factory=list)
    count: int = 0
    recipient: str | None = None


class BasketElsewhere(_Outcome):
    """Asked about their basket, which the shop keeps: ``item`` is the suggestion they
    wanted in it, if they named one."""

    kind: Literal["basket_elsewhere"] = "basket_elsewhere"
    item: str | None = None


class OrderHistoryShown(_Outcome):
    """What the shopper bought before, from their purchases on record: ``titles`` (the
    latest first) of those ``query`` names, or of their latest order when it is "";
    ``times`` the purchases of them and ``when`` the latest, as a reply says it. No
    titles: none on record."""

    kind: Literal["order_history"] = "order_history"
    query: str = ""
    titles: list[str] = Field(default_factory=list)
    times: int = 0
    when: str = ""


class Greeted(_Outcome):
    kind: Literal["greeted"] = "greeted"


class Closing(_Outcome):
    """Thanks, goodbyes, laughter and plain acknowledgements, and saying who answers: a
    short reply, no search."""

    kind: Literal["closing"] = "closing"
    what: Literal["thanks", "goodbye", "laughter", "acknowledgement", "identity"]


class Escalated(_Outcome):
    kind: Literal["escalated"] = "escalated"
    cause: EscalationCause
    topic: str | None = None


class HandoverCalledOff(_Outcome):
    kind: Literal["handover_called_off"] = "handover_called_off"


class WithStaff(_Outcome):
    """A person holds the conversation; the agent stays quiet."""

    kind: Literal["with_staff"] = "with_staff"
    staff: str | None = None


class Explained(_Outcome):
    """Why one suggestion was made, recomputed from current data."""

    kind: Literal["explained"] = "explained"
    item: str
    price: str | None = Field(default=None, description="its price as the catalog has it")
    reason: str
    factors: list[str] = Field(description="one line per factor with its contribution")
    #: Asked a question of fact about it: what the catalog says of it ("" when only its
    #: name and price), said first, since nothing else here can answer.
    described: str | None = None


class NothingToExplain(_Outcome):
    kind: Literal["nothing_to_explain"] = "nothing_to_explain"


class ProfileShown(_Outcome):
    kind: Literal["profile_shown"] = "profile_shown"
    lines: list[str]


class Exported(_Outcome):
    kind: Literal["exported"] = "exported"
    path: str


class EraseAsked(_Outcome):
    kind: Literal["erase_asked"] = "erase_asked"
    held: str = Field(description="what would be erased, counted in words")


class Erased(_Outcome):
    kind: Literal["erased"] = "erased"
    summary: str


class EraseDeclined(_Outcome):
    kind: Literal["erase_declined"] = "erase_declined"


class NotUnderstood(_Outcome):
    kind: Literal["not_understood"] = "not_understood"


class HandoverNote(_Outcome):
    """Said before the answer while a hand-over is waiting (or waits elsewhere)."""

    kind: Literal["handover_note"] = "handover_note"
    state: Literal["elsewhere", "still_waiting", "unclaimed"]
    waiting_for: str | None = None


Outcome = Annotated[
    Shown
    | Refined
    | OrderHistoryShown
    | LooseMatches
    | NoMatch
    | AnswerTaken
    | QuestionExplained
    | AnswerDeclined
    | FactNoted
    | BudgetNoted
    | Forgotten
    | NothingToForget
    | PersonalizationSet
    | FeedbackTaken
    | OwnedNoted
    | ModeSwitched
    | BasketElsewhere
    | BoughtForNoted
    | Greeted
    | Closing
    | Escalated
    | HandoverCalledOff
    | WithStaff
    | Explained
    | NothingToExplain
    | ProfileShown
    | Exported
    | EraseAsked
    | Erased
    | EraseDeclined
    | NotUnderstood
    | HandoverNote,
    Field(discriminator="kind"),
]
