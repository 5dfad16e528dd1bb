"""Start the console: ``tactful console --server URL --token STAFF_TOKEN``."""

from __future__ import annotations

from tui.app import ConsoleApp
from tui.client import StaffClient


def run(server: str, token: str) -> None:
    """Run the console until staff quit it."""
    ConsoleApp(StaffClient(server, token)).run()
