"""Find a shopper by the id a customer gives, and open them."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tui.client import ConsoleError, StaffApi
from tui.models import ShopperMatch


class SearchScreen(ModalScreen[ShopperMatch | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, client: StaffApi) -> None:
        super().__init__()
        self.client = client
        self.matches: list[ShopperMatch] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Find a shopper", classes="title")
            yield Input(placeholder="Shopper id, or its start", id="query")
            yield OptionList(id="matches")
            yield Label("Enter searches, then picks · Esc cancels", classes="hint", id="hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _search(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.search(event.value.strip())

    @work(exclusive=True)
    async def search(self, query: str) -> None:
        hint = self.query_one("#hint", Label)
        try:
            self.matches = await self.client.find_shoppers(query)
        except ConsoleError as error:
            hint.update(error.message)
            return
        options = self.query_one("#matches", OptionList)
        options.clear_options()
        options.add_options(
            [
                Option(f"{m.shopper_id}  ({len(m.open_escalations)} open)", id=m.shopper_id)
                for m in self.matches
            ]
        )
        hint.update(f"{len(self.matches)} found" if self.matches else "Nobody with that id.")
        if self.matches:
            options.highlighted = 0
            options.focus()

    @on(OptionList.OptionSelected)
    def _pick(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(next(m for m in self.matches if m.shopper_id == event.option.id))
