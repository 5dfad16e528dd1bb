"""The brain seam: whatever reads and words, the conversation decides and stores."""

from __future__ import annotations

import typing
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from agent.brain.base import ReadContext, ShopView, Worded
from agent.brain.intents import Request, Thanks, Understanding
from agent.brain.offline.brain import word
from agent.clock import FixedClock
from agent.conversation import outcome as o
from agent.domain import EscalationCause, FeedbackValue, ShopperMode
from agent.embedding import Embedder
from agent.facade import Tactful
from agent.settings import Settings
from tools.types import Suggestion

SAMPLES: list[o.Outcome] = [
    o.Shown(mode=ShopperMode.BROWSING, personalized=True),
    o.Shown(mode=ShopperMode.GIFT, personalized=True, recipient="sister"),
    o.Shown(mode=ShopperMode.PURCHASE, personalized=False),
    o.Refined(kept=["for your sister"], changed=["under £5"]),
    o.NoMatch(constraints='"unicorns"'),
    o.LooseMatches(),
    o.AnswerTaken(item="Owl Mug", about_me=True),
    o.AnswerTaken(item="Owl Mug", about_me=False, recipient="niece"),
    o.AnswerTaken(item="Owl Mug", about_me=False),
    o.QuestionExplained(item="Owl Mug", bought_at="2 days ago"),
    o.AnswerDeclined(item="Owl Mug"),
    o.FactNoted(subject="cats", polarity=1),
    o.FactNoted(subject="glitter", polarity=-1),
    o.FactNoted(subject="cats", polarity=1, recipient="sister"),
    o.FactNoted(subject="dolls", polarity=-1, recipient="niece"),
    o.BudgetNoted(amount="£30"),
    o.Forgotten(facts=["I like cats", "not into glitter"]),
    o.NothingToForget(what="dogs", facts=[]),
    o.NothingToForget(what="dogs", facts=["I like cats"]),
    o.PersonalizationSet(on=False),
    o.FeedbackTaken(value=FeedbackValue.DOWN),
    o.OwnedNoted(item="Owl Mug"),
    o.ModeSwitched(mode=ShopperMode.RESEARCH),
    o.Greeted(),
    o.BoughtForNoted(words="tea towels", items=["Tea Towel Owl"], count=2, recipient="mum"),
    o.BoughtForNoted(words="tea towels", items=["A", "B", "C", "D"], count=4),
    o.BoughtForNoted(words="tea towels"),
    o.OrderHistoryShown(),
    o.OrderHistoryShown(query="owl mug"),
    o.OrderHistoryShown(titles=["Owl Mug", "Tea Towel Owl"], times=2, when="1 Dec 2011"),
    o.OrderHistoryShown(query="owl mug", titles=["Owl Mug"], times=3, when="1 Dec 2011"),
    o.BasketElsewhere(),
    o.BasketElsewhere(item="Owl Mug"),
    o.Closing(what="thanks"),
    o.Closing(what="goodbye"),
    o.Closing(what="laughter"),
    o.Closing(what="acknowledgement"),
    o.Closing(what="identity"),
    o.Escalated(cause=EscalationCause.SENSITIVE, topic="payment"),
    o.Escalated(cause=EscalationCause.REQUESTED),
    o.HandoverCalledOff(),
    o.WithStaff(staff="Sam"),
    o.Explained(item="Owl Mug", reason="Because you bought mugs.", factors=["- taste: +1.00"]),
    o.Explained(item="Owl Mug", reason="Because.", factors=[], described="Stoneware, 350 ml."),
    o.Explained(item="Owl Mug", reason="Because.", factors=[], described=""),
    o.NothingToExplain(),
    o.ProfileShown(lines=["You told me you like cats."]),
    o.Exported(path="/tmp/export.json"),
    o.EraseAsked(held="1 conversation"),
    o.Erased(summary="1 conversation"),
    o.EraseDeclined(),
    o.NotUnderstood(),
    o.HandoverNote(state="elsewhere"),
    o.HandoverNote(state="still_waiting"),
    o.HandoverNote(state="unclaimed", waiting_for="20 minutes ago"),
]


def test_every_outcome_kind_has_an_offline_wording() -> None:
    members = typing.get_args(typing.get_args(o.Outcome)[0])
    kinds = {m.model_fields["kind"].default for m in members}
    assert kinds == {sample.kind for sample in SAMPLES}
    for sample in SAMPLES:
        assert word(sample).strip(), sample


def test_a_refined_search_says_what_carried_over_and_what_changed() -> None:
    text = word(o.Refined(kept=["for your sister"], changed=["under £5"]))
    assert text.startswith("Still for your sister, now under £5")


@pytest.mark.parametrize(
    ("recipient", "said"),
    [
        ("sister", "your sister"),
        ("nephew, 9", "your 9-year-old nephew"),
        ("baby", "a baby"),
        ("child, 8", "an 8-year-old child"),
        ("children", "the children"),
    ],
)
def test_gifts_for_an_age_band_are_for_nobody_in_particular(recipient: str, said: str) -> None:
    text = word(o.Shown(mode=ShopperMode.GIFT, personalized=True, recipient=recipient))
    assert f"for {said} " in text


class ScriptedBrain:
    """Reads every message as the next scripted meaning; words outcomes by kind."""

    def __init__(self, meanings: list[Understanding]) -> None:
        self.meanings = meanings
        self.contexts: list[ReadContext] = []

    def read(self, message: str, context: ReadContext) -> Understanding:
        self.contexts.append(context)
        return self.meanings.pop(0)

    def word(self, outcome: o.Outcome) -> str:
        return f"<{outcome.kind}>"

    def word_shown(self, outcome: o.Outcome, suggestions: Sequence[Suggestion]) -> Worded:
        return Worded(
            text=self.word(outcome), reasons=[f"<reason {s.item.item_id}>" for s in suggestions]
        )

    def choose(self, message: str, shop: ShopView) -> list[Suggestion] | None:
        return None


@pytest.fixture
def scripted(
    demo_home: Path, clock: FixedClock, embedder: Embedder
) -> Iterator[tuple[Tactful, ScriptedBrain]]:
    brain = ScriptedBrain([Request(query="candles"), Thanks()])
    with Tactful.open(Settings(home=demo_home), clock=clock, embedder=embedder, brain=brain) as t:
        yield t, brain


def test_a_brain_passed_in_reads_each_message_in_context_and_words_the_reply(
    scripted: tuple[Tactful, ScriptedBrain],
) -> None:
    tactful, brain = scripted
    first = tactful.chat("seam-shopper", "anything at all")
    assert first.text.startswith("<shown>")
    assert first.suggestions, "the conversation still ranks: the brain only read and worded"
    assert [s.reason for s in first.suggestions] == [
        f"<reason {s.item.item_id}>" for s in first.suggestions
    ], "each reason shown is the brain's wording of it"
    second = tactful.chat("seam-shopper", "whatever", conversation_id=first.conversation_id)
    assert second.text == "<closing>"
    assert [c.suggestion_count for c in brain.contexts] == [0, len(first.suggestions)]
