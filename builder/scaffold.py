"""`book-builder new DIR`: a new book folder that builds at once.

In: a folder that does not exist yet (or is empty), and the title, authors,
language, date and identifier to put in book.toml. Out: that folder, holding
book/book.toml (every key the builder knows, the optional ones commented with
what they do), two sample chapters showing each Markdown feature the builder
reads, a figure and an included file, styles/custom.css (commented examples)
and a .gitignore for what the build makes; or a NewBookError, with nothing
written, for a folder that is not empty or a title, author or language
book.toml would refuse.

The files are package data (``builder/new-book/``, the folder as `new` writes
it, with its .gitignore stored as ``gitignore``: a dotfile is easily lost in
packaging). book.toml's values are put in as TOML strings, so any title reads
back as written. The folder is written beside its place under a temporary
name and then renamed into it, so a failure leaves no half-made book.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import string
from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from builder.config import _LANGUAGE_TAG, MAX_METADATA_CHARS, slugify
from builder.errors import BuilderError, Location

SCAFFOLD = "new-book"  # the package-data folder under builder/
CONFIG = PurePosixPath("book/book.toml")
RENAMED = {PurePosixPath("gitignore"): PurePosixPath(".gitignore")}
DEFAULT_TITLE = "Untitled"
DEFAULT_AUTHOR = "Your Name"
DEFAULT_LANGUAGE = "en"


class NewBookError(BuilderError):
    """`new` cannot make the book: the folder is taken, or a value would not do."""


def scaffold_files(title: str, authors: list[str], language: str, date: dt.date,
                   identifier: str) -> dict[PurePosixPath, bytes]:
    """The new book's files, by path inside its folder; NewBookError for a value
    book.toml would refuse (each problem named)."""
    problems = [*_text_problems("--title", [title]), *_text_problems("--author", authors)]
    if not _LANGUAGE_TAG.match(language):
        problems.append(f"--lang: {language!r} is not a BCP 47 language tag (e.g. \"en\", \"en-GB\")")
    if problems:
        raise NewBookError("; ".join(problems))
    shipped = _package_files(resources.files("builder").joinpath(SCAFFOLD), PurePosixPath())
    files = {RENAMED.get(path, path): data for path, data in shipped}
    values = {
        "title": _toml_string(title.strip()),
        "authors": ", ".join(_toml_string(author.strip()) for author in authors),
        "language": _toml_string(language),
        "identifier": _toml_string(identifier),
        "date": date.isoformat(),
        "rights": _toml_string(f"© {date.year} {', '.join(a.strip() for a in authors)}. "
                               "All rights reserved."),
    }
    template = string.Template(files[CONFIG].decode("utf-8"))
    files[CONFIG] = template.substitute(values).encode("utf-8")
    return files


def write_new_book(folder: Path, files: dict[PurePosixPath, bytes]) -> None:
    """Write *files* as the new book *folder*: refused (nothing written) where
    *folder* is anything but an empty folder or a path not yet taken."""
    where = Location(folder)
    if folder.is_symlink() or (os.path.lexists(folder) and not folder.is_dir()):
        raise NewBookError("is there already and is not a folder; name a new folder for the book", where)
    if folder.is_dir() and any(folder.iterdir()):
        raise NewBookError("is a folder that is not empty; `new` writes only into a new or empty folder, "
                           "so nothing of yours is overwritten: name another", where)
    folder.parent.mkdir(parents=True, exist_ok=True)
    draft = folder.parent / f".{folder.name}.new-{secrets.token_hex(4)}"
    draft.mkdir()
    try:
        for path, data in sorted(files.items()):
            target = draft.joinpath(*path.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        # An empty folder is replaced whole: rename(2) takes an empty directory's place.
        draft.rename(folder)
    except OSError as exc:
        shutil.rmtree(draft, ignore_errors=True)
        raise NewBookError(f"cannot be written: {exc.strerror or exc}", where) from exc


def output_stem(title: str) -> str:
    """The name the built files will have, dist/<stem>.epub (as config names them)."""
    return slugify(title.strip())


def _text_problems(option: str, values: list[str]) -> Iterator[str]:
    for value in values:
        if not value.strip():
            yield f"{option} must not be empty"
        elif any(ord(char) < 32 or ord(char) == 127 for char in value):
            yield f"{option} {value!r} holds a control character (a line break, a tab); write it on one line"
        elif len(value) > MAX_METADATA_CHARS["*"]:
            yield f"{option} has {len(value):,} characters; the limit is {MAX_METADATA_CHARS['*']:,}"


def _toml_string(value: str) -> str:
    # A JSON string is a TOML basic string: the same quotes and escapes.
    return json.dumps(value, ensure_ascii=False)


def _package_files(folder: Traversable, prefix: PurePosixPath) -> Iterator[tuple[PurePosixPath, bytes]]:
    for entry in folder.iterdir():
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            yield from _package_files(entry, prefix / entry.name)
        else:
            yield prefix / entry.name, entry.read_bytes()
