"""The live preview's drafted chapters, kept in memory from one read of the book to the next.

In: a chapter's DraftInputs (builder.manuscript.chapter: its text with its
includes, number, file and slug, the book.toml settings drafting reads, the
book folder, the builder's and Python-Markdown's versions) and, the first time,
the draft made from them. Out: on a later read with equal inputs, and the files
its images were looked for at holding the same bytes (or still missing), a copy
of that draft, its problems said again and its images given to the book, so an
unchanged chapter is neither converted nor checked again. What depends on the
whole book (links across chapters, caption numbers, citations, the index, the
nav) is done again on the copies by builder.manuscript, as without the cache.

A draft with an error is not kept (a "did you mean" reads the folder's file
names, which no key holds), nor one whose image files changed while it was made.
`serve` keeps one DraftCache and passes it to each read_book; a build drafts
each chapter once and passes none. One read at a time.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from builder.bookfolder import MAX_IMAGE_BYTES, BookFolder, Refused
from builder.errors import Problems
from builder.model import BookImage, Diagnostic

if TYPE_CHECKING:  # builder.manuscript imports this module
    from builder.manuscript.chapter import ChapterDraft, DraftInputs

# A file written this long before the read began, or later, may hold bytes other than the
# draft read (a file's time comes from a coarse clock); the draft is then not kept.
RACY_NS = 1_000_000_000


@dataclass(frozen=True)
class _Kept:
    draft: ChapterDraft  # never handed out, only copies: the book-wide stages edit their trees
    problems: tuple[Diagnostic, ...]
    files: tuple[tuple[Path, str | None], ...]  # each file its images were looked for at, and its digest


def _digest(folder: BookFolder, path: Path) -> str | None:
    """What *path* holds now: a digest of its bytes; None where nothing is there."""
    if not os.path.lexists(path):
        return None
    try:
        return hashlib.sha256(folder.read_bytes(path, MAX_IMAGE_BYTES)).hexdigest()
    except Refused as exc:
        return f"refused: {exc}"


def _written_since(paths: Iterable[Path], since_ns: int) -> bool:
    for path in paths:
        try:
            if os.stat(path).st_mtime_ns >= since_ns - RACY_NS:
                return True
        except OSError:
            continue  # not there: its digest says so
    return False


class DraftCache:
    def __init__(self) -> None:
        self._kept: dict[DraftInputs, _Kept] = {}
        self._read_began = 0  # ns; before it, no image of this read was read

    def begin(self, wanted: Iterable[DraftInputs]) -> set[DraftInputs]:
        """A read of the book begins: which of *wanted* have a draft kept whose image files are
        as they were. Every other draft is forgotten (an edited chapter's old one, a chapter no
        longer listed)."""
        self._read_began = time.time_ns()
        kept: dict[DraftInputs, _Kept] = {}
        for inputs in wanted:
            found = self._kept.get(inputs)
            folder = BookFolder.at(inputs.book_root)
            if found is not None and all(_digest(folder, path) == digest for path, digest in found.files):
                kept[inputs] = found
        self._kept = kept
        return set(kept)

    def draft(self, inputs: DraftInputs, problems: Problems, images: dict[Path, BookImage],
              make: Callable[[Problems], ChapterDraft | None]) -> ChapterDraft | None:
        """The draft of *inputs*: a copy of the one kept, its problems added to *problems* and
        its images to *images*, as make() would have done; else make()'s, kept if it may be."""
        found = self._kept.get(inputs)
        if found is not None:
            problems.items.extend(found.problems)
            for image in found.draft.images:
                images.setdefault(image.source, image)
            return found.draft.copy()
        said = Problems()
        draft = make(said)
        problems.items.extend(said.items)
        if draft is not None and not said.has_errors and not _written_since(draft.files, self._read_began):
            folder = BookFolder.at(inputs.book_root)
            self._kept[inputs] = _Kept(draft.copy(), tuple(said.items),
                                       tuple((path, _digest(folder, path)) for path in draft.files))
        return draft
