"""Errors the builder reports to an author.

In: what went wrong, and where (file, line, column) when the input has places.
Out: an exception the CLI turns into one `file:line:col: error: message` line
and an exit code; never a traceback unless `--debug` is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_INPUT = 1  # the book folder has a mistake the author can fix
EXIT_OUTPUT = 3  # the output could not be written
EXIT_INTERNAL = 70  # a bug in the builder (EX_SOFTWARE)
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Location:
    path: Path
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [str(self.path)]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class BuilderError(Exception):
    """A mistake in the book, reported with its place and what to do."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}error: {self.message}"


class ConfigError(BuilderError):
    """book.toml is missing, malformed or has a wrong value."""


class ManuscriptError(BuilderError):
    """A chapter cannot be read or converted."""


class RenderError(BuilderError):
    """The template or a writer could not make the output."""


class OutputError(BuilderError):
    """dist/ cannot be written."""

    exit_code = EXIT_OUTPUT
