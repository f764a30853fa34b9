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

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from lxml import html as lxml_html

from builder.bookfolder import MAX_IMAGE_BYTES, MAX_TEXT_BYTES, BookFolder, Refused
from builder.config import slugify
from builder.errors import BuilderError, Location

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

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
_LINK_TEXT = r"\[((?:[^\[\]\\]|\\.|\[[^\[\]]*\])*)\]"
_INLINE_LINK = re.compile(
    r"(!?)" + _LINK_TEXT + r"\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
    r"(\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
_REFERENCE = re.compile(r"^( {0,3}\[[^\]\n]+\]:[ \t]*)(<[^>\n]*>|\S+)", re.MULTILINE)
_HTML_TAG = re.compile(r"<(img|a)\b[^>]*>", re.IGNORECASE)
_HTML_URL = re.compile(r"(\s(?:src|href)\s*=\s*)(\"[^\"]*\"|'[^']*'|[^\s\"'>]+)", re.IGNORECASE)
_HTML_ALT = re.compile(r"\salt\s*=\s*(\"\s*[^\"\s][^\"]*\"|'\s*[^'\s][^']*'|[^\s\"'>]+)", re.IGNORECASE)
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_MDBOOK_DIRECTIVE = re.compile(r"\{\{#(\w+)[^}\n]*\}\}")


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

    def where(self, path: Path) -> str:
        return path.relative_to(self.source).as_posix()


def import_book(source: Path, destination: Path) -> ImportReport:
    """Make a book folder at *destination* from the Markdown folder *source*."""
    source = _checked_source(source)
    _check_destination(destination)
    plan = _order(source)
    if not plan.entries and plan.order_source == BY_FILE_NAMES:
        raise BuilderError(f"no chapter to import: {source} holds only project files (README, LICENSE …)",
                           Location(source))
    if not plan.entries:
        raise BuilderError(f"no chapter could be imported: {plan.order_source} names no Markdown file "
                           "that exists in the folder", Location(plan.root / plan.order_source))
    _name_chapters(plan)
    for entry in plan.entries:
        plan.texts[entry.path] = _with_heading(_read_markdown(entry.path, plan), entry, plan)
    _report_duplicate_titles(plan)
    for entry in plan.entries:
        plan.anchors[entry.path] = _anchors(plan.texts[entry.path])
    for entry in plan.entries:
        plan.texts[entry.path] = _rewrite(plan.texts[entry.path], entry.path, plan)
    _report_orphans(plan)
    book_toml = _book_toml(_metadata(source, plan), _chapter_list(plan))
    written = _write(destination, plan, book_toml)
    return ImportReport(destination, written, plan.order_source, tuple(plan.notes))


# --- checks --------------------------------------------------------------------------------------


def _checked_source(source: Path) -> Path:
    if not source.is_dir():
        raise BuilderError(f"{source} is not a folder; give the folder that holds the Markdown files",
                           Location(source))
    resolved = source.resolve()
    if not _markdown_files(resolved):
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
    return [path for path in found if path.is_file() and _inside(path, source)]


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
            part = (heading.group(2) or "").strip()
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
    """Link text as a title: no code marks or emphasis (the file's own heading keeps them)."""
    return re.sub(r"[`*_]", "", title).strip()


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
    lines, fence = [], ""
    for line in text.splitlines():
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
        elif opening:
            fence = opening.group(1)
        else:
            lines.append(line)
    return lines


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
    for directive in sorted(set(_MDBOOK_DIRECTIVE.findall(text))):
        plan.notes.append(f"{plan.where(path)}: the mdBook directive {{{{#{directive} …}}}} is kept as "
                          "plain text; paste in what it stood for")
    return text.rstrip("\n") + "\n"


def _with_heading(text: str, entry: _Entry, plan: _Plan) -> str:
    """The text opening with a level-1 heading: its own, or one made from the best title known."""
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    if _heading_at(lines, first)[0] == 1:
        return "\n".join(lines[first:])
    level, own_title = _heading_at(lines, first)
    title = entry.title or _first_heading(lines) or _readable(entry.path.stem)
    if level and own_title == title:  # `## Title` opening the file: promote it, do not repeat it
        rest = lines[first + (2 if _SETEXT.match(lines[first + 1] if first + 1 < len(lines) else "") else 1):]
        return "\n".join([f"# {title}", *rest])
    return "\n".join([f"# {title}", "", *lines[first:]])


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


def _report_duplicate_titles(plan: _Plan) -> None:
    seen: dict[str, Path] = {}
    for entry in plan.entries:
        title = _heading_at(plan.texts[entry.path].split("\n"), 0)[1]
        if slugify(title) in seen:
            plan.notes.append(f"{plan.names[entry.path]}: the title {title!r} is also the title of "
                              f"{plan.names[seen[slugify(title)]]}; the builder wants each chapter's title "
                              "to differ: rename one")
        seen.setdefault(slugify(title), entry.path)


def _anchors(text: str) -> _Anchors:
    """The ids the builder will give this chapter's elements, and the heading anchors other
    tools (mdBook, GitHub) would have given, mapped to them."""
    from builder.manuscript import new_markdown  # the builder's own Markdown: the same ids

    root = lxml_html.fragment_fromstring(new_markdown().convert(text), create_parent="div")
    ids = frozenset(str(e.get("id")) for e in root.iter() if isinstance(e.tag, str) and e.get("id"))
    aliases: dict[str, str] = {}
    counts: dict[str, int] = {}
    for heading in root.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        base = "".join(c.lower() if c.isalnum() or c in "_-" else "-" if c.isspace() else ""
                       for c in _unsmart(heading.text_content().strip()))
        alias = f"{base}-{counts[base]}" if base in counts else base
        counts[base] = counts.get(base, 0) + 1
        if heading.get("id") and alias not in ids:
            aliases[alias] = str(heading.get("id"))
    return _Anchors(ids, aliases)


def _unsmart(text: str) -> str:
    """The heading text as typed: the builder's smart typography made `--` a dash, the other tools not."""
    return text.replace("\u2014", "---").replace("\u2013", "--")


# --- links and images ----------------------------------------------------------------------------


def _rewrite(text: str, chapter: Path, plan: _Plan) -> str:
    """Links and image paths rewritten for the book folder, outside code."""
    out: list[str] = []
    prose: list[str] = []
    fence = ""
    for line in text.split("\n"):
        opening = _FENCE.match(line)
        if fence:
            out.append(line)
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
        elif opening:
            out.extend(_rewrite_prose("\n".join(prose), chapter, plan).split("\n") if prose else [])
            prose, fence = [], opening.group(1)
            out.append(line)
        else:
            prose.append(line)
    if prose:
        out.extend(_rewrite_prose("\n".join(prose), chapter, plan).split("\n"))
    return "\n".join(out)


def _rewrite_prose(text: str, chapter: Path, plan: _Plan) -> str:
    pieces, last = [], 0
    for code in _INLINE_CODE.finditer(text):
        pieces += [_rewrite_urls(text[last:code.start()], chapter, plan), code.group(0)]
        last = code.end()
    pieces.append(_rewrite_urls(text[last:], chapter, plan))
    return "".join(pieces)


def _rewrite_urls(text: str, chapter: Path, plan: _Plan) -> str:
    def inline(match: re.Match[str]) -> str:
        bang, label, raw, title = match.group(1), match.group(2), match.group(3), match.group(4) or ""
        url = raw[1:-1] if raw.startswith("<") else raw
        if bang:
            if not label.strip():
                plan.notes.append(f"{plan.where(chapter)}: the image {url!r} has no alt text; the builder "
                                  "wants one: describe what it shows")
            return f"![{label}]({_image_url(url, chapter, plan)}{title})"
        new = _link_url(url, chapter, plan)
        return label if new is None else f"[{label}]({new}{title})"

    def reference(match: re.Match[str]) -> str:
        raw = match.group(2)
        url = raw[1:-1] if raw.startswith("<") else raw
        image = PurePosixPath(urlsplit(url).path).suffix.lower() in IMAGE_SUFFIXES
        return match.group(1) + _local_url(url, chapter, plan, image)

    def html(match: re.Match[str]) -> str:
        tag = match.group(0)
        if match.group(1).lower() == "img" and not _HTML_ALT.search(tag):
            plan.notes.append(f"{plan.where(chapter)}: an <img> has no alt text; the builder wants one")

        def attribute(value: re.Match[str]) -> str:
            raw = value.group(2)
            quote_mark = raw[0] if raw[0] in "\"'" else '"'
            url = raw.strip("\"'")
            new = _local_url(url, chapter, plan, image=match.group(1).lower() == "img")
            return f"{value.group(1)}{quote_mark}{new}{quote_mark}"

        return _HTML_URL.sub(attribute, tag)

    return _HTML_TAG.sub(html, _REFERENCE.sub(reference, _INLINE_LINK.sub(inline, text)))


def _local_url(url: str, chapter: Path, plan: _Plan, image: bool) -> str:
    """A URL from a reference definition or HTML: an image's or a link's; a link that goes nowhere
    is kept (it cannot be unlinked here) and reported."""
    if image:
        return _image_url(url, chapter, plan)
    new = _link_url(url, chapter, plan, unlinked="is kept; the builder will refuse it")
    return url if new is None else new


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return not (parts.scheme or parts.netloc or url.startswith("//"))


def _link_url(url: str, chapter: Path, plan: _Plan, unlinked: str = "is now plain text") -> str | None:
    """The link's new URL; None when it points at no imported chapter (the text stays, unlinked)."""
    if not _is_local(url) or not url:
        return url
    parts = urlsplit(url)
    if not parts.path:
        return "#" + _fragment(parts.fragment, chapter, plan, own=True) if parts.fragment else url
    target = _local_markdown(url, chapter.parent)
    if target is None:
        html_page = (chapter.parent / unquote(parts.path)).with_suffix(".md")  # mdBook links to pages too
        if parts.path.lower().endswith(".html") and html_page.resolve() in plan.names:
            target = html_page
        else:
            plan.notes.append(f"{plan.where(chapter)}: the link to {url!r} is not a chapter; left as it is")
            return url
    if not _inside(target, plan.source):
        plan.notes.append(f"{plan.where(chapter)}: the link to {url!r} is outside the source folder; "
                          f"not followed, the link {unlinked}")
        return None
    name = plan.names.get(target.resolve())
    if name is None:
        plan.notes.append(f"{plan.where(chapter)}: the link to {url!r} goes to a file that was not "
                          f"imported; the link {unlinked}")
        return None
    if not parts.fragment:
        return name
    fragment = _fragment(parts.fragment, target.resolve(), plan, own=False)
    return f"{name}#{fragment}" if fragment else name


def _fragment(fragment: str, target: Path, plan: _Plan, own: bool) -> str:
    """The builder's id for an anchor in *target*; "" (the chapter's start) when there is none."""
    anchors = plan.anchors[target]
    if fragment in anchors.ids:
        return fragment
    if fragment in anchors.aliases:
        return anchors.aliases[fragment]
    if own:
        plan.notes.append(f"{plan.where(target)}: the link to '#{fragment}' finds no heading with that "
                          "anchor; kept, the builder will refuse it")
        return fragment
    plan.notes.append(f"{plan.names[target]}: has no heading with the anchor '#{fragment}'; links to it "
                      "now go to the chapter's start")
    return ""


def _image_url(url: str, chapter: Path, plan: _Plan) -> str:
    """The image's path under chapters/ (the file is copied there); the URL as it was when it
    cannot be copied, with the reason in the report."""
    parts = urlsplit(url)
    if not _is_local(url) or not parts.path:
        if parts.scheme in ("http", "https", "ftp") or url.startswith("//"):
            plan.notes.append(f"{plan.where(chapter)}: the image {url!r} is on the web; the builder fetches "
                              "nothing: download it into the book")
        return url
    target = chapter.parent / unquote(parts.path)
    if not _inside(target, plan.source):
        plan.notes.append(f"{plan.where(chapter)}: the image {url!r} is outside the source folder; "
                          "not copied")
        return url
    target = target.resolve()
    if not target.is_file():
        plan.notes.append(f"{plan.where(chapter)}: the image {url!r} does not exist; not copied")
        return url
    base = plan.root if target.is_relative_to(plan.root) else plan.source
    relative = target.relative_to(base).as_posix()
    if plan.images.setdefault(relative, target) != target:
        relative = "more/" + target.relative_to(plan.source).as_posix()
        plan.images[relative] = target
    return quote(relative)


# --- the orphans ---------------------------------------------------------------------------------


def _report_orphans(plan: _Plan) -> None:
    order_file = plan.root / plan.order_source
    why = ("a project file, not a chapter" if plan.order_source == BY_FILE_NAMES
           else f"not in {plan.order_source}")
    for path in _markdown_files(plan.source):
        if path.resolve() not in plan.names and path.resolve() != order_file.resolve():
            plan.notes.append(f"{plan.where(path)}: {why}, left out")


# --- book.toml -----------------------------------------------------------------------------------


def _metadata(source: Path, plan: _Plan) -> dict[str, Any]:
    book = _mdbook_table(source, plan.notes)
    title = _string(book.get("title")) or _readme_title(source) or _readable(source.name)
    authors = [a.strip() for a in book.get("authors", []) if isinstance(a, str) and a.strip()]
    if not authors:
        authors = ["Unknown"]
        plan.notes.append("book/book.toml: no author found; authors = [\"Unknown\"]: put in the real names")
    meta: dict[str, Any] = {"title": title, "authors": authors,
                            "language": _string(book.get("language")) or "en"}
    if _string(book.get("description")):
        meta["description"] = _string(book.get("description"))
    return meta


def _mdbook_table(source: Path, notes: list[str]) -> dict[str, Any]:
    path = source / "book.toml"
    if not os.path.lexists(path):
        return {}
    try:
        data = tomllib.loads(_decode(_read(path, source))[0])
    except tomllib.TOMLDecodeError as exc:
        notes.append(f"book.toml: not TOML ({exc}); its title and authors are not used")
        return {}
    book = data.get("book", {})
    return book if isinstance(book, dict) else {}


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
        if not entry.part:
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
        _write_file(destination, path, plan.texts[entry.path].encode("utf-8"))
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

