"""``ConsoleApp``: the support console. It takes its server client by injection
(:class:`tui.client.StaffApi`), so tests hand it a client of their own.

Network calls run in workers and post their results back to the widgets; every failure
is a toast, never a crash. The live queue reconnects by itself when the server goes away.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import ClassVar

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from tui import wording
from tui.client import ConsoleError, Gone, StaffApi, TokenRefused
from tui.models import AuditRecord, EscalationDetail, Profile, QueueEntry, ShopperMatch
from tui.screens.curation import CurationScreen
from tui.screens.fact_change import FactChange, FactChangeScreen
from tui.screens.note import NoteScreen
from tui.screens.search import SearchScreen
from tui.widgets.profile_panel import ProfilePanel
from tui.widgets.queue import QueueList
from tui.widgets.transcript import Transcript

#: Longest pause between attempts to reach the server again.
MAX_RETRY_SECONDS = 10.0

ACTIONS = [
    ("claim", "Claim", "Take the open hand-over; the agent goes quiet in it"),
    ("reply", "Reply", "Write to the shopper in their conversation"),
    ("correct_fact", "Correct fact", "Correct or retract a fact about the shopper, with a reason"),
    ("hand_back", "Hand back", "Give the conversation back to the agent"),
    ("resolve", "Resolve", "Close the hand-over with a note"),
    ("search", "Search", "Find a shopper by id"),
    ("curation", "Curated lists", "See, make, edit and delete staff's curated lists"),
]


class ConsoleApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "tactful console"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "claim", "Claim", id="claim"),
        Binding("r", "reply", "Reply", id="reply"),
        Binding("f", "correct_fact", "Fix fact", id="correct_fact"),
        Binding("b", "hand_back", "Hand back", id="hand_back"),
        Binding("x", "resolve", "Resolve", id="resolve"),
        Binding("slash", "search", "Search", id="search"),
        # Not in the footer, already full at 80 columns; the command palette offers it.
        Binding("l", "curation", "Lists", id="curation", show=False),
        Binding("escape", "focus_queue", "Queue", show=False),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(self, client: StaffApi, *, live: bool = True) -> None:
        super().__init__()
        self.client = client
        self.live = live
        self.entries: list[QueueEntry] = []
        self.known: set[str] | None = None
        self.open_id: str | None = None
        self.detail: EscalationDetail | None = None
        self.profile: Profile | None = None
        self.audit: list[AuditRecord] = []
        self.connection = "connecting"

    # -- layout ----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield QueueList(id="queue")
            with Vertical(id="conversation"):
                yield Transcript(id="transcript")
                yield Input(placeholder="Reply to the shopper (r), Enter sends", id="reply")
            yield ProfilePanel(id="profile")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.client.url
        self.query_one(Transcript).say("Choose a hand-over from the queue (Enter).")
        self.set_status("connecting…")
        self.query_one(QueueList).focus()
        if self.live:
            self.watch_queue()

    def set_status(self, text: str) -> None:
        self.connection = text
        self.query_one("#status", Static).update(f" {self.client.url} · {text}")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        # Each screen's own actions only: the queue's would act on a screen out of sight.
        if isinstance(screen, CurationScreen):
            for action, title, help_text in screen.COMMAND_ACTIONS:
                yield SystemCommand(title, help_text, self._runner(action, screen))
        elif screen is self.default_screen:
            for action, title, help_text in ACTIONS:
                yield SystemCommand(title, help_text, self._runner(action))

    def _runner(self, action: str, screen: Screen | None = None) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            await self.run_action(action, screen)

        return run

    # -- the live queue -------------------------------------------------------------------
    @work(exclusive=True, group="queue")
    async def watch_queue(self) -> None:
        """Follow the queue; when the server goes away, say so once and keep trying."""
        delay, lost = 1.0, False
        while True:
            try:
                async for entries in self.client.queue_events():
                    if lost:
                        self.notify("Reconnected; the queue is live again.", title="Back online")
                        lost = False
                    delay = 1.0
                    self.set_status("live")
                    self.show_queue(entries)
            except TokenRefused as error:
                self.toast(error)
                self.set_status("staff token refused; restart with a new one")
                return
            except ConsoleError as error:
                if not lost:
                    self.notify(
                        f"{error.message} Reconnecting automatically…",
                        title=error.title,
                        severity="error",
                        timeout=8,
                    )
                    lost = True
                self.set_status(f"unreachable; retrying in {delay:.0f}s")
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_SECONDS)

    def show_queue(self, entries: list[QueueEntry]) -> None:
        ids = {e.escalation.escalation_id for e in entries}
        if self.known is not None:
            for entry in entries:
                if entry.escalation.escalation_id not in self.known:
                    escalation = entry.escalation
                    self.notify(
                        f"{escalation.shopper_id}: {wording.cause(escalation.cause)}",
                        title="New escalation",
                    )
                    self.bell()
        self.known = ids
        previous = {e.escalation.escalation_id: e for e in self.entries}
        self.entries = entries
        self.query_one(QueueList).show(entries)
        if self.open_id is None:
            return
        now = next((e for e in entries if e.escalation.escalation_id == self.open_id), None)
        before = previous.get(self.open_id)
        changed = now is None or before is None
        if now is not None and before is not None:
            changed = (now.turns, now.escalation.status) != (before.turns, before.escalation.status)
        if changed:
            self.load_open()

    # -- the open hand-over ------------------------------------------------------------------
    @on(QueueList.Opened)
    def _open(self, event: QueueList.Opened) -> None:
        self.open_id = event.escalation_id
        self.load_open()

    @work(exclusive=True, group="open")
    async def load_open(self) -> None:
        if self.open_id is None:
            return
        try:
            detail = await self.client.escalation(self.open_id)
            shopper = detail.escalation.shopper_id
            profile = await self.client.profile(shopper)
            audit = await self.client.audit(shopper)
        except Gone as error:
            await self.lost_open(error)
            return
        except ConsoleError as error:
            self.toast(error)
            return
        self.detail, self.profile, self.audit = detail, profile, audit
        self.query_one(Transcript).show(detail)
        self.query_one(ProfilePanel).show(profile, detail.suggestions, audit, detail.now)

    async def lost_open(self, error: Gone) -> None:
        """The hand-over went while open: say whether the shopper was erased."""
        erased = False
        if self.detail is not None:
            try:
                await self.client.profile(self.detail.escalation.shopper_id)
            except Gone:
                erased = True
            except ConsoleError:
                pass
        message = (
            "This shopper's data has been erased; the conversation and profile are gone."
            if erased
            else f"This hand-over is no longer on the server. {error.message}"
        )
        self.open_id, self.detail, self.profile, self.audit = None, None, None, []
        self.query_one(Transcript).say(message)
        self.query_one(ProfilePanel).clear()
        self.notify(message, title="No longer there", severity="warning", timeout=8)

    def show_shopper(self, match: ShopperMatch) -> None:
        if match.open_escalations:
            self.open_id = match.open_escalations[-1].escalation_id
            self.load_open()
            return
        self.open_id, self.detail = None, None
        self.query_one(Transcript).say(f"{match.shopper_id} has no open hand-over.")
        self.load_profile_only(match.shopper_id, match.now)

    @work(exclusive=True, group="open")
    async def load_profile_only(self, shopper_id: str, now: datetime) -> None:
        try:
            profile = await self.client.profile(shopper_id)
            audit = await self.client.audit(shopper_id)
        except ConsoleError as error:
            self.toast(error)
            return
        self.profile, self.audit = profile, audit
        self.query_one(ProfilePanel).show(profile, [], audit, now)

    # -- actions -------------------------------------------------------------------------
    def toast(self, error: ConsoleError) -> None:
        self.notify(error.message, title=error.title, severity="error", timeout=8)

    def _need_open(self) -> str | None:
        if self.detail is None or self.open_id is None:
            self.notify("Open a hand-over from the queue first.", severity="warning")
            return None
        return self.open_id

    async def _act(self, call: Awaitable[object], done: str) -> bool:
        try:
            await call
        except Gone as error:
            await self.lost_open(error)
            return False
        except ConsoleError as error:
            self.toast(error)
            return False
        self.notify(done)
        self.load_open()
        return True

    @work(group="action")
    async def action_claim(self) -> None:
        if (escalation_id := self._need_open()) is not None:
            await self._act(self.client.claim(escalation_id), "Claimed: the agent is quiet now.")

    def action_reply(self) -> None:
        self.query_one("#reply", Input).focus()

    def action_focus_queue(self) -> None:
        self.query_one(QueueList).focus()

    @on(Input.Submitted, "#reply")
    def _send(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.send_reply(event.value.strip())

    @work(group="action")
    async def send_reply(self, text: str) -> None:
        if (escalation_id := self._need_open()) is None:
            return
        box = self.query_one("#reply", Input)
        # The text stays in the box until the server has it: nothing typed is lost.
        if await self._act(self.client.reply(escalation_id, text), "Reply sent."):
            box.value = ""

    @work(group="action")
    async def action_correct_fact(self) -> None:
        if self._need_open() is None or self.profile is None:
            return
        facts = [f for f in self.profile.facts if f.active]
        if not facts:
            self.notify("This shopper has no facts to correct.", severity="warning")
            return
        change = await self.push_screen_wait(FactChangeScreen(facts))
        if change is not None:
            await self.apply_fact_change(self.profile.shopper.shopper_id, change)

    async def apply_fact_change(self, shopper_id: str, change: FactChange) -> None:
        if change.text is None:
            call = self.client.retract_fact(shopper_id, change.fact_id, change.reason)
            await self._act(call, "Fact retracted; the next answer leaves it out.")
        else:
            call = self.client.correct_fact(shopper_id, change.fact_id, change.text, change.reason)
            await self._act(call, "Fact corrected.")

    @work(group="action")
    async def action_hand_back(self) -> None:
        if (escalation_id := self._need_open()) is not None:
            await self._act(
                self.client.hand_back(escalation_id), "Handed back: the agent answers again."
            )

    @work(group="action")
    async def action_resolve(self) -> None:
        if (escalation_id := self._need_open()) is None:
            return
        note = await self.push_screen_wait(
            NoteScreen("Resolve this hand-over", "How was it resolved? (for the audit trail)")
        )
        if note is not None:
            await self._act(self.client.resolve(escalation_id, note or None), "Resolved.")

    def action_curation(self) -> None:
        """Open the curated lists over the queue; Esc comes back to it."""
        self.push_screen(CurationScreen(self.client))

    @work(group="action")
    async def action_search(self) -> None:
        match = await self.push_screen_wait(SearchScreen(self.client))
        if match is not None:
            self.show_shopper(match)
