"""The preview's reader edition: a book folder -> a Snapshot in memory, or its problems.

In: a book folder, and the drafted chapters kept from the last read
(builder.speed.drafts). Out: an Attempt: the Snapshot (every EPUB document as
the EPUB holds it, the styles and images they link, the chapters' source files)
when the book builds, and the problems found either way, with file, line and
column. The stages are the build's own: builder.config, builder.manuscript
(which converts and checks again only the chapters whose drafts' inputs changed;
links across chapters, numbers, citations and the index are made again),
the style checks, the one template through builder.render, and the EPUB's
finishing of each document (strict parse, links across files). Nothing is
written but the Markdown cache; no print layout is made here (builder.serve.printview).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from builder.errors import BuilderError, Problems
from builder.model import Book, Diagnostic
from builder.speed.drafts import DraftCache


@dataclass(frozen=True)
class PreviewPage:
    """One document of the EPUB, in reading order."""

    file_name: str
    slug: str
    title: str
    kind: str  # cover, titlepage, copyright, toc, part, chapter


@dataclass(frozen=True)
class Snapshot:
    """The reader edition of a book that built."""

    book: Book
    pages: tuple[PreviewPage, ...]
    documents: dict[str, bytes]  # file name -> the finished XHTML, as in the EPUB
    resources: dict[str, tuple[str, bytes]]  # href -> (media type, content): styles, images, cover
    chapter_sources: dict[Path, str]  # a chapter's source file (resolved) -> its page's file name

    def chapter_slug(self, file_name: str) -> str | None:
        page = next((page for page in self.pages if page.file_name == file_name), None)
        return page.slug if page is not None and page.kind == "chapter" else None


@dataclass(frozen=True)
class Attempt:
    """One rebuild: the snapshot if the book built, and what is wrong either way."""

    snapshot: Snapshot | None
    problems: tuple[Diagnostic, ...]
    seconds: float
    cpu_seconds: float  # this thread's: what the rebuild costs on a machine to itself

    @property
    def failed(self) -> bool:
        return self.snapshot is None


def read_snapshot(book_dir: Path, kept: DraftCache | None = None) -> Attempt:
    """Read and render the book as `build` does for the EPUB, without a page map; the
    chapters whose drafts *kept* holds are not drafted again (it keeps the new ones).

    A problem that fails the build (in book.toml, a chapter, a style sheet, or the
    rendered XHTML) fails the attempt: the preview keeps showing the last good one."""
    from builder.config import load_config
    from builder.epub import finished_documents  # the EPUB's own last step for each document
    from builder.manuscript import read_book
    from builder.render import render_epub
    from builder.stylecheck import check_styles

    start, cpu_start = time.perf_counter(), time.thread_time()

    def attempt(snapshot: Snapshot | None, problems: tuple[Diagnostic, ...]) -> Attempt:
        return Attempt(snapshot, problems, time.perf_counter() - start, time.thread_time() - cpu_start)

    problems = Problems()
    try:
        meta = load_config(book_dir)
        book = read_book(meta, problems, kept)
        # The build reads each sheet through WeasyPrint at layout time; the print view does that here.
        check_styles(book, problems, with_weasyprint=False)
        if problems.has_errors:
            return attempt(None, tuple(problems.items))
        documents = render_epub(book, None)
        finished = finished_documents(documents, None)
    except BuilderError as exc:
        return attempt(None, exc.diagnostics)
    pages = tuple(PreviewPage(d.page.file_name, d.page.slug, d.page.title, d.page.kind) for d in documents)
    resources = {f"styles/{name}": ("text/css", css.encode("utf-8")) for name, css in book.styles}
    resources.update({image.href: (image.media_type, image.data) for image in book.images})
    if book.cover is not None:
        resources[book.cover.href] = (book.cover.media_type, book.cover.data)
    snapshot = Snapshot(
        book=book,
        pages=pages,
        documents={page.file_name: content for page, content in zip(pages, finished, strict=True)},
        resources=resources,
        chapter_sources={chapter.source.resolve(): chapter.file_name for chapter in book.chapters},
    )
    return attempt(snapshot, tuple(problems.items))


def shown_path(path: Path, root: Path) -> str:
    """*path* as the author sees it: relative to the book folder where it is inside it."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except (ValueError, OSError):
        return str(path)


def diagnostic_record(diagnostic: Diagnostic, root: Path) -> dict[str, object]:
    """A Diagnostic for the page: its `file:line:col` and its parts."""
    shown = shown_path(diagnostic.path, root)
    where = ":".join(str(p) for p in (shown, diagnostic.line, diagnostic.column) if p is not None)
    return {"level": diagnostic.level, "where": where, "message": diagnostic.message,
            "file": shown, "line": diagnostic.line, "column": diagnostic.column}
