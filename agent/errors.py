"""One root error for everything a user can get wrong, translated only at the edges."""

from __future__ import annotations


class TactfulError(Exception):
    """Base of every error tactful raises on purpose.

    ``title`` is a short heading, ``message`` the sentence shown to the user; the CLI
    prints both and exits non-zero, the HTTP API maps subclasses to status codes.
    """

    title = "Something went wrong"
    exit_code = 1

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class InvalidInput(TactfulError):
    title = "Invalid input"
    exit_code = 2


class UnknownShopper(TactfulError):
    title = "Unknown shopper"
    exit_code = 3


class UnknownItem(TactfulError):
    title = "Unknown item"
    exit_code = 3


class UnknownFact(TactfulError):
    title = "Unknown fact"
    exit_code = 3


class UnknownConversation(TactfulError):
    title = "Unknown conversation"
    exit_code = 3


class UnknownEscalation(TactfulError):
    title = "Unknown escalation"
    exit_code = 3


class IngestError(TactfulError):
    """A bad row in an input file; carries its line number."""

    title = "Bad input row"
    exit_code = 4

    def __init__(self, message: str, *, path: str = "", line: int | None = None) -> None:
        where = f"{path}:{line}: " if line is not None else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}")
        self.path = path
        self.line = line


class ModelUnavailable(TactfulError):
    title = "Embedding model unavailable"
    exit_code = 5


class StoreUnavailable(TactfulError):
    title = "Store unavailable"
    exit_code = 5


class UnknownList(TactfulError):
    title = "Unknown list"
    exit_code = 3


class UnknownExperiment(TactfulError):
    title = "Unknown experiment"
    exit_code = 3


class Conflict(TactfulError):
    """The request clashes with what is stored: a name taken, a second running experiment."""

    title = "Conflict"
    exit_code = 2
