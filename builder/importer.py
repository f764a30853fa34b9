"""Import: a folder of Markdown from elsewhere -> a book folder.

In: a source folder of Markdown files written for another tool: an mdBook
(`SUMMARY.md`, at the top or in `src/`, and `book.toml`), a folder with a
`toc.md` or a `README.md` that is mostly a list of links, or just numbered
files. Out: a new book folder the builder can build:

    DEST/book/book.toml          title, authors, language (from mdBook's book.toml,
                                 README.md's first heading or the folder name), chapters
    DEST/chapters/NN-<slug>.md   one file per chapter, in the source's order, each
                                 opening with `# Title`, links rewritten to the new names
    DEST/chapters/<rel path>     the images the chapters show, at the path they are
                                 written with under the chapter folder

and an ImportReport saying where the order came from and every thing that could
not be mapped (draft entries, orphan files, missing images, links to files that
were not imported) and why. Nothing outside the source folder is read (links
and images that climb out of it are reported, not followed) and nothing outside
the destination is written; everything is read and planned before the first
file is written.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import escape as html_escape
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import yaml
from lxml import html as lxml_html

from builder.bookfolder import MAX_IMAGE_BYTES, MAX_TEXT_BYTES, BookFolder, Refused
from builder.checks import CONTROL_CHARACTERS
from builder.config import slugify
from builder.errors import BuilderError, Location
from builder.importing.directives import Flavour, expand
from builder.manuscript.links import web_anchor
from builder.model import ROLE_SPELLINGS, ROLES

ORDER_FILES = ("SUMMARY.md", "toc.md", "README.md")
BY_FILE_NAMES = "file names"
MARKDOWN_SUFFIXES = (".md", ".markdown")
# Project files that are not chapters when the order comes from file names.
NOT_CHAPTERS = frozenset({
    "readme", "summary", "toc", "license", "licence", "copying", "changelog", "changes", "history",
    "contributing", "code_of_conduct", "authors", "contributors", "notice", "security", "todo",
})
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg")
SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "venv"})
# A README.md is the order source when at least this share of its text lines are links to .md files.
README_LINK_SHARE = 0.6

# A fence's opening (CommonMark: a backtick fence's info string holds no backtick, so
# ```code``` on one line is inline code, not a fence).
_FENCE = re.compile(r"^ {0,3}(`{3,}(?=[^`]*$)|~{3,})")
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
_LINK_TEXT = r"\[((?:[^\[\]\\]|\\.|\[[^\[\]]*\])*)\]"
_INLINE_LINK = re.compile(
    r"(!?)" + _LINK_TEXT + r"\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
    r"(\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
_REFERENCE = re.compile(r"^( {0,3}\[(?!\^)[^\]\n]+\]:[ \t]*)(<[^>\n]*>|\S+)", re.MULTILINE)
_HTML_TAG = re.compile(r"<(img|a)\b[^>]*>", re.IGNORECASE)
_HTML_URL = re.compile(r"(\s(?:src|href)\s*=\s*)(\"[^\"]*\"|'[^']*'|[^\s\"'>]+)", re.IGNORECASE)
_HTML_ALT = re.compile(r"\salt\s*=\s*(\"\s*[^\"\s][^\"]*\"|'\s*[^'\s][^']*'|[^\s\"'>]+)", re.IGNORECASE)
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


@dataclass(frozen=True)
class ImportReport:
    book_dir: Path
    chapters: tuple[Path, ...]  # the chapter files written, in order
    order_source: str  # "SUMMARY.md", "toc.md", "README.md" or "file names"
    unmapped: tuple[str, ...]  # human-readable lines: what could not be mapped and why


@dataclass(frozen=True)
class _Entry:
    path: Path  # resolved source file
    title: str  # the link text in the order file, "" when ordered by file name
    part: str = ""  # the title of the part it is in, "" when in none


@dataclass(frozen=True)
class _Anchors:
    ids: frozenset[str]  # the ids the builder gives this chapter's elements
    aliases: dict[str, str]  # mdBook / GitHub style heading anchor -> the builder's id


@dataclass
class _Plan:
    """What the import will write, gathered before anything is written."""

    source: Path
    root: Path  # the folder the order file sits in (mdBook's src/), or the source
    entries: list[_Entry]
    order_source: str
    notes: list[str] = field(default_factory=list)
    names: dict[Path, str] = field(default_factory=dict)  # source file -> new chapter file name
    texts: dict[Path, str] = field(default_factory=dict)
    anchors: dict[Path, _Anchors] = field(default_factory=dict)
    images: dict[str, Path] = field(default_factory=dict)  # path under chapters/ -> source file
    base_url: str = ""  # where the source was published: links to files not imported go there
    flavour: Flavour = "plain"  # whose directives the chapters hold
    within: Path = Path("/nonexistent")  # included files are read from inside this folder
    variables: dict[str, str] = field(default_factory=dict)  # GitBook's book.json variables
    roles: dict[Path, str] = field(default_factory=dict)  # source file -> its front matter's role

    def where(self, path: Path) -> str:
        return path.relative_to(self.source).as_posix()


def import_book(source: Path, destination: Path, base_url: str = "",
                within: Path | None = None) -> ImportReport:
    """Make a book folder at *destination* from the Markdown folder *source*; links to files
    it does not import go to *base_url* (where the source is published) when given; included
    files (mdBook's {{#include}}, GitBook's {% include %}) are read from inside *within* (a
    folder holding the source, e.g. its repository), by default from inside the source."""
    source = _checked_source(source)
    within = within.resolve() if within else source
    if not source.is_relative_to(within):
        raise BuilderError(f"{within} does not hold the source folder {source}", Location(within))
    _check_destination(destination)
    plan = _order(source)
    if not plan.entries and plan.order_source == BY_FILE_NAMES:
        raise BuilderError(f"no chapter to import: {source} holds only project files (README, LICENSE …)",
                           Location(source))
    if not plan.entries:
        raise BuilderError(f"no chapter could be imported: {plan.order_source} names no Markdown file "
                           "that exists in the folder", Location(plan.root / plan.order_source))
    meta = _metadata(source, plan, base_url)
    plan.base_url = meta.pop("base_url", "")
    plan.flavour, plan.within = _flavour(source, plan), within
    plan.variables = _flattened(_gitbook_json(source).get("variables", {}))
    for entry in plan.entries:
        plan.texts[entry.path] = _read_markdown(entry.path, plan)
    _drop_empty(plan)
    _name_chapters(plan)
    _drop_repeated_book_title(plan, meta["title"])
    for entry in plan.entries:
        plan.texts[entry.path] = _with_heading(plan.texts[entry.path], entry, plan)
    _unique_titles(plan)
    for entry in plan.entries:
        plan.anchors[entry.path] = _anchors(plan.texts[entry.path])
    for entry in plan.entries:
        plan.texts[entry.path] = _rewrite(plan.texts[entry.path], entry.path, plan)
    _report_orphans(plan)
    book_toml = _book_toml(meta, _chapter_list(plan))
    written = _write(destination, plan, book_toml)
    return ImportReport(destination, written, plan.order_source, tuple(plan.notes))


# --- checks --------------------------------------------------------------------------------------


def _checked_source(source: Path) -> Path:
    if not source.is_dir():
        raise BuilderError(f"{source} is not a folder; give the folder that holds the Markdown files",
                           Location(source))
    resolved = source.resolve()
    leanpub = any((resolved / folder / "Book.txt").is_file() for folder in (".", "manuscript"))
    if not _markdown_files(resolved) and not leanpub:
        raise BuilderError(f"{source} holds no Markdown (.md) file to import", Location(source))
    return resolved


def _check_destination(destination: Path) -> None:
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BuilderError(f"{destination} already exists and is not an empty folder; give a new "
                           "folder for the book (nothing is overwritten)", Location(destination))


def _read(path: Path, source: Path, limit: int = MAX_TEXT_BYTES) -> bytes:
    """A file of the source folder, through the same one door as a book's files."""
    try:
        return BookFolder.at(source).read_bytes(path, limit)
    except Refused as exc:
        raise BuilderError(f"{exc}; nothing was imported", Location(path)) from exc


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _markdown_files(folder: Path) -> list[Path]:
    """Every Markdown file under *folder* (not in hidden or tool folders), naturally sorted."""
    found = [
        path for path in folder.rglob("*")
        if path.suffix.lower() in MARKDOWN_SUFFIXES and path.is_file()
        and not any(p.startswith(".") or p in SKIPPED_FOLDERS for p in path.relative_to(folder).parts[:-1])
    ]
    return sorted(found, key=lambda p: _natural_key(p.relative_to(folder)))


def _natural_key(path: Path) -> tuple[tuple[tuple[int, int | str], ...], ...]:
    """1, 2, 10 (not 1, 10, 2), part by part, ignoring case."""
    return tuple(
        tuple((0, int(chunk)) if chunk.isdigit() else (1, chunk.lower())
              for chunk in re.split(r"(\d+)", part) if chunk)
        for part in path.parts
    )


# --- order -----------------------------------------------------------------------------------------


def _order(source: Path) -> _Plan:
    for order_file in _order_files(source):
        if order_file.name == "Book.txt":
            return _from_leanpub(source, order_file)
        if order_file.name != "README.md" or _is_mostly_links(_decode(_read(order_file, source))[0]):
            plan = _from_order_file(source, order_file)
            if plan.entries or order_file.name != "README.md":
                return plan
    plan = _Plan(source, source, [], BY_FILE_NAMES)
    for path in _markdown_files(source):
        if path.stem.lower() in NOT_CHAPTERS and path.parent == source:
            continue
        if _inside(path, source):
            plan.entries.append(_Entry(path.resolve(), ""))
        else:
            plan.notes.append(f"{plan.where(path)}: a symbolic link out of the source folder; not followed")
    return plan


def _order_files(source: Path) -> list[Path]:
    """The files that may give the chapters' order, best first: mdBook's and GitBook's
    SUMMARY.md (in the book's source folder), Leanpub's Book.txt, a toc.md, a README.md."""
    folders = [source]
    mdbook_src = _string(_mdbook_table(source, []).get("src"))
    gitbook_root = _gitbook_root(source)
    folders += [source / name for name in (mdbook_src, gitbook_root, "src", "manuscript") if name]
    names = ("SUMMARY.md", "Book.txt", "toc.md")
    found = [folder / name for name in names for folder in folders]
    found.append(source / "README.md")
    for path in found:
        if os.path.lexists(path) and not _inside(path, source):
            raise BuilderError(f"{path.name} leads outside the source folder (a symbolic link); it is not "
                               "followed and nothing was imported", Location(path))
    return [path for path in found if path.is_file()]


def _gitbook_root(source: Path) -> str:
    """GitBook's `root:` (.gitbook.yaml) or `"root":` (book.json): where its SUMMARY.md is."""
    for name in (".gitbook.yaml", "book.json"):
        if (source / name).is_file():
            found = re.search(r"""^\s*"?root"?\s*:\s*["']?\.?/?([^"'\s,]*)""",
                              _decode(_read(source / name, source))[0], re.MULTILINE)
            if found and found.group(1):
                return found.group(1).rstrip("/")
    return ""


def _from_order_file(source: Path, order_file: Path) -> _Plan:
    """Chapters in the order a SUMMARY.md, toc.md or README.md lists them: links (in lists
    or not), headings after the first as part titles; a list without links is matched to
    the files by their headings."""
    plan = _Plan(source, order_file.parent.resolve(), [], order_file.name)
    text = _decode(_read(order_file, source))[0]
    first_text_line = next((line for line in text.splitlines() if line.strip()), "")
    seen: set[Path] = set()
    part = ""
    for line in _prose_lines(text):
        heading = _ATX.match(line)
        if heading and line != first_text_line:
            part = _plain_title(heading.group(2) or "")
            continue
        if not _LIST_ITEM.match(line) and plan.entries and part and _LINK.search(line):
            part = ""  # mdBook's suffix chapters: plain links after the last part's list
        for match in _LINK.finditer(line):
            _add_listed(plan, order_file, seen, match.group(1).strip(), match.group(2), part)
    if not plan.entries and not any(_LINK.search(line) for line in _prose_lines(text)):
        _match_titles(plan, text, seen)
    return plan


_LINK = re.compile(r"(?<!!)" + _LINK_TEXT + r"\(\s*<?([^)>\s]*)>?[^)]*\)")


def _add_listed(plan: _Plan, order_file: Path, seen: set[Path], title: str, target: str, part: str) -> None:
    name = order_file.name
    if not target:
        plan.notes.append(f"{name}: draft chapter {title!r} has no file (empty link); left out")
        return
    path = _local_markdown(target, order_file.parent)
    if path is None:
        return
    if not _inside(path, plan.source):
        plan.notes.append(f"{name}: {target!r} is outside the source folder; not followed")
    elif not path.is_file():
        plan.notes.append(f"{name}: {title!r} links to {target!r}, which does not exist; left out")
    elif path.resolve() in seen:
        if "#" not in target:  # a sub-entry with an anchor is a section of a listed chapter
            plan.notes.append(f"{name}: {target!r} is listed twice; imported once, at its first place")
    else:
        seen.add(path.resolve())
        plan.entries.append(_Entry(path.resolve(), _plain_title(title), part))


def _plain_title(title: str) -> str:
    """Link or heading text as a title: no HTML, code marks or emphasis (the file's own
    heading keeps them)."""
    return " ".join(re.sub(r"[`*_]", "", re.sub(r"<[^>]*>", "", title)).split())


def _match_titles(plan: _Plan, text: str, seen: set[Path]) -> None:
    """A toc that lists titles without links: each list item or heading is matched to the
    file whose first heading (or name) says the same."""
    by_title: dict[str, Path] = {}
    for path in _markdown_files(plan.source):
        lines = _decode(_read(path, plan.source))[0].split("\n")
        for title in (_first_heading(lines), _readable(path.stem)):
            if title:
                by_title.setdefault(_title_key(title), path.resolve())
    part = ""
    for line in _prose_lines(text)[1:]:
        heading = _ATX.match(line)
        item = _LIST_ITEM.match(line)
        if not (heading or item):
            continue
        title = (heading.group(2) or "") if heading else line[item.end():] if item else ""
        found = by_title.get(_title_key(title))
        if found is None and heading:
            part = title.strip()
        elif found is None:
            plan.notes.append(f"{plan.order_source}: no file has the title {title.strip()!r}; left out")
        elif found not in seen:
            seen.add(found)
            plan.entries.append(_Entry(found, title.strip(), part))


def _title_key(title: str) -> str:
    return slugify(re.sub(r"^(chapter\s+)?[\divxlc]+[.:)]\s+", "", title.strip(), flags=re.IGNORECASE))


def _from_leanpub(source: Path, book_txt: Path) -> _Plan:
    """Leanpub's Book.txt: one chapter file name a line, relative to its folder."""
    plan = _Plan(source, book_txt.parent.resolve(), [], "Book.txt")
    for line in _decode(_read(book_txt, source))[0].splitlines():
        name = line.strip()
        if not name or name.startswith("#"):
            continue
        path = book_txt.parent / name
        if not _inside(path, source) or not path.is_file():
            plan.notes.append(f"Book.txt: {name!r} is not a file in the source folder; left out")
        elif path.suffix.lower() in (*MARKDOWN_SUFFIXES, ".txt", ".markua"):
            plan.entries.append(_Entry(path.resolve(), ""))
    return plan


def _local_markdown(target: str, base: Path) -> Path | None:
    """The Markdown file a link points at, or None for web links and other files."""
    parts = urlsplit(target)
    path = unquote(parts.path)
    if parts.scheme or parts.netloc or not path.lower().endswith(MARKDOWN_SUFFIXES):
        return None
    return base / path


def _is_mostly_links(text: str) -> bool:
    lines = [line for line in _prose_lines(text) if line.strip() and not _ATX.match(line)]
    links = [line for line in lines if _LIST_ITEM.match(line) and re.search(r"\]\([^)]*\.md\b", line)]
    return len(links) >= 2 and len(links) >= README_LINK_SHARE * len(lines)


def _prose_lines(text: str) -> list[str]:
    """The lines of *text* outside fenced code blocks."""
    return [line for line, code in _marked_lines(text.replace("\r", "")) if not code]


def _marked_lines(text: str) -> Iterator[tuple[str, bool]]:
    """Each line of *text*, and whether it is code (a fence's marks count as code)."""
    fence = ""
    for line in text.split("\n"):
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
            yield line, True
        else:
            fence = opening.group(1) if opening else ""
            yield line, bool(opening)


# --- chapters ------------------------------------------------------------------------------------


def _name_chapters(plan: _Plan) -> None:
    for number, entry in enumerate(plan.entries, start=1):
        stem = entry.path.stem
        if stem.lower() in ("readme", "index") and entry.path.parent != plan.root:
            stem = entry.path.parent.name  # mdBook's sub/README.md: the folder names the chapter
        stem = re.sub(r"^\d+[\s._-]+(?=\w)", "", stem)  # `10-end`: the new number replaces the old
        plan.names[entry.path] = f"{number:02d}-{slugify(stem)}.md"


def _decode(data: bytes) -> tuple[str, bool]:
    """The text with `\\n` line ends, and whether it was UTF-8 (else read as Windows-1252)."""
    try:
        text, utf8 = data.decode("utf-8-sig"), True
    except UnicodeDecodeError:
        text, utf8 = data.decode("cp1252", errors="replace"), False
    return text.replace("\r\n", "\n").replace("\r", "\n"), utf8


def _read_markdown(path: Path, plan: _Plan) -> str:
    text, utf8 = _decode(_read(path, plan.source))
    if not utf8:
        plan.notes.append(f"{plan.where(path)}: not UTF-8; read as Windows-1252 and saved as UTF-8: "
                          "check its accented letters")
    text = _without_front_matter(text, path, plan)
    expanded = expand(text, path, BookFolder.at(plan.within), plan.flavour, plan.variables)
    plan.notes += expanded.notes
    text = _without_heading_anchors(expanded.text)
    if CONTROL_CHARACTERS.search(text):
        plan.notes.append(f"{plan.where(path)}: control characters (a book cannot hold them) left out")
        text = CONTROL_CHARACTERS.sub("", text)
    return text.rstrip("\n") + "\n"


def _without_heading_anchors(text: str) -> str:
    """GitBook writes `## Title <a href="#title" id="title"></a>`: the builder gives each heading
    its id (the same slug), so the empty anchor would only repeat it."""
    return "\n".join(_EMPTY_ANCHOR.sub("", line).rstrip() if not code and _ATX.match(line) else line
                     for line, code in _marked_lines(text))


_EMPTY_ANCHOR = re.compile(r"\s*<a\b[^>]*>\s*</a>", re.IGNORECASE)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


def _without_front_matter(text: str, path: Path, plan: _Plan) -> str:
    """YAML front matter (Jekyll, Hugo, MkDocs, Leanpub) is not text: its title becomes the
    chapter's heading where the file has none; the rest is left out."""
    found = _FRONT_MATTER.match(text)
    if not found:
        return text
    try:
        data = yaml.safe_load(found.group(1) or "")
    except yaml.YAMLError:
        return text  # a rule and a setext heading, not front matter
    if not isinstance(data, dict):
        return text
    rest = text[found.end():]
    role = str(data.get("role", "")).strip().lower()
    role = ROLE_SPELLINGS.get(role, role)
    if role in ROLES and role != "chapter":
        plan.roles[path] = role
    title = data.get("title")
    if isinstance(title, str) and title.strip() and not _first_heading(rest.split("\n")):
        rest = f"# {title.strip()}\n\n{rest}"
    plan.notes.append(f"{plan.where(path)}: its front matter ({', '.join(map(str, data))}) is left out")
    return rest


def _with_heading(text: str, entry: _Entry, plan: _Plan) -> str:
    """The text opening with a level-1 heading: its own (a lower one is promoted, the headings
    under it with it), or one made from the best title known."""
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    level, own_title = _heading_at(lines, first)
    if level == 1:
        return "\n".join(lines[first:])
    if level and own_title:
        setext = first + 1 < len(lines) and bool(_SETEXT.match(lines[first + 1])) and \
            not _ATX.match(lines[first])
        rest = _lifted("\n".join(lines[first + (2 if setext else 1):]), level - 1)
        return f"# {own_title}\n{rest}"
    title = entry.title or _first_heading(lines) or _readable(entry.path.stem)
    return "\n".join([f"# {title}", "", *lines[first:]])


def _lifted(text: str, by: int) -> str:
    """ATX headings outside code raised *by* levels (none above level 2)."""
    out = []
    for line, code in _marked_lines(text):
        heading = None if code else _ATX.match(line)
        if heading:
            line = line.replace(heading.group(1), "#" * max(2, len(heading.group(1)) - by), 1)
        out.append(line)
    return "\n".join(out)


def _heading_at(lines: list[str], index: int) -> tuple[int, str]:
    """(level, text) of the heading on line *index*, or (0, "")."""
    line = lines[index] if index < len(lines) else ""
    atx = _ATX.match(line)
    if atx:
        return len(atx.group(1)), (atx.group(2) or "").strip()
    underline = lines[index + 1] if index + 1 < len(lines) else ""
    setext = _SETEXT.match(underline)
    if line.strip() and setext and not _LIST_ITEM.match(line):
        return (1 if setext.group(1)[0] == "=" else 2), line.strip()
    return 0, ""


def _first_heading(lines: list[str]) -> str:
    prose = _prose_lines("\n".join(lines))
    return next((title for i in range(len(prose)) for level, title in [_heading_at(prose, i)]
                 if level and title), "")


def _readable(stem: str) -> str:
    """`03-getting_started` -> `Getting started`."""
    words = re.sub(r"^\d+[\s._-]*", "", stem).replace("_", " ").replace("-", " ").split()
    text = " ".join(words) or stem
    return text[:1].upper() + text[1:]


def _drop_empty(plan: _Plan) -> None:
    """A listed file with no text once its directives are gone (Leanpub's `{frontmatter}`-only
    files) is no chapter."""
    for entry in [e for e in plan.entries if not plan.texts[e.path].strip()]:
        plan.entries.remove(entry)
        plan.notes.append(f"{plan.where(entry.path)}: nothing left to read once its directives are "
                          "carried out; not a chapter")
    if not plan.entries:
        raise BuilderError("no chapter could be imported: every listed file is empty", Location(plan.source))


def _drop_repeated_book_title(plan: _Plan, book_title: str) -> None:
    """A heading that repeats the book's title at the top of most files is the book's, not the
    chapters' (each would be a duplicate title): it is left out."""
    def opening(text: str) -> tuple[int, str]:
        lines = text.split("\n")
        first = next((i for i, line in enumerate(lines) if line.strip()), 0)
        return first, _heading_at(lines, first)[1]

    repeated = [e for e in plan.entries if slugify(opening(plan.texts[e.path])[1]) == slugify(book_title)]
    if len(repeated) < 2:
        return
    for entry in repeated:
        lines = plan.texts[entry.path].split("\n")
        first = opening(plan.texts[entry.path])[0]
        setext = first + 1 < len(lines) and _SETEXT.match(lines[first + 1]) and not _ATX.match(lines[first])
        plan.texts[entry.path] = "\n".join(lines[first + (2 if setext else 1):]).lstrip("\n")
    plan.notes.append(f"{len(repeated)} files open with the book's title {book_title!r}; that heading is "
                      "left out of each chapter")


def _unique_titles(plan: _Plan) -> None:
    """Chapters with the same title are told apart (the builder wants each to differ): by their
    part's title where that differs, else by a number; the report says so."""
    seen: dict[str, int] = {}
    for entry in plan.entries:
        lines = plan.texts[entry.path].split("\n")
        title = _heading_at(lines, 0)[1]
        count = seen[slugify(title)] = seen.get(slugify(title), 0) + 1
        if count == 1:
            continue
        new = f"{title} ({entry.part})" if entry.part and slugify(f"{title} ({entry.part})") not in seen \
            else f"{title} ({count})"
        seen[slugify(new)] = 1
        setext = len(lines) > 1 and _SETEXT.match(lines[1]) and not _ATX.match(lines[0])
        lines[:2 if setext else 1] = [f"# {new}"]
        plan.texts[entry.path] = "\n".join(lines)
        plan.notes.append(f"{plan.names[entry.path]}: another chapter is titled {title!r} too; this one is "
                          f"now {new!r}")


def _anchors(text: str) -> _Anchors:
    """The ids the builder will give this chapter's elements, and the heading anchors other
    tools (mdBook, GitHub) would have given, mapped to them ("" for the title: the chapter's start)."""
    from builder.manuscript import new_markdown  # the builder's own Markdown: the same ids

    root = lxml_html.fragment_fromstring(new_markdown().convert(text), create_parent="div")
    ids = frozenset(str(e.get("id")) for e in root.iter() if isinstance(e.tag, str) and e.get("id"))
    aliases: dict[str, str] = {}
    counts: dict[str, int] = {}
    for number, heading in enumerate(root.iter("h1", "h2", "h3", "h4", "h5", "h6")):
        base = web_anchor(heading.text_content())
        alias = f"{base}-{counts[base]}" if base in counts else base
        counts[base] = counts.get(base, 0) + 1
        target = "" if number == 0 and heading.tag == "h1" else str(heading.get("id") or "")
        if (target or number == 0) and alias not in ids:
            aliases[alias] = target
    return _Anchors(ids, aliases)


# --- links and images ----------------------------------------------------------------------------


def _rewrite(text: str, chapter: Path, plan: _Plan) -> str:
    """Links and image paths rewritten for the book folder, outside code; then the links
    that used a reference definition which had to go become their text (anywhere in the file)."""
    dead: set[str] = set()
    runs = [(code, "\n".join(line for line, _ in run))
            for code, run in itertools.groupby(_marked_lines(text), key=lambda marked: marked[1])]
    runs = [(code, run if code else _rewrite_prose(run, chapter, plan, dead)) for code, run in runs]
    if dead:
        runs = [(code, run if code else _outside_code(run, lambda t, m: _sub(
            _REFERENCE_LINK, lambda found: _unlinked_reference(found, dead), t, m)[0])) for code, run in runs]
    return "\n".join(run for _, run in runs)


def _rewrite_prose(text: str, chapter: Path, plan: _Plan, dead: set[str]) -> str:
    """Links rewritten outside inline code; a link whose text holds code is still a link."""
    return _outside_code(text, lambda t, m: _rewrite_urls(t, m, chapter, plan, dead))


def _outside_code(text: str, rewrite: Callable[[str, str], str]) -> str:
    """*rewrite* given the text and the same text with inline code blanked, to match in."""
    return rewrite(text, _INLINE_CODE.sub(lambda code: "\0" * len(code.group(0)), text))


class _Found:
    """A match made in the masked text, its groups read from the text itself."""

    def __init__(self, match: re.Match[str], text: str) -> None:
        self._match, self._text = match, text

    def group(self, number: int = 0) -> str | None:
        start, end = self._match.span(number)
        return None if start < 0 else self._text[start:end]


def _sub(pattern: re.Pattern[str], replace: Callable[[_Found], str], text: str,
         masked: str) -> tuple[str, str]:
    """pattern.sub over *text*, matching in *masked* (the same length, code blanked)."""
    out, out_masked, last = [], [], 0
    for match in pattern.finditer(masked):
        new = replace(_Found(match, text))
        out += [text[last:match.start()], new]
        out_masked += [masked[last:match.start()], "\0" * len(new)]
        last = match.end()
    return "".join(out) + text[last:], "".join(out_masked) + masked[last:]


def _rewrite_urls(text: str, masked: str, chapter: Path, plan: _Plan, dead: set[str]) -> str:
    def inline(match: _Found) -> str:
        bang, label, raw = match.group(1) or "", match.group(2) or "", match.group(3) or ""
        title = match.group(4) or ""
        url = _MARKDOWN_ESCAPE.sub(r"\1", raw[1:-1] if raw.startswith("<") else raw)
        if bang:
            if not label.strip():
                label = _stand_in_alt(url)
                plan.notes.append(f"{plan.where(chapter)}: the image {url!r} has no alt text; it is now "
                                  f"{label!r}: describe what it shows")
            new = _image_url(url, chapter, plan)
            if new is None:
                return f"[{label}]({url})" if _is_web(url) else ""
            return f"![{label}]({new}{title})"
        new = _link_url(url, chapter, plan)
        return label if new is None else f"[{label}]({new}{title})"

    def reference(match: _Found) -> str:
        raw, start = match.group(2) or "", match.group(1) or ""
        url = raw[1:-1] if raw.startswith("<") else raw
        if PurePosixPath(urlsplit(url).path).suffix.lower() in IMAGE_SUFFIXES:
            return start + (_image_url(url, chapter, plan) or url)
        new = _link_url(url, chapter, plan)
        if new is None:  # the definition goes; its links become their text, below
            dead.add(_reference_key(start.strip()[1:start.strip().rindex("]")]))
            return ""
        return start + new

    def html(match: _Found) -> str:
        tag, name = match.group(0) or "", (match.group(1) or "").lower()
        source_url = _HTML_URL.search(tag)
        src = source_url.group(2).strip("\"'") if source_url else ""
        if name == "img" and src and _image_url(src, chapter, plan) is None:
            alt = _HTML_ALT.search(tag)
            text = html_escape(alt.group(1).strip("\"'")) if alt else "Image"
            return f'<a href="{html_escape(src)}">{text}</a>' if _is_web(src) else ""
        if name == "img" and not _HTML_ALT.search(tag):
            stand_in = _stand_in_alt(src)
            tag = re.sub(r"\salt\s*=\s*(\"\s*\"|'\s*')", "", tag)
            tag = re.sub(r"^<img\b", f'<img alt="{html_escape(stand_in)}"', tag, flags=re.IGNORECASE)
            plan.notes.append(f"{plan.where(chapter)}: an <img> has no alt text; it is now {stand_in!r}: "
                              "describe what it shows")

        def attribute(value: re.Match[str]) -> str:
            raw = value.group(2)
            quote_mark = raw[0] if raw[0] in "\"'" else '"'
            url = raw.strip("\"'")
            if name == "a":  # an <a> that goes nowhere the book has loses its href: its text stays
                new = _link_url(url, chapter, plan)
                return "" if new is None else f"{value.group(1)}{quote_mark}{new}{quote_mark}"
            new = _image_url(url, chapter, plan) or url
            return f"{value.group(1)}{quote_mark}{new}{quote_mark}"

        return _HTML_URL.sub(attribute, tag)

    for pattern, replace in ((_INLINE_LINK, inline), (_REFERENCE, reference), (_HTML_TAG, html)):
        text, masked = _sub(pattern, replace, text, masked)
    return text


# [text][ref], [text][] and [ref]: links to a reference definition.
_REFERENCE_LINK = re.compile(r"(?<![!\]\\])" + _LINK_TEXT + r"(?:\[([^\]\n]*)\])?(?![(:\[])")


_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _stand_in_alt(url: str) -> str:
    """Alt text for an image that has none: what its file name says, until the author writes better."""
    return "Image: " + (_readable(PurePosixPath(unquote(urlsplit(url).path)).stem) or "untitled")


def _reference_key(label: str) -> str:
    return " ".join(label.split()).casefold()


def _unlinked_reference(match: _Found, dead: set[str]) -> str:
    text, ref = match.group(1) or "", match.group(2)
    return text if _reference_key(ref or text) in dead else match.group(0) or ""


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return not (parts.scheme or parts.netloc or url.startswith("//"))


def _link_url(url: str, chapter: Path, plan: _Plan, unlinked: str = "is now plain text") -> str | None:
    """The link's new URL; None when it points nowhere the book has (the text stays, unlinked)."""
    if not _is_local(url) or not url:
        return url
    parts = urlsplit(url)
    fragment = unquote(parts.fragment).removeprefix("user-content-")
    target = _linked_chapter(parts.path, chapter, plan) if parts.path else chapter
    if target is None:
        return _web_copy(url, chapter, plan, unlinked)
    name = "" if target == chapter and not parts.path else plan.names[target]
    if not fragment:
        return name or url
    anchor = _fragment(fragment, target, plan)
    if anchor is None and not name:  # Leanpub's and the builder's `#id` reach the whole book
        elsewhere = [(other, a) for other in plan.anchors if (a := _fragment(fragment, other, plan))]
        if elsewhere:
            return f"{plan.names[elsewhere[0][0]]}#{elsewhere[0][1]}"
    if anchor is None and not name:
        plan.notes.append(f"{plan.where(chapter)}: the link to '#{fragment}' finds no heading with that "
                          f"anchor; the link {unlinked}")
        return None
    if anchor is None:
        plan.notes.append(f"{plan.names[target]}: has no heading with the anchor '#{fragment}'; links to it "
                          "now go to the chapter's start")
    return f"{name}#{anchor}" if anchor else name or plan.names[target]


def _linked_chapter(path: str, chapter: Path, plan: _Plan) -> Path | None:
    """The imported chapter a link's path names: the file, mdBook's .html for it, a folder's
    README.md or index.md."""
    path = unquote(path)
    path = path.rstrip("/") if path.rstrip("/").lower().endswith((*MARKDOWN_SUFFIXES, ".html")) else path
    target = Path(os.path.normpath(chapter.parent / path))
    tries = [target, target.with_suffix(".md")] if target.suffix.lower() in (".html", ".htm") else [target]
    if path.endswith("/") or not target.suffix:
        tries += [target / "README.md", target / "index.md"]
    if target.name.lower() in ("index.html", "index.htm"):  # mdBook publishes README.md as index.html
        tries.append(target.parent / "README.md")
    found = [t for t in tries if _inside(t, plan.source) and t.resolve() in plan.names]
    return found[0].resolve() if found else None


def _web_copy(url: str, chapter: Path, plan: _Plan, unlinked: str) -> str | None:
    """A link to a file the book does not hold: to its web copy (the base URL), else unlinked."""
    if plan.base_url:
        page = chapter.relative_to(plan.root) if chapter.is_relative_to(plan.root) else Path(chapter.name)
        address = urljoin(urljoin(plan.base_url, page.with_suffix(".html").as_posix()), url)
        file_part, mark, fragment = address.partition("#")
        if file_part.endswith(".md"):
            file_part = file_part[:-3] + ".html"
        return file_part + mark + fragment
    why = "is outside the source folder" if not _inside(chapter.parent / unquote(urlsplit(url).path),
                                                          plan.source) else "goes to no imported chapter"
    plan.notes.append(f"{plan.where(chapter)}: the link to {url!r} {why}; the link {unlinked} "
                      "(give --base-url to link to the book's web copy)")
    return None


def _fragment(fragment: str, target: Path, plan: _Plan) -> str | None:
    """The builder's id for an anchor in *target*; "" for its title (the chapter's start);
    None when it has no such anchor."""
    anchors = plan.anchors[target]
    if fragment in anchors.ids:
        return fragment
    return anchors.aliases.get(fragment)


def _image_url(url: str, chapter: Path, plan: _Plan) -> str | None:
    """The image's path under chapters/ (the file is copied there); None when the book cannot
    hold it (on the web, outside the source, missing), with the reason in the report."""
    parts = urlsplit(url)
    if _is_web(url):
        plan.notes.append(f"{plan.where(chapter)}: the image {url!r} is on the web (the builder fetches "
                          "nothing): it is now a link; download it into the book to show it")
        return None
    if not parts.path:
        return url
    target = chapter.parent / unquote(parts.path)
    if not _inside(target, plan.source) or not target.resolve().is_file():
        why = "is outside the source folder" if not _inside(target, plan.source) else "does not exist"
        plan.notes.append(f"{plan.where(chapter)}: the image {url!r} {why}; left out")
        return None
    target = target.resolve()
    base = plan.root if target.is_relative_to(plan.root) else plan.source
    relative = target.relative_to(base).as_posix()
    if plan.images.setdefault(relative, target) != target:
        relative = "more/" + target.relative_to(plan.source).as_posix()
        plan.images[relative] = target
    return quote(relative)


def _is_web(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https", "ftp") or url.startswith("//")


# --- the orphans ---------------------------------------------------------------------------------


def _report_orphans(plan: _Plan) -> None:
    order_file = plan.root / plan.order_source
    why = ("a project file, not a chapter" if plan.order_source == BY_FILE_NAMES
           else f"not in {plan.order_source}")
    for path in _markdown_files(plan.source):
        if path.resolve() not in plan.names and path.resolve() != order_file.resolve():
            plan.notes.append(f"{plan.where(path)}: {why}, left out")


# --- book.toml -----------------------------------------------------------------------------------


def _metadata(source: Path, plan: _Plan, base_url: str = "") -> dict[str, Any]:
    """book.toml's keys from mdBook's book.toml, GitBook's book.json, the README's heading or
    the folder's name; base_url from the option, else from mdBook's site-url when it is one."""
    config = _mdbook_config(source, plan.notes)
    book = config.get("book", {}) if isinstance(config.get("book"), dict) else {}
    gitbook = _gitbook_json(source)
    title = (_string(book.get("title")) or _string(gitbook.get("title")) or _readme_title(source)
             or _readable(source.name))
    authors = [a.strip() for a in book.get("authors", []) if isinstance(a, str) and a.strip()]
    authors = authors or [a for a in [_string(gitbook.get("author"))] if a]
    if not authors:
        authors = ["Unknown"]
        plan.notes.append("book/book.toml: no author found; authors = [\"Unknown\"]: put in the real names")
    language = _string(book.get("language")) or _string(gitbook.get("language")) or "en"
    meta: dict[str, Any] = {"title": title, "authors": authors, "language": language}
    description = _string(book.get("description")) or _string(gitbook.get("description"))
    if description:
        meta["description"] = description
    html = config.get("output", {}).get("html", {}) if isinstance(config.get("output"), dict) else {}
    site = _string(html.get("site-url")) if isinstance(html, dict) else ""
    base_url = base_url or (site if re.match(r"^https?://", site) else "")
    if base_url:
        meta["base_url"] = base_url
    return meta


def _mdbook_table(source: Path, notes: list[str]) -> dict[str, Any]:
    book = _mdbook_config(source, notes).get("book", {})
    return book if isinstance(book, dict) else {}


def _mdbook_config(source: Path, notes: list[str]) -> dict[str, Any]:
    """mdBook's book.toml: in the source folder, or beside it when the source is the book's
    `src` folder (the one file read from outside the source, and only when it names it)."""
    path = source / "book.toml"
    outside = source.parent / "book.toml"
    if not os.path.lexists(path) and outside.is_file():
        try:
            data = tomllib.loads(_decode(BookFolder.at(source.parent).read_bytes(outside, 1 << 20))[0])
        except (Refused, tomllib.TOMLDecodeError):
            return {}
        book = data.get("book", {})
        src = book.get("src", "src") if isinstance(book, dict) else "src"
        return data if isinstance(src, str) and (source.parent / src).resolve() == source else {}
    if not os.path.lexists(path):
        return {}
    try:
        return tomllib.loads(_decode(_read(path, source))[0])
    except tomllib.TOMLDecodeError as exc:
        notes.append(f"book.toml: not TOML ({exc}); its title and authors are not used")
        return {}


def _flavour(source: Path, plan: _Plan) -> Flavour:
    """Which tool the source was written for: its directives are that tool's."""
    if plan.order_source == "Book.txt":
        return "leanpub"
    if any((source / name).exists() for name in (".gitbook.yaml", "book.json", ".gitbook")):
        return "gitbook"
    if _mdbook_table(source, []):
        return "mdbook"
    return "plain"  # a SUMMARY.md alone may be either's: what is unambiguous in both


def _flattened(variables: object, prefix: str = "") -> dict[str, str]:
    """book.json's nested variables as `{"a.b": "1"}`, as `{{ book.a.b }}` names them."""
    if not isinstance(variables, dict):
        return {prefix.rstrip("."): str(variables)} if prefix else {}
    return {key: value for name, inner in variables.items()
            for key, value in _flattened(inner, f"{prefix}{name}.").items()}


def _gitbook_json(source: Path) -> dict[str, Any]:
    path = source / "book.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(_decode(_read(path, source))[0])
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _string(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _readme_title(source: Path) -> str:
    readme = source / "README.md"
    if not os.path.lexists(readme):
        return ""
    for line in _prose_lines(_decode(_read(readme, source))[0]):
        heading = _ATX.match(line)
        if heading and heading.group(1) == "#" and heading.group(2):
            return heading.group(2).strip()
    return ""


def _chapter_list(plan: _Plan) -> list[str | tuple[str, list[str]]]:
    """book.toml's chapters: file names, and (part title, file names) for the runs in a part."""
    listed: list[str | tuple[str, list[str]]] = []
    for entry in plan.entries:
        name = f"chapters/{plan.names[entry.path]}"
        if not entry.part or entry.path in plan.roles:  # a dedication or an appendix is in no part
            listed.append(name)
        elif listed and isinstance(listed[-1], tuple) and listed[-1][0] == entry.part:
            listed[-1][1].append(name)
        else:
            listed.append((entry.part, [name]))
    return listed


def _book_toml(meta: dict[str, Any], chapters: list[str | tuple[str, list[str]]]) -> str:
    lines = ["# Made by `builder import`: check the title, authors and language.", ""]
    lines += [f"{key} = {_toml_value(value)}" for key, value in meta.items()]
    lines.append("chapters = [")
    for item in chapters:
        if isinstance(item, str):
            lines.append(f"  {_toml_value(item)},")
        else:
            lines.append(f"  {{ part = {_toml_value(item[0])}, chapters = [")
            lines += [f"    {_toml_value(name)}," for name in item[1]]
            lines.append("  ] },")
    lines += ["]", ""]
    return "\n".join(lines)


def _toml_value(value: str | list[str]) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    escapes = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
    return '"' + "".join(
        escapes.get(c, f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c) for c in value
    ) + '"'


# --- writing -------------------------------------------------------------------------------------


def _write(destination: Path, plan: _Plan, book_toml: str) -> tuple[Path, ...]:
    chapters_dir = destination / "chapters"
    _write_file(destination, destination / "book" / "book.toml", book_toml.encode("utf-8"))
    written = []
    for entry in plan.entries:
        path = chapters_dir / plan.names[entry.path]
        role = plan.roles.get(entry.path)
        text = f"---\nrole: {role}\n---\n{plan.texts[entry.path]}" if role else plan.texts[entry.path]
        _write_file(destination, path, text.encode("utf-8"))
        written.append(path)
    for relative, image in sorted(plan.images.items()):
        _write_file(destination, chapters_dir / PurePosixPath(relative),
                    _read(image, plan.source, MAX_IMAGE_BYTES))
    return tuple(written)


def _write_file(destination: Path, path: Path, data: bytes) -> None:
    if not _inside(path, destination):
        raise BuilderError(f"{path} would be outside {destination}; nothing more is written", Location(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)

