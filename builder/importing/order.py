"""Where the chapters come from, in which order, and the names they get.

In: the source folder (and the destination, only to check that it is new or
empty). Out: a Plan with its entries in the book's order, where that order came
from and notes on what was left out. The order comes from the first of:
mdBook's or GitBook's SUMMARY.md (in the source, in the folder book.toml's `src`
or GitBook's `root` names, in `src/` or `manuscript/`), Leanpub's Book.txt, a
toc.md (links, or titles matched to the files' headings), a README.md that is
mostly a list of links to .md files; else every Markdown file in natural order
(1, 2, 10), project files (README, LICENSE …) left out. Headings in an order
file are the parts' titles. `name_chapters` then gives each chapter its new file
name, NN-<slug>.md. An order file's links that leave the source folder are
reported, not followed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from builder.config import slugify
from builder.errors import BuilderError, Location
from builder.importing.metadata import mdbook_table, string
from builder.importing.plan import (
    ATX,
    BY_FILE_NAMES,
    LINK_TEXT,
    LIST_ITEM,
    MARKDOWN_SUFFIXES,
    Entry,
    Plan,
    inside,
    read,
)
from builder.importing.text import decode, first_heading, prose_lines, readable

ORDER_FILES = ("SUMMARY.md", "toc.md", "README.md")
# Project files that are not chapters when the order comes from file names.
NOT_CHAPTERS = frozenset({
    "readme", "summary", "toc", "license", "licence", "copying", "changelog", "changes", "history",
    "contributing", "code_of_conduct", "authors", "contributors", "notice", "security", "todo",
})
SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "venv"})
# A README.md is the order source when at least this share of its text lines are links to .md files.
README_LINK_SHARE = 0.6


# --- checks --------------------------------------------------------------------------------------


def checked_source(source: Path) -> Path:
    if not source.is_dir():
        raise BuilderError(f"{source} is not a folder; give the folder that holds the Markdown files",
                           Location(source))
    resolved = source.resolve()
    leanpub = any((resolved / folder / "Book.txt").is_file() for folder in (".", "manuscript"))
    if not markdown_files(resolved) and not leanpub:
        raise BuilderError(f"{source} holds no Markdown (.md) file to import", Location(source))
    return resolved


def check_destination(destination: Path) -> None:
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BuilderError(f"{destination} already exists and is not an empty folder; give a new "
                           "folder for the book (nothing is overwritten)", Location(destination))


def markdown_files(folder: Path) -> list[Path]:
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


def order(source: Path) -> Plan:
    for order_file in _order_files(source):
        if order_file.name == "Book.txt":
            return _from_leanpub(source, order_file)
        if order_file.name != "README.md" or _is_mostly_links(decode(read(order_file, source))[0]):
            plan = _from_order_file(source, order_file)
            if plan.entries or order_file.name != "README.md":
                return plan
    plan = Plan(source, source, [], BY_FILE_NAMES)
    for path in markdown_files(source):
        if path.stem.lower() in NOT_CHAPTERS and path.parent == source:
            continue
        if inside(path, source):
            plan.entries.append(Entry(path.resolve(), ""))
        else:
            plan.notes.append(f"{plan.where(path)}: a symbolic link out of the source folder; not followed")
    return plan


def _order_files(source: Path) -> list[Path]:
    """The files that may give the chapters' order, best first: mdBook's and GitBook's
    SUMMARY.md (in the book's source folder), Leanpub's Book.txt, a toc.md, a README.md."""
    folders = [source]
    mdbook_src = string(mdbook_table(source, []).get("src"))
    gitbook_root = _gitbook_root(source)
    folders += [source / name for name in (mdbook_src, gitbook_root, "src", "manuscript") if name]
    names = ("SUMMARY.md", "Book.txt", "toc.md")
    found = [folder / name for name in names for folder in folders]
    found.append(source / "README.md")
    for path in found:
        if os.path.lexists(path) and not inside(path, source):
            raise BuilderError(f"{path.name} leads outside the source folder (a symbolic link); it is not "
                               "followed and nothing was imported", Location(path))
    return [path for path in found if path.is_file()]


def _gitbook_root(source: Path) -> str:
    """GitBook's `root:` (.gitbook.yaml) or `"root":` (book.json): where its SUMMARY.md is."""
    for name in (".gitbook.yaml", "book.json"):
        if (source / name).is_file():
            found = re.search(r"""^\s*"?root"?\s*:\s*["']?\.?/?([^"'\s,]*)""",
                              decode(read(source / name, source))[0], re.MULTILINE)
            if found and found.group(1):
                return found.group(1).rstrip("/")
    return ""


def _from_order_file(source: Path, order_file: Path) -> Plan:
    """Chapters in the order a SUMMARY.md, toc.md or README.md lists them: links (in lists
    or not), headings after the first as part titles; a list without links is matched to
    the files by their headings."""
    plan = Plan(source, order_file.parent.resolve(), [], order_file.name)
    text = decode(read(order_file, source))[0]
    first_text_line = next((line for line in text.splitlines() if line.strip()), "")
    seen: set[Path] = set()
    part = ""
    for line in prose_lines(text):
        heading = ATX.match(line)
        if heading and line != first_text_line:
            part = _plain_title(heading.group(2) or "")
            continue
        if not LIST_ITEM.match(line) and plan.entries and part and _LINK.search(line):
            part = ""  # mdBook's suffix chapters: plain links after the last part's list
        for match in _LINK.finditer(line):
            _add_listed(plan, order_file, seen, match.group(1).strip(), match.group(2), part)
    if not plan.entries and not any(_LINK.search(line) for line in prose_lines(text)):
        _match_titles(plan, text, seen)
    return plan


_LINK = re.compile(r"(?<!!)" + LINK_TEXT + r"\(\s*<?([^)>\s]*)>?[^)]*\)")


def _add_listed(plan: Plan, order_file: Path, seen: set[Path], title: str, target: str, part: str) -> None:
    name = order_file.name
    if not target:
        plan.notes.append(f"{name}: draft chapter {title!r} has no file (empty link); left out")
        return
    path = _local_markdown(target, order_file.parent)
    if path is None:
        return
    if not inside(path, plan.source):
        plan.notes.append(f"{name}: {target!r} is outside the source folder; not followed")
    elif not path.is_file():
        plan.notes.append(f"{name}: {title!r} links to {target!r}, which does not exist; left out")
    elif path.resolve() in seen:
        if "#" not in target:  # a sub-entry with an anchor is a section of a listed chapter
            plan.notes.append(f"{name}: {target!r} is listed twice; imported once, at its first place")
    else:
        seen.add(path.resolve())
        plan.entries.append(Entry(path.resolve(), _plain_title(title), part))


def _plain_title(title: str) -> str:
    """Link or heading text as a title: no HTML, code marks or emphasis (the file's own
    heading keeps them)."""
    return " ".join(re.sub(r"[`*_]", "", re.sub(r"<[^>]*>", "", title)).split())


def _match_titles(plan: Plan, text: str, seen: set[Path]) -> None:
    """A toc that lists titles without links: each list item or heading is matched to the
    file whose first heading (or name) says the same."""
    by_title: dict[str, Path] = {}
    for path in markdown_files(plan.source):
        lines = decode(read(path, plan.source))[0].split("\n")
        for title in (first_heading(lines), readable(path.stem)):
            if title:
                by_title.setdefault(_title_key(title), path.resolve())
    part = ""
    for line in prose_lines(text)[1:]:
        heading = ATX.match(line)
        item = LIST_ITEM.match(line)
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
            plan.entries.append(Entry(found, title.strip(), part))


def _title_key(title: str) -> str:
    return slugify(re.sub(r"^(chapter\s+)?[\divxlc]+[.:)]\s+", "", title.strip(), flags=re.IGNORECASE))


def _from_leanpub(source: Path, book_txt: Path) -> Plan:
    """Leanpub's Book.txt: one chapter file name a line, relative to its folder."""
    plan = Plan(source, book_txt.parent.resolve(), [], "Book.txt")
    for line in decode(read(book_txt, source))[0].splitlines():
        name = line.strip()
        if not name or name.startswith("#"):
            continue
        path = book_txt.parent / name
        if not inside(path, source) or not path.is_file():
            plan.notes.append(f"Book.txt: {name!r} is not a file in the source folder; left out")
        elif path.suffix.lower() in (*MARKDOWN_SUFFIXES, ".txt", ".markua"):
            plan.entries.append(Entry(path.resolve(), ""))
    return plan


def _local_markdown(target: str, base: Path) -> Path | None:
    """The Markdown file a link points at, or None for web links and other files."""
    parts = urlsplit(target)
    path = unquote(parts.path)
    if parts.scheme or parts.netloc or not path.lower().endswith(MARKDOWN_SUFFIXES):
        return None
    return base / path


def _is_mostly_links(text: str) -> bool:
    lines = [line for line in prose_lines(text) if line.strip() and not ATX.match(line)]
    links = [line for line in lines if LIST_ITEM.match(line) and re.search(r"\]\([^)]*\.md\b", line)]
    return len(links) >= 2 and len(links) >= README_LINK_SHARE * len(lines)


# --- naming --------------------------------------------------------------------------------------


def name_chapters(plan: Plan) -> None:
    for number, entry in enumerate(plan.entries, start=1):
        stem = entry.path.stem
        if stem.lower() in ("readme", "index") and entry.path.parent != plan.root:
            stem = entry.path.parent.name  # mdBook's sub/README.md: the folder names the chapter
        stem = re.sub(r"^\d+[\s._-]+(?=\w)", "", stem)  # `10-end`: the new number replaces the old
        plan.names[entry.path] = f"{number:02d}-{slugify(stem)}.md"
