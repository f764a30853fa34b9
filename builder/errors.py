"""Errors the builder reports to an author.

In: what went wrong, and where (file, line, column) when the input has places.
Out: an exception carrying one or more Diagnostics, which the CLI prints as
`file:line:col: error: message` lines (like a compiler, so editors can jump to
them) with an exit code; never a traceback unless `--debug` is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder.model import Diagnostic

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

    def __init__(self, message: str, location: Location | None = None,
                 diagnostics: tuple[Diagnostic, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.diagnostics = diagnostics or (
            Diagnostic(message, location.path if location else Path("."),
                       location.line if location else None,
                       location.column if location else None, "error"),
        )

    @classmethod
    def from_diagnostics(cls, diagnostics: list[Diagnostic]) -> BuilderError:
        first = next(d for d in diagnostics if d.level == "error")
        return cls(first.message, Location(first.path, first.line, first.column), tuple(diagnostics))

    def __str__(self) -> str:
        return "\n".join(str(d) for d in self.diagnostics)


class ConfigError(BuilderError):
    """book.toml is missing, malformed or has a wrong value."""


class ManuscriptError(BuilderError):
    """A chapter, an image or a style sheet has a mistake."""


class RenderError(BuilderError):
    """The template or a writer could not make the output."""


class OutputError(BuilderError):
    """dist/ cannot be written."""

    exit_code = EXIT_OUTPUT


class Problems:
    """Collects every problem of a stage so the author sees them all in one run."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def error(self, message: str, where: Location) -> None:
        self.items.append(Diagnostic(message, where.path, where.line, where.column, "error"))

    def warning(self, message: str, where: Location) -> None:
        self.items.append(Diagnostic(message, where.path, where.line, where.column, "warning"))

    @property
    def has_errors(self) -> bool:
        return any(d.level == "error" for d in self.items)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.items if d.level == "warning")

    def raise_if_errors(self, kind: type[BuilderError]) -> None:
        if self.has_errors:
            raise kind.from_diagnostics(self.items)
