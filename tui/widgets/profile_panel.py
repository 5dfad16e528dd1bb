"""The side panel: what tactful holds about the shopper (each fact with its source,
confidence and age), the reasons behind the suggestions shown last, held events and
the audit trail of what anyone changed."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui import wording
from tui.models import AuditRecord, Profile, ShownSuggestions

MAX_SUGGESTIONS = 3
MAX_AUDIT = 8


class ProfilePanel(VerticalScroll):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Profile"

    def compose(self) -> ComposeResult:
        yield Static(id="profile-body")

    def clear(self) -> None:
        self.border_title = "Profile"
        self.query_one("#profile-body", Static).update("")

    def show(
        self,
        profile: Profile,
        shown: list[ShownSuggestions],
        audit: list[AuditRecord],
        now: datetime | None,
    ) -> None:
        self.border_title = f"Profile · {profile.shopper.shopper_id}"
        text = Text()
        if not profile.shopper.personalized:
            text.append("Personalization is off.\n\n", style="italic")
        text.append("Facts\n", style="bold underline")
        facts = [f for f in profile.facts if f.active]
        if not facts:
            text.append("none\n", style="dim")
        for number, fact in enumerate(facts, 1):
            text.append(f"{number}. {fact.text}\n")
            seen = wording.age(fact.reinforced_at, now)
            text.append(f"   {fact.source} · {fact.confidence:.0%} · {seen}\n", style="dim")
        if profile.held:
            text.append("\nHeld, awaiting an answer\n", style="bold underline")
            for held in profile.held:
                text.append(f"• {held.item_title} ({held.status})\n")
        text.append("\nLast suggestions\n", style="bold underline")
        latest = shown[0].suggestions[:MAX_SUGGESTIONS] if shown else []
        if not latest:
            text.append("none in this conversation\n", style="dim")
        for suggestion in latest:
            text.append(f"• {suggestion.item.title}\n")
            text.append(f"  {suggestion.reason}\n", style="italic")
            factors = ", ".join(
                f"{f.name} {f.contribution:+.2f}" for f in suggestion.factors if f.contribution
            )
            if factors:
                text.append(f"  {factors}\n", style="dim")
        text.append("\nAudit\n", style="bold underline")
        if not audit:
            text.append("nothing changed yet\n", style="dim")
        for row in audit[-MAX_AUDIT:][::-1]:
            text.append(f"{row.at:%m-%d %H:%M} {row.actor}\n", style="dim")
            line = f"  {row.action}"
            if why := row.detail.get("why"):
                line += f": {why}"
            text.append(line + "\n")
        self.query_one("#profile-body", Static).update(text)
