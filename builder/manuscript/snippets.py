"""Includes: `--8<-- "file"` lines -> the text of that file of the book.

In: a chapter's text and the book folder. Out: the text with each snippet
line replaced by the file it names (pymdown-extensions' snippets, the syntax
MkDocs Material authors write: whole files, `file:3:9` line ranges,
`file:name` sections between `--8<-- [start:name]` and `[end:name]`), or the
problems: a file that is missing (with the book's file whose name is closest,
if one is close) or outside the book is an error at the line that names it.
Only files inside the book folder are read (symbolic links are followed only
where they stay inside it), never a URL. Done before the conversion, so the
cache keys on the text with its includes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import markdown
from pymdownx.snippets import SnippetMissingError

from builder import checks
from builder.bookfolder import MAX_TEXT_BYTES, BookFolder, Refused
from builder.errors import Problems, close_file

MARKER = "--8<--"
MAX_DEPTH = 10  # includes in includes this deep are checked; a deeper one is refused
_NAMED = re.compile(r"""^\s*(?:-{1,}8<-{1,}\s*)?["']?([^"'\s]+?)(?::[\w:-]*)?["']?\s*$""")


def _named_files(text: str) -> list[str]:
    """The file names the snippet lines give: `--8<-- "name"`, and the lines of a block
    between two bare `--8<--` lines."""
    names, in_block = [], False
    for line in text.split("\n"):
        if line.strip() == MARKER:
            in_block = not in_block
        elif (MARKER in line or in_block) and (found := _NAMED.match(line)):
            names.append(found.group(1))
    return names


def _first_refused(text: str, bases: tuple[Path, ...], folder: BookFolder, depth: int) -> str | None:
    """The first name, in *text* or in what it includes (as deep as snippets go), that leads out
    of the book folder or to a file too large; None when every one may be read."""
    for name in _named_files(text):
        for candidate in (base / name for base in bases):
            if not os.path.lexists(candidate):
                continue
            try:
                inner = folder.read_bytes(candidate, MAX_TEXT_BYTES).decode("utf-8", errors="replace")
            except (Refused, OSError):
                return name
            if depth >= MAX_DEPTH or _first_refused(inner, bases, folder, depth + 1) is not None:
                return name
    return None


def with_snippets(path: Path, text: str, book_root: Path, problems: Problems) -> str:
    """*text* with its snippets put in; as it was (and an error) when one cannot be read."""
    if MARKER not in text:
        return text
    refused = _first_refused(text, (book_root, path.parent), BookFolder.at(book_root), depth=0)
    if refused is not None:
        problems.error(f"the included file {refused!r} is outside the book folder (or a link out of it, or "
                       f"over {MAX_TEXT_BYTES // 1_000_000} MB); include only the book's own files",
                       checks.locate(path, text, refused))
        return text
    config = {"base_path": [str(book_root), str(path.parent)], "restrict_base_path": True,
              "check_paths": True, "url_download": False}
    reader = markdown.Markdown(extensions=["pymdownx.snippets"],
                               extension_configs={"pymdownx.snippets": config})
    try:
        return "\n".join(reader.preprocessors["snippet"].run(text.split("\n")))
    except SnippetMissingError as exc:
        name = str(exc).split("'")[1] if "'" in str(exc) else ""
        hint = close_file(name, BookFolder.at(book_root), [book_root, path.parent], ["**/*"]) if name else ""
        problems.error(f"the included file {name!r} is not in the book folder; name a file inside it, "
                       f"relative to the book or to this chapter{hint}",
                       checks.locate(path, text, name or MARKER))
    except (OSError, UnicodeDecodeError) as exc:
        problems.error(f"an included file cannot be read ({exc})", checks.locate(path, text, MARKER))
    return text
