"""The queue of open hand-overs, oldest first, with cause and waiting time."""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui import wording
from tui.models import QueueEntry


class QueueList(OptionList):
    """One option per open hand-over. Waiting times count on between server updates."""

    @dataclass
    class Opened(Message):
        """Staff chose a hand-over to work on."""

        escalation_id: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[QueueEntry] = []
        self._received = time.monotonic()
        self.border_title = "Queue"

    def on_mount(self) -> None:
        self.set_interval(1.0, self._redraw)

    def show(self, entries: list[QueueEntry]) -> None:
        """Replace the list, keeping the highlight on the same hand-over if it is still open."""
        keep = self._highlighted_id()
        self.entries = entries
        self._received = time.monotonic()
        self._redraw()
        ids = [e.escalation.escalation_id for e in entries]
        if keep in ids:
            self.highlighted = ids.index(keep)
        elif entries:
            self.highlighted = 0
        self.border_title = f"Queue ({len(entries)})"

    def _highlighted_id(self) -> str | None:
        if self.highlighted is None or self.highlighted >= len(self.entries):
            return None
        return self.entries[self.highlighted].escalation.escalation_id

    def _redraw(self) -> None:
        highlighted = self.highlighted
        since = time.monotonic() - self._received
        self.clear_options()
        self.add_options(
            [Option(self._prompt(e, since), id=e.escalation.escalation_id) for e in self.entries]
        )
        if highlighted is not None and highlighted < len(self.entries):
            self.highlighted = highlighted

    @staticmethod
    def _prompt(entry: QueueEntry, since: float) -> Text:
        escalation = entry.escalation
        mark = "●" if escalation.status == "waiting" else "◐"
        text = Text()
        text.append(f"{mark} {escalation.shopper_id}", style="bold")
        text.append(f"  {wording.duration(entry.waiting_seconds + since)}\n", style="dim")
        text.append(f"  {wording.cause(escalation.cause)}")
        if escalation.status != "waiting":
            text.append(f"\n  {wording.status(escalation.status)}", style="italic")
            if escalation.staff:
                text.append(f": {escalation.staff}", style="italic")
        return text

    @on(OptionList.OptionSelected)
    def _opened(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Opened(event.option.id))
