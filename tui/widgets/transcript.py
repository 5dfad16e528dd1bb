"""The conversation of the open hand-over: who said what, updating as it grows."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui import wording
from tui.models import EscalationDetail, Turn

SPEAKERS = {"shopper": "Shopper", "agent": "Agent"}


class Transcript(VerticalScroll):
    """Turns as text (never markup: what shoppers type is shown as typed)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Conversation"

    def show(self, detail: EscalationDetail) -> None:
        escalation = detail.escalation
        self.border_title = f"{escalation.shopper_id} · {wording.status(escalation.status)}"
        heading = Text(f"Why: {escalation.detail}", style="bold")
        if escalation.staff:
            heading.append(f"  ·  with {escalation.staff}", style="italic")
        self._fill(
            [Static(heading, classes="heading"), *(self._turn(t) for t in detail.transcript)]
        )
        self.scroll_end(animate=False)

    def say(self, text: str) -> None:
        """A line from the console itself, not from the conversation."""
        self.border_title = "Conversation"
        self._fill([Static(Text(text), classes="notice")])

    def _fill(self, widgets: list[Static]) -> None:
        self.remove_children()
        self.mount_all(widgets)

    @staticmethod
    def _turn(turn: Turn) -> Static:
        who = SPEAKERS.get(turn.role) or f"{turn.staff or 'Staff'} (team)"
        text = Text(f"{who} · {turn.at:%H:%M}\n", style="bold")
        text.append(turn.text)
        return Static(text, classes=f"turn {turn.role}")
