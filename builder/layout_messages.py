"""WeasyPrint's log -> Diagnostics with file, line and column.

In: what WeasyPrint logs while it reads style sheets or lays a book out. Out:
the records, each with the style sheet fetched last (CSS messages name only a
line and a column), and the Diagnostic each one makes. Used by the style check
and the layout alike; imports nothing of WeasyPrint.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from builder.model import Diagnostic

_CSS_MESSAGE = re.compile(r"^(Ignored `|Error: ).*? at \d+:\d+")
_POSITION = re.compile(r"^(?P<message>.*?) at (?P<line>\d+):(?P<column>\d+)\.?(?P<rest>.*)$")


class SheetTracker(Protocol):
    last_stylesheet: str | None


class Collector(logging.Handler):
    """Keeps WeasyPrint's messages, each with the style sheet fetched last."""

    def __init__(self, fetcher: SheetTracker | None = None) -> None:
        super().__init__(logging.WARNING)
        self.fetcher = fetcher
        self.records: list[logging.LogRecord] = []
        self.sheets: list[str | None] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.sheets.append(self.fetcher.last_stylesheet if self.fetcher else None)


@contextmanager
def weasyprint_messages(fetcher: SheetTracker | None = None) -> Iterator[Collector]:
    """WeasyPrint's messages collected instead of printed, for the length of the block."""
    logger = logging.getLogger("weasyprint")
    collector = Collector(fetcher)
    previous = logger.propagate
    logger.addHandler(collector)
    logger.propagate = False
    try:
        yield collector
    finally:
        logger.removeHandler(collector)
        logger.propagate = previous


def is_css_message(message: str) -> bool:
    """WeasyPrint's style sheet messages: "Ignored `colr: red` at 2:3, unknown property."."""
    return bool(_CSS_MESSAGE.match(message))


def css_diagnostic(path: Path, message: str) -> Diagnostic:
    """One of WeasyPrint's CSS messages, placed in *path* at the line and column it names;
    "Error: …" messages are errors, the rest warnings."""
    found = _POSITION.match(message)
    text = f"{found['message']}{found['rest']}" if found else message
    line, column = (int(found["line"]), int(found["column"])) if found else (None, None)
    level = "error" if text.startswith("Error:") else "warning"
    return Diagnostic(f"CSS: {text.removeprefix('Error:').strip()}", path, line, column, level)
