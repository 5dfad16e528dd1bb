"""Small talk is a whole message that asks for nothing; anything more is left to the reader."""

from __future__ import annotations

import pytest

from agent.brain.offline.small_talk import small_talk

CASES = [
    ("thanks, bye", "goodbye"),
    ("Bye!", "goodbye"),
    ("byeeee", "goodbye"),
    ("see you later", "goodbye"),
    ("cya", "goodbye"),
    ("ttyl", "goodbye"),
    ("gotta go, thanks!", "goodbye"),
    ("that's all for now", "goodbye"),
    ("cheers, that is all", "goodbye"),
    ("Good night 👋", "goodbye"),
    ("thank you so much, goodbye", "goodbye"),
    ("ok lol bye", "goodbye"),
    ("lol", "laughter"),
    ("LMAOOO", "laughter"),
    ("hahaha", "laughter"),
    ("hehe", "laughter"),
    ("😂😂", "laughter"),
    ("haha nice", "laughter"),
    ("ok cool", "acknowledgement"),
    ("k", "acknowledgement"),
    ("Hmmm...", "acknowledgement"),
    ("fair enough", "acknowledgement"),
    ("interesting", "acknowledgement"),
    ("got it, thanks", "acknowledgement"),
    ("wow 👍", "acknowledgement"),
    ("oh well", "acknowledgement"),
    ("nvm", "acknowledgement"),
    # Asks for something, or is something else the reader knows.
    ("ok, now show me lamps", None),
    ("cool lamps", None),
    ("bye bye bunting", None),
    ("thanks", None),
    ("thank you", None),
    ("see you later alligator", None),
    ("lol these are terrible", None),
    ("later this week I need a gift", None),
    ("is that all you have?", None),
    ("", None),
    ("   ", None),
]


@pytest.mark.parametrize(("text", "kind"), CASES)
def test_small_talk_is_read_only_when_the_whole_message_is_small_talk(
    text: str, kind: str | None
) -> None:
    assert small_talk(text) == kind
