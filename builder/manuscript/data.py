"""The book's data files besides chapters: the author table, errata, style sheets.

In: the book folder. Out: the AuthorTable from book/author.toml, the Errata
from book/errata.toml (each fix named by its chapter's title), and the style
sheets' text (the house sheets, those made from book.toml's [style], the book's
own); problems with file
and line otherwise.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from builder.errors import Location, Problems
from builder.manuscript.files import load_toml, read_text
from builder.model import (
    AuthorTable,
    Chapter,
    Erratum,
    Style,
    TableRow,
)
from builder.stylesheets import BOOK_SHEETS, HOUSE_SHEETS, STYLES_DIR, generated_sheets, own_name, style_path


def read_author_table(path: Path, problems: Problems, book_root: Path) -> AuthorTable | None:
    """book/author.toml: caption, header = [label, value], [[rows]] label/value."""
    data = load_toml(path, problems, book_root)
    if data is None:
        return None
    try:
        header = data.get("header", ["Detail", "Information"])
        rows = tuple(TableRow(str(row["label"]), str(row["value"])) for row in data["rows"])
        if len(header) != 2 or not rows:
            raise ValueError
        return AuthorTable(caption=str(data["caption"]), header=(header[0], header[1]), rows=rows)
    except (KeyError, TypeError, ValueError):
        problems.error("expected caption = \"…\", header = [\"Label\", \"Value\"] and at least one "
                       "[[rows]] table with label and value", Location(path))
        return None


def read_errata(path: Path, problems: Problems, book_root: Path) -> tuple[Erratum, ...]:
    """book/errata.toml: [[fix]] chapter, original, corrected, reason."""
    data = load_toml(path, problems, book_root)
    if data is None:
        return ()
    try:
        return tuple(
            Erratum(str(fix["chapter"]), str(fix["original"]), str(fix["corrected"]), str(fix["reason"]))
            for fix in data.get("fix", [])
        )
    except (KeyError, TypeError) as exc:
        problems.error(f"each [[fix]] needs chapter, original, corrected and reason (missing {exc})",
                       Location(path))
        return ()


def titled_errata(
    errata: tuple[Erratum, ...], chapters: tuple[Chapter, ...], path: Path, problems: Problems
) -> tuple[Erratum, ...]:
    """Name each fix's chapter by its title, for the colophon."""
    titles = {chapter.source.name: chapter.title_text for chapter in chapters}
    for fix in errata:
        if fix.chapter not in titles:
            problems.error(f"a fix names chapter {fix.chapter!r}, which is not in the book; "
                           f"use one of: {', '.join(titles)}", Location(path))
    return tuple(replace(fix, chapter_title=titles[fix.chapter]) for fix in errata if fix.chapter in titles)


def read_styles(book_dir: Path, problems: Problems, style: Style) -> tuple[tuple[str, str], ...]:
    """The house sheets, those *style* makes, then those of the book's own (styles/) that it has."""
    house = [(name, read_text(style_path(book_dir, name), problems, book_dir, True) or "")
             for name in HOUSE_SHEETS]
    own = [(own_name(name), read_text(book_dir / STYLES_DIR / name, problems, book_dir) or "")
           for name in BOOK_SHEETS if os.path.lexists(book_dir / STYLES_DIR / name)]
    return (*house, *generated_sheets(style), *own)
