"""Where the agent's log goes while a command runs: a file in the data folder.

Without a handler of its own, Python prints a library's warnings to stderr, which in
``tactful chat`` lands between the shopper's line and the reply; an LLM fallback is an
operator's matter, and the reply the shopper reads is already the offline one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOG_FILE = "tactful.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@contextmanager
def logging_to(home: Path) -> Iterator[Path]:
    """Send the ``agent`` loggers' records (info and up) to ``home/tactful.log`` while
    the block runs."""
    path = home / LOG_FILE
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter(_FORMAT))
    logger = logging.getLogger("agent")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield path
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        handler.close()
