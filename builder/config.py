"""Stage 1: the book folder's `book/book.toml` -> a validated BookMeta.

In: a book folder. Out: BookMeta, or one ConfigError listing *every* problem,
each naming its key (and line), the way a compiler lists all errors at once.
All schema knowledge lives in SCHEMA below (with its [print] and [style] tables):
one place to read what a book can say.

Run as `python -m builder.config --slug BOOK_DIR` to print the output file stem
(the Makefile uses it before the virtual environment exists; stdlib only).
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import os
import re
import sys
import tomllib
import unicodedata
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from builder.bookfolder import BookFolder, Refused
from builder.errors import ConfigError, Location, Problems, close_file
from builder.isbn import compact, hyphenated, is_valid
from builder.model import (
    CONTRIBUTOR_ROLES,
    PDF_VARIANTS,
    ROLE_SPELLINGS,
    ROLES,
    BookMeta,
    Contributor,
    Isbns,
    Part,
    PrintOptions,
    Structure,
    Style,
)
from builder.printers import DEFAULT_PROFILE, PAPERS, PROFILES
from builder.stylesheets import FONT_FAMILIES, MONOSPACE_FAMILIES

CONFIG_NAME = Path("book") / "book.toml"
DEFAULT_CHAPTERS = "chapters/*.md"

# Common trim sizes, width x height. A custom size is "W x H unit", e.g. "7 x 10 in".
TRIM_SIZES = {
    "5x8": "5in 8in",
    "5.25x8": "5.25in 8in",
    "5.5x8.5": "5.5in 8.5in",
    "6x9": "6in 9in",
    "a5": "148mm 210mm",
    "royal": "156mm 234mm",
    "letter": "8.5in 11in",
}
LINK_URLS = ("footnote", "after", "none")  # how print shows a web link's URL; the first is the default
TRIM_RANGE_MM = (50, 600)  # a pocket diary to a large art book
MM_PER_UNIT = {"in": 25.4, "mm": 1.0, "cm": 10.0, "pt": 25.4 / 72}
MAX_METADATA_CHARS = {"description": 10_000, "rights": 5_000, "*": 1_000}
_CUSTOM_TRIM = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*x\s*(\d+(?:\.\d+)?)\s*(in|mm|cm|pt)\s*$")
# BCP 47 language tag, the common shape: language[-script][-region][-variant...]
_LANGUAGE_TAG = re.compile(
    r"^[a-zA-Z]{2,3}(-[a-zA-Z]{4})?(-([a-zA-Z]{2}|\d{3}))?(-([a-zA-Z\d]{5,8}|\d[a-zA-Z\d]{3}))*$"
)


@dataclass(frozen=True)
class Key:
    """One book.toml key: its expected type, whether it is required, its help."""

    kind: type | tuple[type, ...]
    required: bool
    help: str


SCHEMA: dict[str, Key] = {
    "title": Key(str, True, "the book's title"),
    "subtitle": Key(str, False, "a subtitle, shown on the title page"),
    "authors": Key(list, True, "a list of author names, e.g. [\"Ada Lovelace\"]"),
    "language": Key(str, True, "a BCP 47 language tag such as \"en\" or \"pt-BR\""),
    "identifier": Key(str, False, "a stable \"urn:uuid:…\"; derived from the title if absent"),
    "isbn": Key(str, False, "an ISBN-13 (or ISBN-10) of both editions; the identifier when given"),
    "isbn_epub": Key(str, False, "the ebook's own ISBN (its identifier, on its copyright page)"),
    "isbn_print": Key(str, False, "the print edition's own ISBN (on its copyright page)"),
    "series": Key(str, False, "the series the book belongs to, e.g. \"The Widget Handbooks\""),
    "series_number": Key(int, False, "the book's number in its series, e.g. 2"),
    "contributors": Key(list, False, "people credited besides the authors: [{ name = \"…\", role = "
                        "\"editor\" }] (roles: " + ", ".join(CONTRIBUTOR_ROLES) + ")"),
    "publisher": Key(str, False, "the publisher's name"),
    "date": Key((dt.date, str), False, "publication date, YYYY-MM-DD"),
    "rights": Key(str, False, "the rights line, e.g. \"© 2025 Jane Doe. All rights reserved.\""),
    "edition": Key(str, False, "the edition, e.g. \"First edition\""),
    "description": Key(str, False, "a one-paragraph description"),
    "subjects": Key(list, False, "a list of subject keywords"),
    "chapters": Key((list, str), False, "a list of chapter files (and parts: { part = \"Title\", "
                    "chapters = [files] }; roles: { file = \"…\", role = \"dedication\" }), or a glob "
                    "such as \"chapters/*.md\""),
    "chapter_level": Key(int, False, "the heading level that starts a chapter: 1 (#, default) or 2 (##)"),
    "chapter_titles": Key(dict, False, "a table: chapter file name = the title to use instead"),
    "toc_depth": Key(int, False, "heading levels in the EPUB nav and PDF bookmarks: 1 (chapters) to 3"),
    "print_toc_depth": Key(int, False, "heading levels in the printed contents: 1 (chapters, default) or 2"),
    "notes": Key(str, False, "EPUB footnotes as \"popup\" notes (default) or chapter \"endnotes\""),
    "base_url": Key(str, False, "the web address the chapters folder was published at, e.g. "
                    "\"https://example.org/book/\": a link to a local file that is not a chapter goes there"),
    "blurb": Key(str, False, "the back cover's text (build --cover)"),
    "about_author": Key(str, False, "the \"About the Author\" page at the back of the book; paragraphs "
                        "separated by blank lines"),
    "bibliography": Key(str, False, "the book's references, a BibTeX (.bib) or CSL-JSON (.json) file, e.g. "
                        "\"book/refs.bib\": [@key] cites one"),
    "csl": Key(str, False, "the citation style, a CSL file, e.g. \"book/style.csl\" (default: Chicago "
               "author-date)"),
    "print": Key(dict, False, "a table of print options: trim, print_job, profile, paper, pdf_variant, "
                 "link_urls"),
    "style": Key(dict, False, "a table of type choices: body_font, heading_font, code_font, "
                 "font_size, leading"),
}
PRINT_SCHEMA: dict[str, Key] = {
    "trim": Key(str, False, "one of " + ", ".join(TRIM_SIZES) + ", or \"W x H in|mm\""),
    "print_job": Key(bool, False, "true for the printer's file: bleed and marks by the profile's rules"),
    "profile": Key(str, False, "whose rules the printer's file follows: " + ", ".join(PROFILES)
                   + f" (default {DEFAULT_PROFILE})"),
    "paper": Key(str, False, "the interior paper: " + ", ".join(PAPERS) + f" (default {PAPERS[0]})"),
    "pdf_variant": Key(str, False, "one of " + ", ".join(PDF_VARIANTS)),
    "link_urls": Key(str, False,
                     "how print shows web links' URLs: \"footnote\" (default), \"after\" or \"none\""),
}
FONT_SIZE_RANGE_PT = (8.0, 14.0)  # a book's text size, from a pocket edition to large print
LEADING_RANGE = (1.0, 2.0)
STYLE_SCHEMA: dict[str, Key] = {
    "body_font": Key(str, False, "the text's face: " + ", ".join(FONT_FAMILIES)),
    "heading_font": Key(str, False, "the headings' face (default: the body's): " + ", ".join(FONT_FAMILIES)),
    "code_font": Key(str, False, "the code's face: " + ", ".join(MONOSPACE_FAMILIES)),
    "font_size": Key(str, False, "the print text size in points, \"{:g}pt\" to \"{:g}pt\" (default "
                     "\"11pt\")".format(*FONT_SIZE_RANGE_PT)),
    "leading": Key((float, int), False, "the print line height, a multiple of the size, {:g} to {:g} "
                   "(default 1.38)".format(*LEADING_RANGE)),
}
_FONT_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*pt\s*$")


def load_config(book_dir: Path) -> BookMeta:
    """Read and validate `book/book.toml` in *book_dir*."""
    path = book_dir / CONFIG_NAME
    text = _read_config_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, where = toml_problem(path, text, exc)
        raise ConfigError(message, where) from exc
    return validate(book_dir, path, text, data)


def _read_config_text(path: Path) -> str:
    if not os.path.lexists(path):
        raise ConfigError(
            "no book.toml here; a book folder needs book/book.toml with at least "
            "title, authors and language",
            Location(path),
        )
    try:
        return BookFolder.at(path.parent.parent).read_bytes(path).decode("utf-8")
    except Refused as exc:
        raise ConfigError(str(exc), Location(path)) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not UTF-8 (byte {exc.start}); save the file as UTF-8", Location(path)
        ) from exc


def toml_problem(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> tuple[str, Location]:
    """tomllib's message without its position, and the position as a Location
    (the last line when the file ends too early)."""
    message = "not valid TOML: " + re.sub(
        r"\s*\(at (line \d+, column \d+|end of document)\)$", "", str(exc))
    found = re.search(r"at line (\d+), column (\d+)", str(exc))
    if found:
        return message, Location(path, int(found[1]), int(found[2]))
    if "end of document" in str(exc):
        return message, Location(path, max(1, len(text.splitlines())), None)
    return message, Location(path)


class _Problems(Problems):
    """Problems in book.toml, each located at its key's line."""

    def __init__(self, path: Path, text: str) -> None:
        super().__init__()
        self.path = path
        self.text = text
        self.lines = text.splitlines()

    def add(self, key: str, message: str) -> None:
        self.error(f"{key}: {message}", self.locate(key))

    def at(self, key: str, message: str, where: Location) -> None:
        """A problem of *key* found at a place inside its value."""
        self.error(f"{key}: {message}", where)

    def location(self, offset: int | None) -> Location:
        """The line and column of *offset* into the text (None: the file alone)."""
        if offset is None:
            return Location(self.path)
        line_start = self.text.rfind("\n", 0, offset) + 1
        return Location(self.path, self.text.count("\n", 0, offset) + 1, offset - line_start + 1)

    def item_offsets(self, key: str) -> list[int]:
        """Where each item of the top-level array *key* begins in the text."""
        found = self.locate(key)
        if found.line is None:
            return []
        start = sum(len(line) + 1 for line in self.lines[:found.line - 1])
        return _array_items(self.text, self.text.index("=", start) + 1)

    def find_string(self, value: str, offset: int | None) -> int | None:
        """Where *value* is first written as a TOML string at or after *offset*
        (None where it is written with escapes, or *offset* is None)."""
        if offset is None:
            return None
        found = [at for quote in ('"', "'") if (at := self.text.find(quote + value + quote, offset)) >= 0]
        return min(found) if found else offset

    def locate(self, key: str) -> Location:
        name = key.rsplit(".", 1)[-1]
        pattern = re.compile(rf"^\s*\"?{re.escape(name)}\"?\s*=")
        for number, line in enumerate(self.lines, start=1):
            if pattern.match(line):
                return Location(self.path, number, line.index(name) + 1)
        return Location(self.path)


def _array_items(text: str, start: int) -> list[int]:
    """Where each item of the TOML array that opens at or after *start* begins: a
    small scan that steps over strings and comments, enough to point at an entry."""
    items: list[int] = []
    depth = 0
    expecting = False  # after the array's `[` or a `,` at its own level
    at = start
    while at < len(text):
        char = text[at]
        if char == "#":
            newline = text.find("\n", at)
            at = len(text) if newline < 0 else newline
            continue
        if char.isspace() or (char == "," and depth == 1):
            expecting = expecting or char == ","
            at += 1
            continue
        if depth == 0 and char != "[":
            break  # not an array
        if depth == 1 and expecting and char not in "]}":
            items.append(at)
            expecting = False
        if char in "\"'":
            at = _string_end(text, at)
            continue
        if char in "[{":
            depth += 1
            expecting = expecting or depth == 1
        elif char in "]}":
            depth -= 1
            if depth <= 0:
                break
        at += 1
    return items


def _string_end(text: str, at: int) -> int:
    """The offset just after the TOML string that starts at *at*."""
    quote = text[at] * 3 if text.startswith(text[at] * 3, at) else text[at]
    at += len(quote)
    while at < len(text) and not text.startswith(quote, at):
        at += 2 if text[at] == "\\" and quote[0] == '"' else 1
    return at + len(quote)


def validate(book_dir: Path, path: Path, text: str, data: dict[str, Any]) -> BookMeta:
    """Check *data* against SCHEMA; return BookMeta or raise with every problem. The raised
    ConfigError carries a fallback BookMeta when the chapter list can still be worked out
    (`chapters` is itself valid, or absent: the default glob), so that the chapters' own
    problems are told in the same run."""
    problems = _Problems(path, text)
    _check_keys(problems, data, SCHEMA, prefix="")
    print_value = data.get("print")
    print_given: dict[str, Any] = print_value if isinstance(print_value, dict) else {}
    _check_keys(problems, print_given, PRINT_SCHEMA, prefix="print.")
    print_table = _usable(print_given, PRINT_SCHEMA, {})
    # The checks below go on over the values of the right type (stand-ins for the missing
    # ones), so that a wrong type does not hide the other mistakes.
    meta = _checked_meta(problems, book_dir, _usable(data, SCHEMA, _STAND_INS), print_table)
    style_value = data.get("style")
    style_given: dict[str, Any] = style_value if isinstance(style_value, dict) else {}
    _check_keys(problems, style_given, STYLE_SCHEMA, prefix="style.")
    meta = replace(meta, style=_checked_style(problems, _usable(style_given, STYLE_SCHEMA, {})))
    if problems.has_errors:
        error = ConfigError.from_diagnostics(problems.items)
        chapters = data.get("chapters", DEFAULT_CHAPTERS)
        if isinstance(chapters, SCHEMA["chapters"].kind):
            error.fallback = _fallback(meta)
        raise error
    return meta


# In place of a missing required key, for the checks of the others and the fallback.
_STAND_INS: dict[str, Any] = {"title": "Untitled", "authors": ["Unknown"], "language": "en"}


def _usable(data: dict[str, Any], schema: dict[str, Key], stand_ins: dict[str, Any]) -> dict[str, Any]:
    """The known keys of *data* whose values have the schema's type, over *stand_ins*."""
    usable = {key: value for key, value in data.items()
              if key in schema and isinstance(value, schema[key].kind)}
    return {**stand_ins, **usable}


def _fallback(meta: BookMeta) -> BookMeta:
    """*meta* without the chapter files that cannot be read (already said): the book.toml
    the chapters are checked under when it has mistakes."""
    folder = BookFolder.at(meta.root)
    readable = tuple(path for path in meta.chapter_files if folder.is_file(path))
    return replace(meta, chapter_files=readable,
                   parts=meta.parts if readable == meta.chapter_files else ())


def _checked_meta(problems: _Problems, book_dir: Path, data: dict[str, Any],
                  print_table: dict[str, Any]) -> BookMeta:
    """BookMeta from *data* (every key of the right type, the required ones there); each
    value found wrong is reported and replaced by its default."""
    _check_lengths(problems, data)
    title = data["title"].strip()
    if not title:
        problems.add("title", "must not be empty")
    authors = _string_list(problems, "authors", data["authors"])
    if "authors" in data and not authors:
        problems.add("authors", "name at least one author")
    language = data["language"]
    if not _LANGUAGE_TAG.match(language):
        problems.add("language", f"{language!r} is not a BCP 47 language tag (e.g. \"en\", \"en-GB\")")
        language = _STAND_INS["language"]
    isbns = Isbns(*(_checked_isbn(problems, key if key in data else "isbn", data.get(key, data.get("isbn")))
                    for key in ("isbn_epub", "isbn_print")))
    own = [key for key in ("isbn_epub", "isbn_print") if key in data]
    if own and isbns.epub and isbns.print and compact(isbns.epub) == compact(isbns.print):
        problems.add(own[-1], "is the other edition's ISBN too; each edition has its own (or give one "
                     "`isbn` for both)")
    if len(own) == 2 and "isbn" in data:
        problems.add("isbn", "names neither edition's ISBN beside isbn_epub and isbn_print; remove it")
    isbn = compact(isbns.epub) if isbns.epub else None
    date = _checked_date(problems, data.get("date"))
    trim = _checked_trim(problems, print_table.get("trim", "6x9"))
    variant = print_table.get("pdf_variant", PDF_VARIANTS[0])
    if variant not in PDF_VARIANTS:
        hint = PRINT_SCHEMA["pdf_variant"].help
        problems.add("print.pdf_variant", f"{variant!r} is not supported; use {hint}")
        variant = PDF_VARIANTS[0]
    profile, paper = _checked_printer(problems, print_table)
    chapter_files, parts, roles = _chapter_files(problems, book_dir, data.get("chapters", DEFAULT_CHAPTERS))
    structure = _checked_structure(problems, data, print_table)
    link_urls = print_table.get("link_urls", LINK_URLS[0])
    subjects = _string_list(problems, "subjects", data.get("subjects", []))
    identifier = _identifier(problems, data.get("identifier"), isbn, title, authors)
    series, series_number = _checked_series(problems, data)
    return BookMeta(
        root=book_dir,
        title=title,
        subtitle=data.get("subtitle", "").strip(),
        authors=authors,
        language=language,
        identifier=identifier,
        isbn=isbn,
        publisher=data.get("publisher", "").strip(),
        date=date,
        rights=data.get("rights", "").strip(),
        edition=data.get("edition", "").strip(),
        description=data.get("description", "").strip(),
        subjects=subjects,
        chapter_files=chapter_files,
        slug=slugify(title),
        print=replace(trim, print_job=print_table.get("print_job", False), pdf_variant=variant,
                      link_urls=link_urls if link_urls in LINK_URLS else LINK_URLS[0],
                      profile=profile, paper=paper),
        structure=structure,
        parts=parts,
        blurb=data.get("blurb", "").strip(),
        about_author=data.get("about_author", "").strip(),
        bibliography=_checked_book_file(problems, book_dir, data, "bibliography", (".bib", ".json")),
        csl=_checked_book_file(problems, book_dir, data, "csl", (".csl",)),
        roles=roles,
        isbns=isbns,
        series=series,
        series_number=series_number,
        contributors=_checked_contributors(problems, data.get("contributors", [])),
    )


def _checked_series(problems: _Problems, data: dict[str, Any]) -> tuple[str, int | None]:
    """The series and the book's number in it (a number without a series is a mistake)."""
    series = str(data.get("series", "")).strip()
    number = data.get("series_number")
    if "series" in data and not series:
        problems.add("series", "must not be empty")
    if number is not None and (isinstance(number, bool) or number < 1):
        problems.add("series_number", f"{number!r} is not a place in a series; use 1, 2 …")
        number = None
    elif number is not None and not series:
        problems.add("series_number", "a number needs the series it is in: add series = \"…\"")
    return series, number


CONTRIBUTOR_EXAMPLE = '[[contributors]] name = "Ann Editor", role = "editor"'


def _checked_contributors(problems: _Problems, entries: list[Any]) -> tuple[Contributor, ...]:
    """[[contributors]]: each a name and a role CONTRIBUTOR_ROLES knows (or its MARC code)."""
    by_code = {code: role for role, (code, _) in CONTRIBUTOR_ROLES.items()}
    found = []
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) - {"name", "role"}:
            problems.add("contributors", f"each contributor is a name and a role: {CONTRIBUTOR_EXAMPLE}; "
                         f"got {entry!r}")
            continue
        name, role = entry.get("name"), entry.get("role", "contributor")
        where = problems.location(problems.find_string(str(name), 0))
        if not isinstance(name, str) or not name.strip() or not isinstance(role, str):
            problems.at("contributors", f"a contributor needs a name and a role: {CONTRIBUTOR_EXAMPLE}",
                        where)
            continue
        word = role.strip().lower().replace(" ", "-")
        word = by_code.get(word, word)
        if word not in CONTRIBUTOR_ROLES:
            close = difflib.get_close_matches(word, CONTRIBUTOR_ROLES, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "use one of: " + ", ".join(CONTRIBUTOR_ROLES)
            problems.at("contributors", f"{role!r} is not a role; {hint}",
                        problems.location(problems.find_string(role, problems.find_string(name, 0))))
            continue
        found.append(Contributor(name.strip(), word))
    return tuple(found)


def _checked_book_file(problems: _Problems, book_dir: Path, data: dict[str, Any], key: str,
                       suffixes: tuple[str, ...]) -> Path | None:
    """The file *key* names, relative to the book folder: one of *suffixes*, and there."""
    name = str(data.get(key, "")).strip()
    if not name:
        return None
    path: Path = book_dir / name
    if path.suffix.lower() not in suffixes:
        problems.add(key, f"{name!r} is not a {' or '.join(suffixes)} file")
        return None
    folder = BookFolder.at(book_dir)
    if not folder.is_file(path):
        problems.add(key, f"{name!r}: there is no such file"
                     + close_file(name, folder, [book_dir], [f"**/*{suffix}" for suffix in suffixes]))
        return None
    return path


def _checked_printer(problems: _Problems, print_table: dict[str, Any]) -> tuple[str, str]:
    """[print] profile and paper, each one the builder knows (else reported, and the default)."""
    chosen = []
    for key, allowed, default in (("profile", PROFILES, DEFAULT_PROFILE), ("paper", PAPERS, PAPERS[0])):
        value = print_table.get(key, default).strip().lower()
        if value not in allowed:
            close = difflib.get_close_matches(value, allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "use one of: " + ", ".join(allowed)
            problems.add(f"print.{key}", f"{print_table[key]!r} is not known; {hint}")
            value = default
        chosen.append(value)
    return chosen[0], chosen[1]


def _check_keys(problems: _Problems, data: dict[str, Any], schema: dict[str, Key], prefix: str) -> None:
    for key, value in data.items():
        if key not in schema:
            close = difflib.get_close_matches(key, schema, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(schema)}"
            problems.add(prefix + key, f"unknown key{hint}")
        elif not isinstance(value, schema[key].kind):
            problems.add(
                prefix + key,
                f"expected {_type_name(schema[key].kind)} ({schema[key].help}), "
                f"got {_type_name(type(value))}",
            )
    for key, spec in schema.items():
        if spec.required and key not in data:
            problems.add(prefix + key, f"missing; add {spec.help}")


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", list: "a list", dict: "a table", int: "a number",
             float: "a number", bool: "true/false", dt.date: "a date",
             dt.datetime: "a date and time", dt.time: "a time"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _string_list(problems: _Problems, key: str, value: list[Any]) -> tuple[str, ...]:
    if not all(isinstance(item, str) and item.strip() for item in value):
        problems.add(key, "every entry must be a non-empty string")
        return ()
    return tuple(item.strip() for item in value)


isbn_is_valid = is_valid


def _checked_isbn(problems: _Problems, key: str, isbn: str | None) -> str | None:
    """An edition's ISBN, written under *key*, hyphenated by the ISBN ranges; a valid one in no
    range assigned yet (the ranges file may be older than it) is kept as written."""
    if isbn is None:
        return None
    if not is_valid(isbn):
        problems.add(key, f"{isbn!r} is not a valid ISBN-13 or ISBN-10 (check digit or length)")
        return None
    return hyphenated(isbn) or isbn.strip().upper()


def _checked_date(problems: _Problems, value: dt.date | str | None) -> dt.date:
    if value is None:
        return dt.date(1970, 1, 1)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.add("date", f"{value!r} is not a date; write YYYY-MM-DD, e.g. 2025-10-15")
        return dt.date(1970, 1, 1)


def _check_lengths(problems: _Problems, data: dict[str, Any]) -> None:
    """Metadata that no cover, title page or reading system could show."""
    for key, value in data.items():
        values = value if isinstance(value, list) else [value]
        limit = MAX_METADATA_CHARS.get(key, MAX_METADATA_CHARS["*"])
        for item in values:
            if isinstance(item, str) and len(item) > limit:
                problems.add(key, f"{len(item):,} characters; the limit is {limit:,}")


def _checked_trim(problems: _Problems, trim: str) -> PrintOptions:
    name = trim.strip().lower().replace(" ", "")
    if name in TRIM_SIZES:
        return PrintOptions(trim=TRIM_SIZES[name], trim_name=name)
    custom = _CUSTOM_TRIM.match(trim)
    if custom:
        width, height, unit = custom.groups()
        smallest, largest = TRIM_RANGE_MM
        if not all(smallest <= float(side) * MM_PER_UNIT[unit] <= largest for side in (width, height)):
            problems.add("print.trim", f"{trim!r}: each side must be between {smallest} mm and {largest} "
                                       f"mm (about {smallest / 25.4:.0f} to {largest / 25.4:.0f} in)")
            return PrintOptions()
        return PrintOptions(trim=f"{width}{unit} {height}{unit}", trim_name=f"{width}x{height}{unit}")
    problems.add("print.trim", f"{trim!r} is not a trim size; use {PRINT_SCHEMA['trim'].help}")
    return PrintOptions()


def _checked_structure(
    problems: _Problems, data: dict[str, Any], print_table: dict[str, Any]
) -> Structure:
    levels = {"chapter_level": (1, 2), "toc_depth": (1, 3), "print_toc_depth": (1, 2)}
    value_of: dict[str, Any] = {}
    for key, (low, high) in levels.items():
        value_of[key] = data.get(key, 1)
        if not low <= value_of[key] <= high:
            problems.add(key, f"{value_of[key]} is out of range; use {low} to {high}")
            value_of[key] = 1
    choices = {"notes": ("popup", "endnotes"), "print.link_urls": LINK_URLS}
    for key, allowed in choices.items():
        table, name = (print_table, key[6:]) if key.startswith("print.") else (data, key)
        value_of[key] = table.get(name, allowed[0])
        if value_of[key] not in allowed:
            problems.add(key, f"{table[name]!r} is not one of: {', '.join(allowed)}")
            value_of[key] = allowed[0]
    titles = data.get("chapter_titles", {})
    if not all(isinstance(v, str) and v.strip() for v in titles.values()):
        problems.add("chapter_titles", "each entry must be a file name = \"a title\"")
        titles = {}
    base_url = data.get("base_url", "").strip()
    if base_url and not re.match(r"^https?://[^/\s]+(/\S*)?$", base_url):
        problems.add("base_url", f"{base_url!r} is not a web address; write it as \"https://example.org/book/\"")
        base_url = ""
    return Structure(
        chapter_level=value_of["chapter_level"],
        toc_depth=value_of["toc_depth"],
        print_toc_depth=value_of["print_toc_depth"],
        notes=value_of["notes"],
        chapter_titles=tuple(sorted((str(k), str(v).strip()) for k, v in titles.items())),
        base_url=base_url if not base_url or base_url.endswith("/") else base_url + "/",
    )


def _checked_style(problems: _Problems, table: dict[str, Any]) -> Style:
    """[style]: each face one the build has (by name, any case), the size and leading in range;
    a value found wrong is reported and left to the house style."""
    faces: dict[str, str | None] = {}
    for key in ("body_font", "heading_font", "code_font"):
        allowed = MONOSPACE_FAMILIES if key == "code_font" else tuple(FONT_FAMILIES)
        faces[key] = _checked_face(problems, f"style.{key}", table.get(key), allowed)
    size = table.get("font_size")
    if size is not None:
        low, high = FONT_SIZE_RANGE_PT
        found = _FONT_SIZE.match(size)
        if not found:
            problems.add("style.font_size", f"{size!r} is not a size in points; write it as \"10.5pt\"")
            size = None
        elif not low <= float(found[1]) <= high:
            problems.add("style.font_size", f"{size!r} is out of range; use {low:g}pt to {high:g}pt")
            size = None
        else:
            size = f"{float(found[1]):g}pt"
    leading = table.get("leading")
    if isinstance(leading, bool):  # TOML true is no number, though Python counts it as one
        problems.add("style.leading", f"expected a number ({STYLE_SCHEMA['leading'].help}), got true/false")
        leading = None
    elif leading is not None and not LEADING_RANGE[0] <= leading <= LEADING_RANGE[1]:
        problems.add("style.leading", "{} is out of range; use {:g} to {:g}, e.g. 1.4".format(
            leading, *LEADING_RANGE))
        leading = None
    return Style(body_font=faces["body_font"], heading_font=faces["heading_font"],
                 code_font=faces["code_font"], font_size=size,
                 leading=float(leading) if leading is not None else None)


def _checked_face(problems: _Problems, key: str, name: str | None, allowed: tuple[str, ...]) -> str | None:
    """The face's name as the fonts spell it, or None (and a problem) for one the build lacks."""
    if name is None:
        return None
    by_folded = {family.casefold(): family for family in allowed}
    wanted = " ".join(name.split()).casefold()
    if wanted in by_folded:
        return by_folded[wanted]
    if wanted in (family.casefold() for family in FONT_FAMILIES):  # a face, but not for code
        problems.add(key, f"{name!r} is not a monospace face; code needs one: {', '.join(allowed)}")
        return None
    close = difflib.get_close_matches(wanted, by_folded, n=1, cutoff=0.5)
    hint = f"did you mean {by_folded[close[0]]!r}?" if close else "use one of: " + ", ".join(allowed)
    problems.add(key, f"{name!r} is not a face the build has; {hint}")
    return None


Chapters = tuple[tuple[Path, ...], tuple[Part, ...], tuple[tuple[Path, str], ...]]


def _chapter_files(problems: _Problems, book_dir: Path, chapters: list[Any] | str) -> Chapters:
    """The chapter files in reading order, the parts grouping them and the roles given to
    files: `chapters` is a glob, or a list whose entries are file names, `{ file, role }`
    tables or part tables."""
    folder = BookFolder.at(book_dir)
    if isinstance(chapters, str):
        found = tuple(folder.glob(chapters))
        if not found:
            problems.add("chapters", f"the glob {chapters!r} matches no file in {book_dir}")
        return found, (), ()
    listing = _Listing(problems, folder)
    starts = problems.item_offsets("chapters")
    parts: list[Part] = []
    roles: list[tuple[Path, str]] = []
    for position, entry in enumerate(chapters):
        # Where the entry is written; past what the scan found, the key's own line.
        offset = starts[position] if position < len(starts) else None
        if isinstance(entry, str):
            listing.add(entry, offset)
        elif isinstance(entry, dict) and "file" in entry:
            roles += _role_table(problems, listing, entry, offset)
        elif isinstance(entry, dict):
            first = len(listing.files)
            title = _part_table(problems, listing, entry, offset)
            if title is not None and len(listing.files) > first:
                parts.append(Part(len(parts) + 1, title, first, len(listing.files) - first))
        else:
            problems.at("chapters", "every entry must be a file name or a part, "
                        f"{PART_EXAMPLE}; got {entry!r}", problems.location(offset))
    if not chapters:
        problems.add("chapters", "the list is empty; name at least one chapter file")
    return tuple(listing.files), tuple(parts), tuple(roles)


PART_EXAMPLE = '{ part = "Part I", chapters = ["chapters/01-first.md"] }'
ROLE_EXAMPLE = '{ file = "chapters/00-dedication.md", role = "dedication" }'


def checked_role(role: str) -> tuple[str | None, str]:
    """A role as written -> (the role, "") or (None, why not, with a did-you-mean)."""
    name = role.strip().lower()
    name = ROLE_SPELLINGS.get(name, name)
    if name in ROLES:
        return name, ""
    close = difflib.get_close_matches(name, ROLES, n=1)
    hint = f"did you mean {close[0]!r}?" if close else "use one of: " + ", ".join(ROLES)
    return None, f"{role!r} is not a role; {hint}"


def _role_table(problems: _Problems, listing: _Listing, table: dict[str, Any],
                offset: int | None) -> list[tuple[Path, str]]:
    """Check one `{ file, role }` entry, listing its file; its (file, role), if both are right."""
    where = problems.location(offset)
    for key in table:
        if key not in ("file", "role"):
            problems.at("chapters", f"a chapter table has only `file` and `role`, not {key!r}: "
                        f"{ROLE_EXAMPLE}", where)
    file, role = table.get("file"), table.get("role", "chapter")
    if not isinstance(file, str) or not file.strip():
        problems.at("chapters", f"`file` must name a chapter file: {ROLE_EXAMPLE}", where)
        return []
    listing.add(file, problems.find_string(file, offset))
    if not isinstance(role, str):
        problems.at("chapters", f"`role` must be a string, one of: {', '.join(ROLES)}", where)
        return []
    checked, why = checked_role(role)
    if checked is None:
        problems.at("chapters", why, problems.location(problems.find_string(role, offset)))
        return []
    return [(listing.folder.root / file, checked)]


def _part_table(problems: _Problems, listing: _Listing, table: dict[str, Any],
                offset: int | None) -> str | None:
    """Check one part table, listing its chapter files; its title, if it has one."""
    where = problems.location(offset)
    for key in table:
        if key not in ("part", "chapters"):
            problems.at("chapters", f"a part has only `part` (its title) and `chapters` (its files), "
                        f"not {key!r}: {PART_EXAMPLE}", where)
    title = table.get("part")
    if not isinstance(title, str) or not title.strip():
        problems.at("chapters", "a part needs its title as a non-empty string: "
                    f"{PART_EXAMPLE}", where)
        title = None
    files = table.get("chapters")
    named = f"the part {title.strip()!r}" if title else "a part"
    if not isinstance(files, list) or not files:
        problems.at("chapters", f"{named} needs `chapters`, a non-empty list of chapter files: "
                    f"{PART_EXAMPLE}", where)
        files = []
    for entry in files:
        if isinstance(entry, dict):
            problems.at("chapters", f"parts do not nest: {named} lists a part; a part's chapters "
                        "are file names", where)
        elif not isinstance(entry, str):
            problems.at("chapters", f"every chapter of {named} must be a file name, got {entry!r}", where)
        else:
            listing.add(entry, problems.find_string(entry, offset))
    return title.strip() if title else None


class _Listing:
    """The chapter files listed so far, each checked, and where each was named."""

    def __init__(self, problems: _Problems, folder: BookFolder) -> None:
        self.problems = problems
        self.folder = folder
        self.files: list[Path] = []
        self.seen: dict[Path, Location] = {}

    def add(self, entry: str, offset: int | None) -> None:
        where = self.problems.location(offset)
        path = self.folder.root / entry
        if Path(entry).is_absolute() or ".." in Path(entry).parts:
            self.problems.at("chapters", f"{entry!r} is not a path inside the book folder; name "
                             "chapters relative to it, e.g. \"chapters/01-first.md\"", where)
            return
        try:
            resolved = self.folder.locate(path)
        except Refused as exc:
            self.problems.at("chapters", f"{entry!r}: {exc}", where)
            return
        if resolved in self.seen:
            first = self.seen[resolved]
            self.problems.at("chapters", f"{entry!r} is listed twice (also at line {first.line}); "
                             "a chapter appears once in a book", where)
            return
        self.seen[resolved] = where
        if not self.folder.is_file(path):
            why = "is not a regular file (a folder, a FIFO or a device)" if os.path.lexists(path) \
                else "is listed but there is no such file" + close_file(
                    entry, self.folder, [self.folder.root], [f"**/*{Path(entry).suffix or '.md'}"])
            self.problems.at("chapters", f"{entry!r} {why}", where)
        self.files.append(path)


def _identifier(
    problems: _Problems, identifier: str | None, isbn: str | None, title: str, authors: tuple[str, ...]
) -> str:
    if isbn:
        return f"urn:isbn:{isbn}"
    if identifier is None:
        # Stable across builds: the same title and authors always name the same book.
        return uuid.uuid5(uuid.NAMESPACE_URL, "book:" + title + "|" + "|".join(authors)).urn
    if not re.match(r"^urn:uuid:[0-9a-fA-F-]{36}$", identifier) and not identifier.startswith("urn:"):
        problems.add("identifier", f"{identifier!r} should be a URN such as \"urn:uuid:…\"")
    return identifier


def slugify(text: str) -> str:
    """ASCII, lower-case, hyphen-separated: safe in file names and element ids."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "book"


def unique_slug(base: str, taken: Collection[str]) -> str:
    """*base*, or *base*-2, -3 … the first one not *taken*."""
    candidates = itertools.chain([base], (f"{base}-{n}" for n in itertools.count(2)))
    return next(slug for slug in candidates if slug not in taken)


def _print_slug(argv: list[str]) -> int:
    book_dir = Path(argv[1] if len(argv) > 1 else ".")
    try:
        data = tomllib.loads((book_dir / CONFIG_NAME).read_text(encoding="utf-8"))
        print(slugify(str(data.get("title", ""))))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        print("book")
    return 0


_COMMANDS: dict[str, Callable[[list[str]], int]] = {"--slug": _print_slug}

if __name__ == "__main__":
    sys.exit(_COMMANDS[sys.argv[1]](sys.argv[1:]) if len(sys.argv) > 1 else 2)
