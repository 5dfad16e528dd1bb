"""The curation screen driven by Pilot against a real ``tactful serve`` on loopback: staff
make a list with two items and a note, see it, edit it and delete it; a list the server
refuses (an unknown item, dates the wrong way round, a name taken) is said in plain words
with what was typed kept. Then how the form is read, and one snapshot of the screen at
120×40 from fixed data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label, TextArea

from tests.tui.conftest import Server
from tests.tui.fake_client import FakeStaffApi
from tests.tui.test_console_live import SIZE, until
from tui.app import ConsoleApp
from tui.client import StaffClient
from tui.models import CuratedItem
from tui.screens.curation import (
    ConfirmDelete,
    CurationScreen,
    FormProblem,
    ListEditScreen,
    format_items,
    parse_items,
    parse_when,
    plain,
)

pytestmark = pytest.mark.anyio


def curation(app: ConsoleApp) -> CurationScreen:
    assert isinstance(app.screen, CurationScreen)
    return app.screen


def form(app: ConsoleApp) -> ListEditScreen:
    assert isinstance(app.screen, ListEditScreen)
    return app.screen


def list_ids(app: ConsoleApp) -> list[str]:
    screen = app.screen
    return [c.list_id for c in screen.lists] if isinstance(screen, CurationScreen) else []


def hint(app: ConsoleApp) -> str:
    screen = app.screen
    if not isinstance(screen, ListEditScreen):
        return ""
    return str(screen.query_one("#list-hint", Label).render())


async def open_curation(pilot: Pilot[None], app: ConsoleApp) -> CurationScreen:
    await pilot.press("l")
    await until(pilot, lambda: isinstance(app.screen, CurationScreen) and app.screen.loaded)
    return curation(app)


async def open_form(pilot: Pilot[None], app: ConsoleApp, key: str) -> ListEditScreen:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, ListEditScreen))
    return form(app)


async def type_into(pilot: Pilot[None], field: Input | TextArea, *lines: str) -> None:
    """Replace what the field holds with ``lines``, typed key by key."""
    field.focus()
    if isinstance(field, TextArea):
        field.select_all()
    else:
        field.value = ""
    for number, line in enumerate(lines):
        if number:
            await pilot.press("enter")
        await pilot.press(*line)


def stored(server: Server, list_id: str) -> Any:
    response = server.as_shop("GET", f"/v1/curated-lists/{list_id}")
    return response.json() if response.status_code == 200 else response.status_code


async def test_staff_make_a_list_see_it_edit_it_and_delete_it(server: Server) -> None:
    client = StaffClient(server.url, server.staff_key)
    app = ConsoleApp(client)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_curation(pilot, app)

        # 1. A new list with two items, one with a note, aimed at new parents.
        made = await open_form(pilot, app, "n")
        await type_into(pilot, made.query_one("#list-name", Input), "Console picks")
        await type_into(pilot, made.query_one("#list-recipient", Input), "new parents")
        await type_into(
            pilot,
            made.query_one("#list-items-text", TextArea),
            "22728 = our bestseller for new parents",
            "22727",
        )
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "console-picks" in list_ids(app))
        saved = stored(server, "console-picks")
        assert [(i["item_id"], i["note"]) for i in saved["items"]] == [
            ("22728", "our bestseller for new parents"),
            ("22727", None),
        ]
        assert saved["target"]["recipient"] == "new parents"
        assert saved["created_by"] == "staff:Priya"

        # 2. It is listed and chosen, its items shown in order with the note.
        assert screen.selected is not None and screen.selected.list_id == "console-picks"
        shown = str(screen.query_one("#list-items-body").render())
        assert shown.index("22728") < shown.index("our bestseller") < shown.index("22727")

        # 3. Edited: an occasion and a third item; the id and what was not touched stay.
        edited = await open_form(pilot, app, "e")
        assert edited.query_one("#list-name", Input).value == "Console picks"
        await type_into(pilot, edited.query_one("#list-occasion", Input), "christmas")
        items = edited.query_one("#list-items-text", TextArea)
        items.focus()
        items.move_cursor(items.document.end)
        await pilot.press("enter", *"22726 = for the cot")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, CurationScreen))
        await until(pilot, lambda: len(stored(server, "console-picks")["items"]) == 3)
        saved = stored(server, "console-picks")
        assert saved["name"] == "Console picks"
        assert saved["target"] == {
            "mode": None,
            "category": None,
            "recipient": "new parents",
            "occasion": "christmas",
        }
        assert saved["items"][2] == {"item_id": "22726", "note": "for the cot"}
        await until(
            pilot, lambda: "for the cot" in str(screen.query_one("#list-items-body").render())
        )

        # 4. Deleted, after saying yes.
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDelete))
        await pilot.press("y")
        await until(pilot, lambda: "console-picks" not in list_ids(app))
        assert stored(server, "console-picks") == 404

        # 5. Esc goes back to the queue.
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.default_screen)
    await client.aclose()


async def test_a_refused_list_is_said_in_plain_words_and_what_was_typed_stays(
    server: Server,
) -> None:
    client = StaffClient(server.url, server.staff_key)
    app = ConsoleApp(client)
    async with app.run_test(size=SIZE) as pilot:
        await open_curation(pilot, app)
        made = await open_form(pilot, app, "n")
        name = made.query_one("#list-name", Input)
        items = made.query_one("#list-items-text", TextArea)
        await type_into(pilot, name, "Console mistakes")
        await type_into(pilot, items, "22728", "NOPE-404 = not a thing")

        # An item the catalog does not have: named, and the form is as it was typed.
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Not in the catalog" in hint(app))
        assert "NOPE-404" in hint(app)
        assert app.screen is made
        assert name.value == "Console mistakes"
        assert items.text == "22728\nNOPE-404 = not a thing"
        assert stored(server, "console-mistakes") == 404

        # Dates the wrong way round, in the form's own words.
        await type_into(pilot, items, "22728")
        await type_into(pilot, made.query_one("#list-from", Input), "2011-12-24")
        await type_into(pilot, made.query_one("#list-until", Input), "2011-12-01")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "'shown until' must come after 'shown from'" in hint(app))
        assert made.query_one("#list-from", Input).value == "2011-12-24"

        # A date that is not one is caught before it is sent.
        await type_into(pilot, made.query_one("#list-until", Input), "next week")
        await pilot.press("enter")
        await until(pilot, lambda: "'next week' is not a date" in hint(app))

        # Fixed, it saves; a second list of the same name is refused, saying why.
        await type_into(pilot, made.query_one("#list-until", Input), "2011-12-31")
        await pilot.press("enter")
        await until(pilot, lambda: "console-mistakes" in list_ids(app))
        again = await open_form(pilot, app, "n")
        await type_into(pilot, again.query_one("#list-name", Input), "Console mistakes")
        await type_into(pilot, again.query_one("#list-items-text", TextArea), "22727")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "exists" in hint(app))
        assert "console-mistakes" in hint(app)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, CurationScreen))
        assert len(stored(server, "console-mistakes")["items"]) == 1
    await client.aclose()
    assert server.as_shop("DELETE", "/v1/curated-lists/console-mistakes").status_code == 204


def test_items_are_read_one_a_line_with_an_optional_note_after_an_equals_sign() -> None:
    typed = "22728 = our bestseller\n\n  22727  \n85123A=a = sign in the note"
    items = [
        CuratedItem(item_id="22728", note="our bestseller"),
        CuratedItem(item_id="22727"),
        CuratedItem(item_id="85123A", note="a = sign in the note"),
    ]
    assert parse_items(typed) == items
    assert parse_items(format_items(items)) == items


def test_an_item_line_that_is_not_one_id_says_which_line_to_fix() -> None:
    with pytest.raises(FormProblem, match="Line 2: '22727 nice mug' is not one item id"):
        parse_items("22728\n22727 nice mug")
    with pytest.raises(FormProblem, match="Line 1 has a note but no item id"):
        parse_items("= a note alone")
    with pytest.raises(FormProblem, match="at least one item"):
        parse_items("\n  \n")


def test_dates_are_read_as_utc_and_an_empty_one_is_no_limit() -> None:
    assert parse_when("2011-12-24", "Shown from") == datetime(2011, 12, 24)
    assert parse_when("2011-12-24 18:00+01:00", "Shown from") == datetime(2011, 12, 24, 17, 0)
    assert parse_when("  ", "Shown from") is None


def test_the_servers_field_names_become_the_forms_own_words() -> None:
    assert (
        plain("body: Value error, valid_until must come after valid_from")
        == "'shown until' must come after 'shown from'."
    )
    assert (
        plain("items.2.note: String should have at most 200 characters; name: Field required")
        == "Item 3's note: String should have at most 200 characters; Name: Field required."
    )
    assert plain("Not in the catalog: 'NOPE-404'.") == "Not in the catalog: 'NOPE-404'."


async def show_curation(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, ConsoleApp)
    while not app.entries:
        await pilot.pause()
    await pilot.press("l")
    while not (isinstance(app.screen, CurationScreen) and app.screen.loaded):
        await pilot.pause()
    while "Verdict" not in str(app.screen.query_one("#experiment").render()):
        await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def test_the_curation_screen_shows_lists_the_chosen_lists_items_and_the_experiment(
    snap_compare: Any,
) -> None:
    assert snap_compare(
        ConsoleApp(FakeStaffApi()), terminal_size=(120, 40), run_before=show_curation
    )
