"""Positions: which of the shown suggestions a message points at, and when it points at none."""

from __future__ import annotations

import pytest

from agent.brain.offline.positions import parse_position

# (message, suggestions shown, position)
CASES: list[tuple[str, int, int | None]] = [
    ("the 3rd", 5, 3),
    ("number two", 5, 2),
    ("#2", 5, 2),
    ("no. 4", 5, 4),
    ("why no 3", 10, 3),
    ("no, 3 is fine", 10, None),
    ("no two are alike", 10, None),
    ("the second one", 5, 2),
    ("that last one", 5, 5),
    ("that last one", 3, 3),
    ("the first", 5, 1),
    ("the top one", 5, 1),
    ("the one before last", 5, 4),
    ("2nd from the end", 5, 4),
    ("third from last", 6, 4),
    ("second to last", 5, 4),
    ("last but one", 5, 4),
    ("penultimate", 5, 4),
    ("the bottom one", 5, 5),
    ("the final one pls", 4, 4),
    ("Loved the 2nd!", 5, 2),
    ("I like the third 👍", 5, 3),
    ("3️⃣", 5, 3),
    ("option 3 looks great", 5, 3),
    ("item 1", 5, 1),
    ("suggestion #4 is lovely", 5, 4),
    ("NUMBER ONE", 5, 1),
    ("the FIRST ONE", 5, 1),
    ("the fifth, definitely", 5, 5),
    ("the middle one", 5, 3),
    ("2", 5, 2),
    ("two please", 5, 2),
    ("the 4th one is nice but pricey", 5, 4),
    ("what about the second?", 5, 2),
    ("the first one's colour is nice", 5, 1),
    ("the first and the third", 5, 1),
    # Out of range.
    ("the 7th", 5, None),
    ("#9", 5, None),
    ("number 0", 5, None),
    ("the one before last", 1, None),
    ("the middle one", 4, None),
    ("the last one", 0, None),
    # Not a position at all.
    ("2 for 1", 5, None),
    ("set of 3", 5, None),
    ("under £2", 5, None),
    ("£2", 5, None),
    ("wait a second", 5, None),
    ("a top for my mum", 5, None),
    ("the first time I bought here", 5, None),
    ("the last time I ordered", 5, None),
    ("a third of the price", 5, None),
    ("3 pack of mugs", 5, None),
    ("something for a 5 year old", 5, None),
    ("more like these", 5, None),
    ("", 5, None),
]


@pytest.mark.parametrize(("text", "shown", "position"), CASES)
def test_position_points_at_one_shown_suggestion_or_none(
    text: str, shown: int, position: int | None
) -> None:
    assert parse_position(text, shown) == position
