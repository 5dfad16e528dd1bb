"""Correct or retract one of the shopper's facts, saying why (the reason is audited)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select

from tui.models import Fact


@dataclass(frozen=True)
class FactChange:
    """``text`` None retracts the fact; otherwise it is the corrected wording."""

    fact_id: str
    text: str | None
    reason: str


class FactChangeScreen(ModalScreen[FactChange | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, facts: list[Fact]) -> None:
        super().__init__()
        self.facts = facts

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Correct or retract a fact", classes="title")
            yield Select(
                [(f.text, f.fact_id) for f in self.facts],
                prompt="Which fact?",
                id="fact",
                value=self.facts[0].fact_id if self.facts else Select.NULL,
            )
            yield Input(placeholder="New wording (leave empty to retract)", id="wording")
            yield Input(placeholder="Why (required, kept in the audit trail)", id="reason")
            yield Label("Enter saves · Esc cancels", classes="hint", id="hint")

    def on_mount(self) -> None:
        self.query_one("#wording", Input).focus()

    @on(Input.Submitted, "#wording")
    def _next(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _save(self) -> None:
        fact = self.query_one("#fact", Select).value
        reason = self.query_one("#reason", Input).value.strip()
        hint = self.query_one("#hint", Label)
        if not isinstance(fact, str):
            hint.update("Choose a fact first.")
            return
        if not reason:
            hint.update("Say why: staff changes need a reason.")
            return
        wording = self.query_one("#wording", Input).value.strip() or None
        self.dismiss(FactChange(fact, wording, reason))
