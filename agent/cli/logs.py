"""Where the agent's log goes: a file in the data folder while a command runs, and stderr
while ``tactful serve`` runs, as readable lines or, with ``TACTFUL_LOG_FORMAT=json``, one
JSON object per line for a log collector.

Without a handler of its own, Python prints a library's warnings to stderr, which in
``tactful chat`` lands between the shopper's line and the reply; an LLM fallback is an
operator's matter, and the reply the shopper reads is already the offline one.

A record written while the API handles a request carries that request's id, method and
path (:mod:`agent.api.observability` puts them there); both formats show them.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

LOG_FILE = "tactful.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s%(request_tag)s: %(message)s"
#: The loggers whose info lines are kept: the library's, and the server's own.
OWN_LOGGERS = ("agent", "tactful")
#: What a record may say about the request it was written for, in this order.
REQUEST_FIELDS = ("request_id", "method", "path", "status", "duration_ms")

LogFormat = Literal["text", "json"]


class TextFormatter(logging.Formatter):
    """``time LEVEL logger [request id]: message``, the id only within a request."""

    def __init__(self) -> None:
        super().__init__(_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.request_tag = f" [{request_id}]" if request_id else ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: time (UTC), level, logger, message, the
    process id, the request's fields when it was written for one, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for field in REQUEST_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # Newlines inside a value are escaped, so a traceback stays on its record's line.
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(log_format: LogFormat) -> logging.Formatter:
    """The formatter for ``log_format``."""
    return JsonFormatter() if log_format == "json" else TextFormatter()


@contextmanager
def logging_to(home: Path, log_format: LogFormat = "text") -> Iterator[Path]:
    """Send the ``agent`` loggers' records (info and up) to ``home/tactful.log`` while
    the block runs."""
    path = home / LOG_FILE
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(formatter(log_format))
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


@contextmanager
def server_logging(log_format: LogFormat) -> Iterator[None]:
    """The server's log on stderr while the block runs: info and up from tactful's own
    loggers (a line per request among them), warnings and up from every library.

    uvicorn is started without a logging configuration of its own, so its records come
    here too, in the same format.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    own = [logging.getLogger(name) for name in OWN_LOGGERS]
    levels = [logger.level for logger in own]
    root.addHandler(handler)
    for logger in own:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        for logger, level in zip(own, levels, strict=True):
            logger.setLevel(level)
        handler.close()
