"""The default brain: reads with the offline reader, words outcomes from prompts/offline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import prompts
from agent import wording
from agent.brain.base import ReadContext, ShopView, Worded
from agent.brain.intents import Understanding
from agent.brain.offline.reader import OfflineReader
from agent.conversation import outcome as o
from agent.domain import FeedbackValue, ShopperMode
from agent.embedding import Embedder
from agent.wording import someone
from tools.types import Suggestion

#: Of the purchases a shopper says were someone else's, this many titles are named.
NAMED_TITLES = 3


class Reader(Protocol):
    """Anything that reads a message in context (the offline reader, a test double)."""

    def read(self, message: str, context: ReadContext) -> Understanding: ...

    def read_surely(self, message: str, context: ReadContext) -> tuple[Understanding, bool]: ...


class OfflineBrain:
    """Deterministic reading and wording, no network: what runs with no LLM configured."""

    def __init__(self, reader: Reader) -> None:
        self._reader = reader

    def read(self, message: str, context: ReadContext) -> Understanding:
        return self._reader.read(message, context)

    def read_surely(self, message: str, context: ReadContext) -> tuple[Understanding, bool]:
        """The reading, and whether a rule or a sure meaning made it (see OfflineReader)."""
        return self._reader.read_surely(message, context)

    def word(self, outcome: o.Outcome) -> str:
        return word(outcome).strip()

    def word_shown(self, outcome: o.Outcome, suggestions: Sequence[Suggestion]) -> Worded:
        # The ranker's template reasons are already said from the factors alone.
        return Worded(text=self.word(outcome), reasons=[s.reason for s in suggestions])

    def choose(self, message: str, shop: ShopView) -> list[Suggestion] | None:
        return None  # the conversation's own ranking is the offline one


def offline_brain(embedder: Embedder) -> OfflineBrain:
    """The brain tactful uses with no LLM configured."""
    return OfflineBrain(OfflineReader(embedder))


def word(outcome: o.Outcome) -> str:
    """The offline wording of one outcome."""
    r = prompts.render
    if isinstance(outcome, o.Shown) and outcome.excluded:
        # "Something for my niece, nothing pink": say it was heard.
        shown = word(outcome.model_copy(update={"excluded": []})).strip()
        words = " or ".join(f'"{w}"' for w in outcome.excluded)
        return f"{shown} {r('offline/excluding', words=words).strip()}"
    match outcome:
        case o.Shown(goes_with=goes_with) if goes_with:
            return r("offline/intro_goes_with", item=goes_with)
        case o.Shown(popular=True, searched=searched):
            if searched:
                return r("offline/intro_search_popular", searched=searched)
            return r("offline/intro_popular")
        case o.Shown(mode=mode, personalized=personalized, recipient=recipient, searched=searched):
            if not personalized:
                return r("offline/intro_generic")
            if mode is ShopperMode.GIFT and recipient and searched:
                who = someone(recipient)
                return r("offline/intro_gift_for_search", recipient=who, searched=searched)
            if mode is ShopperMode.GIFT and recipient:
                return r("offline/intro_gift_for", recipient=someone(recipient))
            if searched:
                return r(f"offline/intro_search_{mode.value}", searched=searched)
            return r(f"offline/intro_{mode.value}")
        case o.Refined(kept=kept, changed=changed):
            return _refined(kept, changed)
        case o.LooseMatches():
            return r("offline/loose_matches")
        case o.NoMatch(constraints=constraints):
            return r("offline/no_results", constraints=constraints)
        case o.AnswerTaken(item=item, about_me=True):
            return r("offline/answer_for_me", item=item)
        case o.AnswerTaken(item=item, recipient=recipient) if recipient:
            return r("offline/answer_for_someone", item=item, recipient=someone(recipient))
        case o.AnswerTaken(item=item):
            return r("offline/answer_for_someone_unnamed", item=item)
        case o.BoughtForNoted(words=words, count=0):
            return r("offline/bought_for_none", words=words)
        case o.BoughtForNoted(items=items, count=count, recipient=recipient):
            named = wording.titles(items[:NAMED_TITLES], len(items))
            bought = f"{wording.count(count, 'purchase')} ({named})"
            if recipient:
                return r("offline/bought_for", bought=bought, recipient=someone(recipient))
            return r("offline/bought_for_unnamed", bought=bought)
        case o.QuestionExplained(item=item, bought_at=bought_at):
            return r("offline/question_explained", item=item, when=bought_at)
        case o.AnswerDeclined(item=item):
            return r("offline/answer_declined", item=item)
        case o.FactNoted(subject=subject, polarity=polarity, recipient=recipient) if recipient:
            key = "offline/correction_recipient" + (
                "_negative" if polarity < 0 else "" if outcome.shapes_list else "_unmatched"
            )
            return r(key, subject=subject, recipient=someone(recipient))
        case o.FactNoted(subject=subject, polarity=polarity):
            key = "offline/correction_" + (
                "negative" if polarity < 0 else "positive" if outcome.shapes_list else "unmatched"
            )
            return r(key, subject=subject)
        case o.BudgetNoted(amount=amount):
            return r("offline/budget", amount=amount)
        case o.Forgotten(facts=facts):
            return r("offline/forgotten", facts=quoted_list(facts))
        case o.NothingToForget(what=what, facts=[]):
            return r("offline/forget_nothing_empty", what=what or "that")
        case o.NothingToForget(what=what, facts=facts):
            listed = "\n".join(f"- {f}" for f in facts)
            return r("offline/forget_nothing", what=what or "that", facts=listed)
        case o.PersonalizationSet(on=on):
            return r("offline/personalization_on" if on else "offline/personalization_off")
        case o.FeedbackTaken(value=FeedbackValue.UP, whole_set=True):
            return r("offline/feedback_up_set")
        case o.FeedbackTaken(whole_set=True):
            return r("offline/feedback_set")
        case o.FeedbackTaken(value=value):
            return r(f"offline/feedback_{value.value}")
        case o.OwnedNoted(item=item):
            return r("offline/owned_noted", item=item)
        case o.ModeSwitched(mode=mode):
            return r(f"offline/mode_switched_{mode.value}")
        case o.Greeted():
            return r("offline/greeting")
        case o.OrderHistoryShown(query=query, titles=[]):
            if query:
                return r("offline/order_history_none_of", query=query)
            return r("offline/order_history_none")
        case o.OrderHistoryShown(query="", titles=titles, when=when):
            named = wording.titles(titles[:NAMED_TITLES], len(titles))
            return r("offline/order_history_last", when=when, items=named)
        case o.OrderHistoryShown(titles=titles, times=times, when=when):
            named = wording.titles(titles[:NAMED_TITLES], len(titles))
            return r("offline/order_history_of", items=named, times=wording.times(times), when=when)
        case o.BasketElsewhere(item=None):
            return r("offline/basket_elsewhere")
        case o.BasketElsewhere(item=item):
            return r("offline/basket_elsewhere_item", item=item)
        case o.Closing(what="thanks"):
            return r("offline/thanks")
        case o.Closing(what="goodbye"):
            return r("offline/goodbye")
        case o.Closing(what=what):
            return r(f"offline/smalltalk_{what}")
        case o.Escalated(cause=cause, topic=topic):
            return r(f"offline/escalated_{cause.value}" + (f"_{topic}" if topic else ""))
        case o.HandoverCalledOff():
            return r("offline/handover_called_off")
        case o.WithStaff(staff=staff):
            return r("offline/handover_with_staff", staff=staff)
        case o.Explained(
            item=item, price=price, reason=reason, factors=factors, described=described
        ):
            priced = f" ({price})" if price else ""
            intro = r("offline/why_intro", item=item, price=priced).strip()
            if described is not None:
                # A question of fact: what the catalog says is all there is to go on.
                said = "why_fact_described" if described else "why_fact_undescribed"
                known = r(f"offline/{said}", item=item, price=priced, description=described)
                intro = f"{known.strip()} {r('offline/why_fact_intro').strip()}"
            return "\n".join([intro, reason, *factors])
        case o.NothingToExplain():
            return r("offline/why_nothing")
        case o.ProfileShown(lines=lines):
            return "\n".join(lines)
        case o.Exported(path=path):
            return r("offline/data_export", path=path)
        case o.EraseAsked(held=held):
            return r("offline/erase_confirm", what=held)
        case o.Erased(summary=summary):
            return r("offline/erased", what=summary)
        case o.EraseDeclined():
            return r("offline/erase_declined")
        case o.HandoverNote(state="unclaimed", waiting_for=waiting_for):
            return r("offline/handover_unclaimed", age=waiting_for)
        case o.HandoverNote(state=state):
            return r(f"offline/handover_{state}")
        case o.NotUnderstood():
            return r("offline/unclear")
    raise AssertionError(f"no wording for {outcome!r}")  # pragma: no cover


def _refined(kept: list[str], changed: list[str]) -> str:
    """ "Still for your sister, now under £5." — what carried over, then what changed."""
    parts = []
    if kept:
        parts.append("still " + ", ".join(kept))
    if changed:
        parts.append("now " + " and ".join(changed))
    sentence = ", ".join(parts) or "here are some more"
    return prompts.render("offline/refined", summary=sentence[0].upper() + sentence[1:])


def quoted_list(texts: list[str]) -> str:
    """'"a"', '"a" and "b"', '"a", "b" and "c"'."""
    quoted = [f'"{t}"' for t in texts]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
