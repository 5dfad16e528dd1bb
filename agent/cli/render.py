"""Printing to a terminal, where text from a catalog or a shopper must stay inert.

Titles, ids, messages and file contents can carry escape sequences (colours, screen
clears, OSC 8 links, window titles), bidirectional overrides that reorder what a person
reads, zero-width characters, and Rich markup. Everything the command line prints from
data goes through :func:`safe` (in markup) or :func:`print_json`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from rich.console import Console
from rich.markup import escape

from agent.errors import TactfulError

# Emoji codes (":candle:") in a title are the title's text, not a picture.
out = Console(emoji=False)
err = Console(stderr=True, soft_wrap=True, emoji=False)  # one message, one line

_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: window titles, OSC 8 links
    r"|\x1b[PX^_][^\x1b]*\x1b\\"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]"  # other escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # CSI as a single C1 character
    r"|\x9d[^\x07\x9c]*(?:\x07|\x9c)"  # OSC as a single C1 character
)
# Control (Cc), format (Cf: bidi overrides and isolates, zero-width characters) and
# lone surrogate (Cs) characters; line and paragraph separators become line breaks.
_DROPPED = frozenset({"Cc", "Cf", "Cs"})
_BREAKS = frozenset({"Zl", "Zp"})


def clean(text: str, *, multiline: bool = False) -> str:
    """``text`` without escape sequences or invisible control characters.

    Tabs become spaces; line breaks are kept when ``multiline``, else become spaces.
    """
    if text.isprintable():  # the common case, checked in C
        return text
    text = _SEQUENCE.sub("", text).replace("\r\n", "\n").replace("\t", " ")
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch == "\n" or category in _BREAKS:
            kept.append("\n" if multiline else " ")
        elif category not in _DROPPED:
            kept.append(ch)
    return "".join(kept)


def safe(text: str, *, multiline: bool = False) -> str:
    """``text`` cleaned (see :func:`clean`) and escaped, to place inside Rich markup."""
    return escape(clean(text, multiline=multiline))


def show(markup: str) -> None:
    """Print a line of markup to stdout: as wide as the terminal, and not wrapped at all
    when piped, so a script reading the output gets one line per line."""
    out.print(markup, soft_wrap=not out.is_terminal)


def say_error(exc: TactfulError) -> None:
    """The one line a user sees for a mistake: its title and message."""
    err.print(f"[red]{escape(exc.title)}:[/] {safe(exc.message)}")


def print_json(data: Any, *, indent: int | None = None) -> None:
    """Print ``data`` as JSON that is valid and safe to show raw in a terminal.

    ``json.dumps`` escapes C0 controls but leaves DEL, C1 controls, bidi overrides and
    zero-width characters raw inside strings; those are escaped here as ``\\uXXXX``.
    NaN and infinity are not JSON, so they are refused rather than printed.
    """
    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False, indent=indent)
    except ValueError:
        raise TactfulError(
            "The answer holds a number that is not finite, so it cannot be printed as JSON."
        ) from None
    if not text.isprintable():
        text = "".join(
            ch if ch.isprintable() or ch == "\n" else json.dumps(ch)[1:-1] for ch in text
        )
    print(text)
