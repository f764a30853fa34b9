"""Errors the builder reports to an author.

In: what went wrong, and where (file, line, column) when the input has places.
Out: an exception carrying one or more Diagnostics, which the CLI prints as
`file:line:col: error: message` lines (like a compiler, so editors can jump to
them) with an exit code; never a traceback unless `--debug` is given. Every list
of diagnostics an author sees is put in order here (`ordered`: by file, line and
column, each once), counted here (`summary`), and a name that is not found gets
its "did you mean" here (`did_you_mean`, `close_file`).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from builder.bookfolder import BookFolder
from builder.model import BookMeta, Diagnostic

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
        self.diagnostics = ordered(diagnostics) or (
            Diagnostic(message, location.path if location else Path("."),
                       location.line if location else None,
                       location.column if location else None, "error"),
        )

    @classmethod
    def from_diagnostics(cls, diagnostics: list[Diagnostic]) -> Self:
        first = next(d for d in diagnostics if d.level == "error")
        return cls(first.message, Location(first.path, first.line, first.column), tuple(diagnostics))

    def __str__(self) -> str:
        return "\n".join(str(d) for d in self.diagnostics)


class ConfigError(BuilderError):
    """book.toml is missing, malformed or has a wrong value. Its *fallback*, when the
    chapters can still be worked out: the BookMeta with sane values in place of the bad
    ones, under which the chapters are read for their own problems (never built)."""

    fallback: BookMeta | None = None


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


def ordered(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """By file, then line and column (a whole file's problems first), each said once."""
    unique = dict.fromkeys(diagnostics)
    return tuple(sorted(unique, key=lambda d: (os.path.normpath(os.path.abspath(d.path)),
                                               d.line or 0, d.column or 0)))


def counted(number: int, noun: str) -> str:
    """'1 warning', '2 warnings', '0 errors'."""
    return f"{number} {noun}{'s' * (number != 1)}"


def summary(diagnostics: Iterable[Diagnostic]) -> str:
    """'N errors, M warnings'."""
    levels = [d.level for d in diagnostics]
    errors = levels.count("error")
    return f"{counted(errors, 'error')}, {counted(len(levels) - errors, 'warning')}"


def did_you_mean(wanted: str, names: Iterable[str]) -> str:
    """"; did you mean 'x'?" for the name closest to *wanted*, or nothing when none is close."""
    close = difflib.get_close_matches(wanted, sorted(set(names)), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def close_file(wanted: str, folder: BookFolder, bases: Iterable[Path], patterns: Iterable[str]) -> str:
    """did_you_mean over the book folder's files that *patterns* match (hidden folders, such
    as the builder's cache, left out), each named relative to each of *bases* (the folders
    *wanted* may be relative to). Only called for a name not found, so the walk is paid for
    by a mistake alone."""
    found = {path for pattern in patterns for path in folder.glob(pattern)
             if not any(part.startswith(".") for part in path.relative_to(folder.root).parts)}
    names = [os.path.relpath(path, base.resolve()).replace(os.sep, "/") for base in bases for path in found]
    return did_you_mean(wanted, names)
