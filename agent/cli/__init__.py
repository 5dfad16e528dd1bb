"""The ``tactful`` command line (``tactful = "agent.cli:main"``)."""

from agent.cli.main import app, main

__all__ = ["app", "main"]
