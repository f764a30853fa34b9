"""Reading the book's text files: a path -> its text, or a problem with file and line.

In: a path in the book folder. Out: the file's text (UTF-8) or parsed TOML,
else None with an error in Problems naming the file (and, for bad bytes or
TOML, the line and column).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from builder.bookfolder import MAX_TEXT_BYTES, BookFolder, Refused
from builder.config import toml_problem
from builder.errors import Location, Problems
from builder.model import BookMeta


def read_text(path: Path, problems: Problems, book_root: Path, with_package: bool = False) -> str | None:
    """The file's text, read through the book folder's one door (*with_package*: the
    house style's folder is open too)."""
    try:
        data = BookFolder.at(book_root, with_package).read_bytes(path, MAX_TEXT_BYTES)
    except Refused as exc:
        problems.error(str(exc), Location(path))
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        problems.error(f"not UTF-8: byte {exc.start} is {data[exc.start]:#04x}; save the file as UTF-8",
                       Location(path, line, column))
        return None


def load_toml(path: Path, problems: Problems, book_root: Path) -> dict[str, Any] | None:
    """The file's TOML, or None if there is no such file (a link out of the book is an error)."""
    if not os.path.lexists(path):
        return None
    text = read_text(path, problems, book_root)
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.error(*toml_problem(path, text, exc))
        return None


def warn_unlisted_chapters(meta: BookMeta, problems: Problems) -> None:
    listed = {path.resolve() for path in meta.chapter_files}
    for path in BookFolder.at(meta.root).glob("chapters/*.md"):
        if path.resolve() not in listed:
            problems.warning("this chapter file is not listed in book.toml's chapters and is left "
                             "out; add it to the list or move it elsewhere", Location(path))
