"""Plain data the import's stages share.

In: nothing from the other import modules but directives' Flavour (the type of a
Plan field), so that every stage can import this one. Out: ImportReport, what
`builder import` returns; the Plan the stages fill in before anything is written
(an Entry for each listed file, the Anchors of each chapter, the new names,
texts, images and the report's notes); the patterns more than one stage reads
Markdown with (link text, ATX headings, list items) and GitBook's heading anchors; and `read`, the one door
every source file is read through (inside the source folder, under the size
limit), with `inside`; `with_role`, a chapter's text as it is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from builder.bookfolder import MAX_TEXT_BYTES, BookFolder, Refused
from builder.errors import BuilderError, Location
from builder.importing.directives import Flavour

BY_FILE_NAMES = "file names"
MARKDOWN_SUFFIXES = (".md", ".markdown")
LINK_TEXT = r"\[((?:[^\[\]\\]|\\.|\[[^\[\]]*\])*)\]"
ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_GITBOOK_SEPARATORS = re.compile(r"[^\w.+]+")


def gitbook_anchor(text: str) -> str:
    """A heading's anchor as GitBook makes it: `&` said as "and", every run of other characters
    but letters, digits, `_`, `.` and `+` one hyphen (`Tips & tricks` -> `tips-and-tricks`,
    `Proxy vs. Rerouting` -> `proxy-vs.-rerouting`)."""
    return _GITBOOK_SEPARATORS.sub("-", text.lower().replace("&", " and ")).strip("-")


@dataclass(frozen=True)
class ImportReport:
    book_dir: Path
    chapters: tuple[Path, ...]  # the chapter files written, in order
    order_source: str  # "SUMMARY.md", "toc.md", "README.md" or "file names"
    unmapped: tuple[str, ...]  # human-readable lines: what could not be mapped and why


@dataclass(frozen=True)
class Entry:
    path: Path  # resolved source file
    title: str  # the link text in the order file, "" when ordered by file name
    part: str = ""  # the title of the part it is in, "" when in none


@dataclass(frozen=True)
class Anchors:
    ids: frozenset[str]  # the ids the builder gives this chapter's elements
    aliases: dict[str, str]  # mdBook / GitHub style heading anchor -> the builder's id


@dataclass
class Plan:
    """What the import will write, gathered before anything is written."""

    source: Path
    root: Path  # the folder the order file sits in (mdBook's src/), or the source
    entries: list[Entry]
    order_source: str
    notes: list[str] = field(default_factory=list)
    names: dict[Path, str] = field(default_factory=dict)  # source file -> new chapter file name
    texts: dict[Path, str] = field(default_factory=dict)
    anchors: dict[Path, Anchors] = field(default_factory=dict)
    images: dict[str, Path] = field(default_factory=dict)  # path under chapters/ -> source file
    base_url: str = ""  # where the source was published: links to files not imported go there
    flavour: Flavour = "plain"  # whose directives the chapters hold
    within: Path = Path("/nonexistent")  # included files are read from inside this folder
    variables: dict[str, str] = field(default_factory=dict)  # GitBook's book.json variables
    roles: dict[Path, str] = field(default_factory=dict)  # source file -> its front matter's role
    leads: dict[Path, str] = field(default_factory=dict)  # source file -> GitBook's description of it

    def where(self, path: Path) -> str:
        return path.relative_to(self.source).as_posix()


def read(path: Path, source: Path, limit: int = MAX_TEXT_BYTES) -> bytes:
    """A file of the source folder, through the same one door as a book's files."""
    try:
        return BookFolder.at(source).read_bytes(path, limit)
    except Refused as exc:
        raise BuilderError(f"{exc}; nothing was imported", Location(path)) from exc


def with_role(text: str, role: str) -> str:
    """A chapter's text as written: its front-matter role (dedication, appendix …) above it."""
    return f"---\nrole: {role}\n---\n{text}" if role else text


def inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())
