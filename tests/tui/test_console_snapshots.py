"""The console's screens at 80×24 and 120×40, from fixed data: the queue, the open
conversation, and the profile panel beside it."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.fake_client import FakeStaffApi
from tui.app import ConsoleApp
from tui.widgets.profile_panel import ProfilePanel

SIZES = [(80, 24), (120, 40)]


async def settle(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, ConsoleApp)
    while not app.entries:
        await pilot.pause()
    await pilot.pause()


async def open_first(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("enter")
    app = pilot.app
    assert isinstance(app, ConsoleApp)
    while app.profile is None:
        await pilot.pause()
    # The conversation scrolls to its end as it fills: under load the scroll could still
    # be under way when the screen was taken.
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def open_profile(pilot: Pilot[None]) -> None:
    await open_first(pilot)
    pilot.app.query_one(ProfilePanel).focus()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_queue(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(ConsoleApp(FakeStaffApi()), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_conversation_view(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(ConsoleApp(FakeStaffApi()), terminal_size=size, run_before=open_first)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_profile_panel(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(ConsoleApp(FakeStaffApi()), terminal_size=size, run_before=open_profile)
