"""Staff's curated lists: every list with its targets and dates, the chosen list's items in
order with their notes, and the running experiment's verdict above them. Staff make a list,
edit it or delete it here.

The server checks what staff type; when it refuses (an item the catalog does not have, a
name already taken, dates the wrong way round) the dialog says why in plain words and
keeps everything typed, so nothing has to be typed again.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Header, Input, Label, Select, Static, TextArea

from tui.client import ConsoleError, Gone, StaffApi
from tui.models import CuratedItem, CuratedList, CuratedListDraft, ListTarget

#: The shopping modes a list can be aimed at, as the server names them.
MODES = ["browsing", "research", "purchase", "gift"]
#: How the server names a draft's fields, and what the form calls them.
FIELD_LABELS = {
    "name": "Name",
    "items": "Items",
    "target.mode": "Mode",
    "target.category": "Category",
    "target.recipient": "For",
    "target.occasion": "Occasion",
    "valid_from": "Shown from",
    "valid_until": "Shown until",
}
_ITEM_FIELD = re.compile(r"items\.(\d+)\.(item_id|note)")


class FormProblem(ValueError):
    """Something typed that cannot be sent as it is; the message says how to fix it."""


# -- reading the form -------------------------------------------------------------------
def parse_items(text: str) -> list[CuratedItem]:
    """The items typed one a line, in order: ``item_id`` or ``item_id = note``."""
    items = []
    for number, line in enumerate(text.splitlines(), 1):
        item_id, _, note = (part.strip() for part in line.partition("="))
        if not item_id and not note:
            continue
        if not item_id:
            raise FormProblem(f"Line {number} has a note but no item id before the '='.")
        if len(item_id.split()) > 1:
            raise FormProblem(
                f"Line {number}: {item_id!r} is not one item id. Put one item a line, "
                "and an '=' before its note."
            )
        items.append(CuratedItem(item_id=item_id, note=note or None))
    if not items:
        raise FormProblem("Add at least one item: one item id a line.")
    return items


def format_items(items: list[CuratedItem]) -> str:
    """The items as the form shows them: the reverse of :func:`parse_items`."""
    return "\n".join(f"{i.item_id} = {i.note}" if i.note else i.item_id for i in items)


def parse_when(text: str, label: str) -> datetime | None:
    """A date, or a date and time, in UTC; empty means no limit."""
    text = text.strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise FormProblem(
            f"{label}: {text!r} is not a date. Write it as 2011-12-24, "
            "or with a time as 2011-12-24 18:00 (UTC)."
        ) from None
    # The server keeps times in UTC without a zone.
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def format_when(value: datetime | None) -> str:
    """A date as the form and the table show it: the time only when it is not midnight."""
    if value is None:
        return ""
    return f"{value:%Y-%m-%d %H:%M}" if value.time() != datetime.min.time() else f"{value:%Y-%m-%d}"


def plain(message: str) -> str:
    """The server's refusal with the form's names for its fields: ``valid_until`` is
    "Shown until", ``items.2.note`` is "Item 3's note"."""
    said = []
    for part in message.split("; "):
        field, colon, problem = part.partition(": ")
        problem = problem.removeprefix("Value error, ")
        for name in ("valid_from", "valid_until"):
            problem = problem.replace(name, f"'{FIELD_LABELS[name].lower()}'")
        if not colon:
            said.append(part)
        elif field == "body":
            said.append(problem[:1].upper() + problem[1:])
        elif found := _ITEM_FIELD.fullmatch(field):
            what = "id" if found[2] == "item_id" else "note"
            said.append(f"Item {int(found[1]) + 1}'s {what}: {problem}")
        elif field in FIELD_LABELS:
            said.append(f"{FIELD_LABELS[field]}: {problem}")
        else:
            said.append(part)
    text = "; ".join(said)
    return text if text.endswith(".") else text + "."


# -- how a list reads -----------------------------------------------------------------
def targets(target: ListTarget) -> str:
    """Where a list applies, e.g. ``gift · kitchen · for mum · christmas``."""
    parts = [target.mode, target.category]
    parts.append(f"for {target.recipient}" if target.recipient else None)
    parts.append(target.occasion)
    return " · ".join(p for p in parts if p) or "any request"


def validity(curated: CuratedList) -> str:
    """When a list is shown: always, from a date, until one, or between two."""
    start, end = format_when(curated.valid_from), format_when(curated.valid_until)
    if start and end:
        return f"{start} to {end}"
    if start:
        return f"from {start}"
    if end:
        return f"until {end}"
    return "always"


def describe(curated: CuratedList) -> Text:
    """The list's items in order, each with its note, under who made it and when."""
    text = Text()
    text.append(curated.name, style="bold")
    text.append(f"  ({curated.list_id})\n", style="dim")
    text.append(f"aimed at {targets(curated.target)} · shown {validity(curated)}\n", style="dim")
    changed = f"{curated.updated_at:%Y-%m-%d %H:%M}"
    text.append(f"made by {curated.created_by} · changed {changed} UTC\n\n", style="dim")
    width = len(str(len(curated.items)))
    for number, item in enumerate(curated.items, 1):
        text.append(f"{number:>{width}}. ")
        text.append(item.item_id, style="bold")
        text.append("\n")
        if item.note:
            text.append(f"{' ' * (width + 2)}{item.note}\n", style="italic")
    return text


# -- the dialogs ------------------------------------------------------------------------
class ListEditScreen(ModalScreen[CuratedList | None]):
    """Make a list, or edit ``existing``; returns the list as the server saved it, or None
    when cancelled. It saves by itself, so a refusal is shown here with the form intact."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel"),
        # A priority binding, or the items box would take the key as typing.
        Binding("ctrl+s", "save", "Save", priority=True),
    ]

    def __init__(self, client: StaffApi, existing: CuratedList | None = None) -> None:
        super().__init__()
        self.client = client
        self.existing = existing

    def compose(self) -> ComposeResult:
        old = self.existing
        target = old.target if old is not None else ListTarget()
        title = f"Edit the list {old.list_id}" if old is not None else "New curated list"
        with Vertical(classes="dialog", id="list-form"):
            yield Label(title, classes="title")
            yield Label("Name", classes="field-label")
            yield Input(
                old.name if old is not None else "",
                placeholder="e.g. New parents (a new list's id is made from it)",
                id="list-name",
            )
            with Horizontal(classes="fields"):
                with Vertical(classes="field"):
                    yield Label("Mode", classes="field-label")
                    yield Select(
                        [(mode, mode) for mode in MODES],
                        prompt="any",
                        value=target.mode or Select.NULL,
                        id="list-mode",
                    )
                yield self._field("Category", "list-category", target.category, "e.g. kitchen")
                yield self._field("For", "list-recipient", target.recipient, "e.g. mum, baby")
                yield self._field("Occasion", "list-occasion", target.occasion, "e.g. christmas")
            with Horizontal(classes="fields"):
                yield self._field(
                    "Shown from (UTC)",
                    "list-from",
                    format_when(old.valid_from) if old else None,
                    "now, or 2011-12-01",
                )
                yield self._field(
                    "Shown until (UTC)",
                    "list-until",
                    format_when(old.valid_until) if old else None,
                    "no end, or 2011-12-24 18:00",
                )
            yield Label(
                "Items in order, one a line: item_id  or  item_id = note", classes="field-label"
            )
            yield TextArea(
                format_items(old.items) if old is not None else "",
                id="list-items-text",
                placeholder="22728 = our bestseller for new parents\n22727",
            )
            yield Label(
                "Ctrl+S or Enter in a field saves · Esc cancels", classes="hint", id="list-hint"
            )

    @staticmethod
    def _field(label: str, id: str, value: str | None, placeholder: str) -> Vertical:
        return Vertical(
            Label(label, classes="field-label"),
            Input(value or "", placeholder=placeholder, id=id),
            classes="field",
        )

    def _text(self, id: str) -> str | None:
        return self.query_one(f"#{id}", Input).value.strip() or None

    def draft(self) -> CuratedListDraft:
        """The form as a draft; :class:`FormProblem` when it cannot be read."""
        mode = self.query_one("#list-mode", Select).value
        return CuratedListDraft(
            name=self.query_one("#list-name", Input).value.strip(),
            items=parse_items(self.query_one("#list-items-text", TextArea).text),
            target=ListTarget(
                mode=mode if isinstance(mode, str) else None,
                category=self._text("list-category"),
                recipient=self._text("list-recipient"),
                occasion=self._text("list-occasion"),
            ),
            valid_from=parse_when(self._text("list-from") or "", "Shown from"),
            valid_until=parse_when(self._text("list-until") or "", "Shown until"),
        )

    def problem(self, message: str) -> None:
        """Say why the list was not saved, under the form."""
        hint = self.query_one("#list-hint", Label)
        hint.update(Text(message))
        hint.add_class("error")
        # On a short terminal the form scrolls; the reason must not be out of sight.
        hint.scroll_visible()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if not self.query_one("#list-name", Input).value.strip():
            self.problem("Give the list a name.")
            return
        try:
            draft = self.draft()
        except FormProblem as problem:
            self.problem(str(problem))
            return
        self.save(draft)

    @work(exclusive=True, group="save")
    async def save(self, draft: CuratedListDraft) -> None:
        hint = self.query_one("#list-hint", Label)
        hint.update("Saving…")
        hint.remove_class("error")
        try:
            if self.existing is None:
                saved = await self.client.create_list(draft)
            else:
                saved = await self.client.replace_list(self.existing.list_id, draft)
        except ConsoleError as error:
            self.problem(f"Not saved. {plain(error.message)}")
            return
        self.dismiss(saved)


class ConfirmDelete(ModalScreen[bool]):
    """Asks before a list is deleted; True deletes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "dismiss(True)", "Delete"),
        Binding("n,escape", "dismiss(False)", "Keep it"),
    ]

    def __init__(self, curated: CuratedList) -> None:
        super().__init__()
        self.curated = curated

    def compose(self) -> ComposeResult:
        count = len(self.curated.items)
        with Vertical(classes="dialog"):
            yield Label(f"Delete the list {self.curated.list_id}?", classes="title")
            yield Static(
                Text(
                    f"“{self.curated.name}”, {count} item{'s' if count != 1 else ''}. "
                    "Shoppers stop being shown it at once; this cannot be undone."
                )
            )
            yield Label("y deletes · n or Esc keeps it", classes="hint")


# -- the screen -----------------------------------------------------------------------
class CurationScreen(ModalScreen[None]):
    """The curated lists and the chosen list's items. A modal screen, so the queue's keys
    (claim, reply…) do nothing here; Esc goes back to the queue."""

    TITLE = "Curated lists"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New list", id="curation.new"),
        Binding("e", "edit", "Edit", id="curation.edit"),
        Binding("d", "delete", "Delete", id="curation.delete"),
        Binding("ctrl+r", "reload", "Reload", id="curation.reload"),
        Binding("escape", "dismiss(None)", "Back to queue", id="curation.back"),
    ]
    #: What the command palette offers on this screen: (action, title, help).
    COMMAND_ACTIONS: ClassVar[list[tuple[str, str, str]]] = [
        ("new", "New list", "Make a curated list: items in order, targets, dates"),
        ("edit", "Edit list", "Change the chosen list's name, targets, dates or items"),
        ("delete", "Delete list", "Delete the chosen list, after asking"),
        ("reload", "Reload lists", "Read the lists and the experiment from the server again"),
    ]

    def __init__(self, client: StaffApi) -> None:
        super().__init__()
        self.client = client
        self.lists: list[CuratedList] = []
        #: False until the server's lists have been read once.
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Experiment: reading…", id="experiment")
        with Vertical(id="curation"):
            yield DataTable(id="lists", cursor_type="row")
            with VerticalScroll(id="list-items"):
                yield Static(id="list-items-body")
        yield Static(id="curation-message")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#lists", DataTable)
        table.add_columns("id", "name", "items", "aimed at", "shown")
        table.border_title = "Curated lists"
        self.query_one("#list-items", VerticalScroll).border_title = "Items"
        table.focus()
        self.action_reload()

    @property
    def selected(self) -> CuratedList | None:
        """The list under the table's cursor."""
        row = self.query_one("#lists", DataTable).cursor_row
        return self.lists[row] if 0 <= row < len(self.lists) else None

    def say(self, message: str, *, error: bool = False) -> None:
        """A line under the table: what was done, or why not."""
        line = self.query_one("#curation-message", Static)
        line.update(Text(message))
        line.set_class(error, "error")

    # -- reading ---------------------------------------------------------------------
    def action_reload(self) -> None:
        self.load_lists()
        self.load_experiment()

    @work(exclusive=True, group="lists")
    async def load_lists(self, choose: str | None = None) -> None:
        """Read the lists; keep the cursor on ``choose``, or on the list it was on."""
        keep = choose or (chosen.list_id if (chosen := self.selected) is not None else None)
        try:
            lists = await self.client.curated_lists()
        except ConsoleError as error:
            self.say(f"Cannot read the lists. {error.message}", error=True)
            return
        table = self.query_one("#lists", DataTable)
        row = table.cursor_row
        self.lists = lists
        table.clear()
        for curated in lists:
            table.add_row(
                Text(curated.list_id),
                Text(curated.name),
                Text(str(len(curated.items)), justify="right"),
                Text(targets(curated.target)),
                Text(validity(curated)),
                key=curated.list_id,
            )
        ids = [c.list_id for c in lists]
        if ids:
            # A deleted list's place goes to the list after it, not back to the top.
            table.move_cursor(row=ids.index(keep) if keep in ids else min(row, len(ids) - 1))
        self.show_items()
        self.loaded = True

    @on(DataTable.RowHighlighted, "#lists")
    def _highlighted(self) -> None:
        self.show_items()

    def show_items(self) -> None:
        body = self.query_one("#list-items-body", Static)
        panel = self.query_one("#list-items", VerticalScroll)
        chosen = self.selected
        if chosen is None:
            panel.border_title = "Items"
            body.update(Text("No curated lists yet. Press n to make one.", style="dim"))
            return
        panel.border_title = f"Items · {chosen.list_id}"
        body.update(describe(chosen))

    @work(exclusive=True, group="experiment")
    async def load_experiment(self) -> None:
        """The running experiment's key, shoppers per arm and verdict, in one line."""
        line = self.query_one("#experiment", Static)
        try:
            running = [e for e in await self.client.experiments() if e.status == "running"]
            if not running:
                line.update(
                    Text("No experiment is running, so shoppers are not shown these lists.")
                )
                return
            experiment = running[0]
            report = await self.client.experiment_report(experiment.key)
        except ConsoleError as error:
            line.update(Text(f"Experiment: cannot read it. {error.message}"))
            return
        text = Text()
        text.append(f"Experiment {experiment.key}", style="bold")
        arms = ", ".join(f"{arm} {n}" for arm, n in report.shoppers.items())
        text.append(f" · running · control {experiment.control} · shoppers: {arms}\n")
        text.append("Verdict: ", style="bold")
        text.append(report.verdict)
        line.update(text)

    # -- changing ----------------------------------------------------------------------
    def action_new(self) -> None:
        self.edit(None)

    def action_edit(self) -> None:
        chosen = self.selected
        if chosen is None:
            self.say("There is no list to edit yet: press n to make one.", error=True)
            return
        self.edit(chosen)

    @work(group="curation-edit")
    async def edit(self, existing: CuratedList | None) -> None:
        saved = await self.app.push_screen_wait(ListEditScreen(self.client, existing))
        if saved is None:
            return
        count = len(saved.items)
        verb = "Made" if existing is None else "Saved"
        self.say(f"{verb} the list {saved.list_id}: {count} item{'s' if count != 1 else ''}.")
        self.load_lists(choose=saved.list_id)

    @work(group="curation-delete")
    async def action_delete(self) -> None:
        chosen = self.selected
        if chosen is None:
            self.say("There is no list to delete.", error=True)
            return
        if not await self.app.push_screen_wait(ConfirmDelete(chosen)):
            return
        try:
            await self.client.delete_list(chosen.list_id)
        except Gone:
            self.say(f"The list {chosen.list_id} had already been deleted.")
        except ConsoleError as error:
            self.say(f"Not deleted. {error.message}", error=True)
            return
        else:
            self.say(f"Deleted the list {chosen.list_id}.")
        self.load_lists()
