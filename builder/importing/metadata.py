"""The book's metadata, and the book.toml the import writes.

In: the source folder: mdBook's book.toml (in it, or beside it when the source is
the book's `src` folder), GitBook's book.json, the README's first heading (not one
that names a page, such as "Introduction"), the folder's name (for Leanpub's
`manuscript` or mdBook's `src` folder, the README and name of the folder holding
it). Out: book.toml's keys (title, authors, language, description, and a base URL:
the option's, else mdBook's site-url), the flavour of the source's directives
(mdBook, GitBook, Leanpub or plain), GitBook's variables flattened; and the text
of the new book.toml, its chapters listed in their parts. A title from a folder's
name is noted, to be put right.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from builder.bookfolder import BookFolder, Refused
from builder.importing.directives import Flavour
from builder.importing.plan import ATX, Plan, read
from builder.importing.text import decode, prose_lines, readable


def metadata(source: Path, plan: Plan, base_url: str = "") -> dict[str, Any]:
    """book.toml's keys from mdBook's book.toml, GitBook's book.json, the README's heading or
    the folder's name; base_url from the option, else from mdBook's site-url when it is one."""
    config = _mdbook_config(source, plan.notes)
    book = config.get("book", {}) if isinstance(config.get("book"), dict) else {}
    gitbook = gitbook_json(source)
    named_for = _named_for(source)
    title = (string(book.get("title")) or string(gitbook.get("title")) or _readme_title(source, source)
             or (_readme_title(named_for, source) if named_for != source else ""))
    if not title:
        title = readable(named_for.name)
        plan.notes.append(f"book/book.toml: no title found; title = {title!r}, from the name of the folder "
                          f"{named_for.name!r}: put in the real title")
    authors = [a.strip() for a in book.get("authors", []) if isinstance(a, str) and a.strip()]
    authors = authors or [a for a in [string(gitbook.get("author"))] if a]
    if not authors:
        authors = ["Unknown"]
        plan.notes.append("book/book.toml: no author found; authors = [\"Unknown\"]: put in the real names")
    language = string(book.get("language")) or string(gitbook.get("language")) or "en"
    meta: dict[str, Any] = {"title": title, "authors": authors, "language": language}
    description = string(book.get("description")) or string(gitbook.get("description"))
    if description:
        meta["description"] = description
    html = config.get("output", {}).get("html", {}) if isinstance(config.get("output"), dict) else {}
    site = string(html.get("site-url")) if isinstance(html, dict) else ""
    base_url = base_url or (site if re.match(r"^https?://", site) else "")
    if base_url:
        meta["base_url"] = base_url
    return meta


def mdbook_table(source: Path, notes: list[str]) -> dict[str, Any]:
    book = _mdbook_config(source, notes).get("book", {})
    return book if isinstance(book, dict) else {}


def _mdbook_config(source: Path, notes: list[str]) -> dict[str, Any]:
    """mdBook's book.toml: in the source folder, or beside it when the source is the book's
    `src` folder (the one file read from outside the source, and only when it names it)."""
    path = source / "book.toml"
    outside = source.parent / "book.toml"
    if not os.path.lexists(path) and outside.is_file():
        try:
            data = tomllib.loads(decode(BookFolder.at(source.parent).read_bytes(outside, 1 << 20))[0])
        except (Refused, tomllib.TOMLDecodeError):
            return {}
        book = data.get("book", {})
        src = book.get("src", "src") if isinstance(book, dict) else "src"
        return data if isinstance(src, str) and (source.parent / src).resolve() == source else {}
    if not os.path.lexists(path):
        return {}
    try:
        return tomllib.loads(decode(read(path, source))[0])
    except tomllib.TOMLDecodeError as exc:
        notes.append(f"book.toml: not TOML ({exc}); its title and authors are not used")
        return {}


def flavour(source: Path, plan: Plan) -> Flavour:
    """Which tool the source was written for: its directives are that tool's."""
    if plan.order_source == "Book.txt":
        return "leanpub"
    if any((source / name).exists() for name in (".gitbook.yaml", "book.json", ".gitbook")):
        return "gitbook"
    if mdbook_table(source, []):
        return "mdbook"
    return "plain"  # a SUMMARY.md alone may be either's: what is unambiguous in both


def flattened(variables: object, prefix: str = "") -> dict[str, str]:
    """book.json's nested variables as `{"a.b": "1"}`, as `{{ book.a.b }}` names them."""
    if not isinstance(variables, dict):
        return {prefix.rstrip("."): str(variables)} if prefix else {}
    return {key: value for name, inner in variables.items()
            for key, value in flattened(inner, f"{prefix}{name}.").items()}


def gitbook_json(source: Path) -> dict[str, Any]:
    path = source / "book.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(decode(read(path, source))[0])
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def string(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


# A README's heading that names a page, not a book (GitBook's README is its first page).
_PAGE_NAMES = frozenset({"introduction", "intro", "preface", "foreword", "welcome", "overview", "about",
                         "readme", "home", "getting started", "table of contents", "contents", "index"})
# The folders other tools keep a book's text in, named for that and not for the book.
_TEXT_FOLDERS = frozenset({"manuscript", "src"})


def _named_for(source: Path) -> Path:
    """The folder named for the book: the source, or the folder that holds it when the source is
    Leanpub's `manuscript` or mdBook's `src` folder."""
    return source.parent if source.name.lower() in _TEXT_FOLDERS and source.parent != source else source


def _readme_title(folder: Path, source: Path) -> str:
    """The first level-1 heading of *folder*'s README.md, unless it names a page ("Introduction").
    *folder* is the source or the folder that holds it (the one README read from outside)."""
    readme = folder / "README.md"
    if not os.path.lexists(readme):
        return ""
    try:
        data = read(readme, source) if folder == source else BookFolder.at(folder).read_bytes(readme, 1 << 20)
    except Refused:
        return ""
    for line in prose_lines(decode(data)[0]):
        heading = ATX.match(line)
        if heading and heading.group(1) == "#" and heading.group(2):
            title = heading.group(2).strip()
            return "" if " ".join(re.findall(r"\w+", title.lower())) in _PAGE_NAMES else title
    return ""


# --- the written book.toml -----------------------------------------------------------------------


def chapter_list(plan: Plan) -> list[str | tuple[str, list[str]]]:
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


def book_toml(meta: dict[str, Any], chapters: list[str | tuple[str, list[str]]]) -> str:
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
