"""The preview's print view: one chapter of a Book -> its pages as the PDF prints them.

In: a Book that built and the slug of one of its chapters. Out: PrintPages: the
chapter's pages as a PDF and as PNG images (pdftoppm, from poppler-utils; without
it, the PDF alone), with the layout's messages as Diagnostics. The chapter is laid
out alone, through the build's own stages (builder.render's print edition of a
book holding only that chapter, builder.layout), so a one-sentence edit costs
the layout of its chapter, not of the book. Of the rest of the book only the
half-title is laid out with it (it sets the book's title the versos' running
heads show); the title, copyright and contents pages and the back matter are
not. A body chapter's folios count from 1, as in the book; a front- or back-
matter chapter's count on from the half-title. Its links to other chapters have
nowhere to go (WeasyPrint's warnings about those anchors are left out: the whole
book has them); the page breaks, running heads, notes and figures within it are
those of the book's PDF.
"""

from __future__ import annotations

import io
import os
import re
import resource
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from builder.errors import BuilderError
from builder.layout_messages import weasyprint_messages
from builder.model import Book, Diagnostic

RESOLUTION = 72  # pixels per inch of the page images: a 6 x 9 in page is 432 x 648
UNDEFINED_ANCHOR = re.compile(r"undefined anchor \('string', '#([^']+)'\)")


@dataclass(frozen=True)
class PrintPages:
    slug: str
    pdf: bytes  # only the chapter's pages
    images: tuple[bytes, ...]  # PNG, one per page; empty without pdftoppm
    problems: tuple[Diagnostic, ...]
    seconds: float
    cpu_seconds: float  # this thread's and pdftoppm's: what the layout costs on a machine to itself
    note: str = ""  # why there are no images, if there are none


def chapter_alone(book: Book, slug: str) -> Book:
    """The book with only the chapter *slug* (no parts, no errata: they name other chapters)."""
    index = next(i for i, chapter in enumerate(book.chapters) if chapter.slug == slug)
    meta = replace(book.meta, chapter_files=(book.meta.chapter_files[index],), parts=())
    return replace(book, meta=meta, chapters=(book.chapters[index],), errata=())


def print_pages(book: Book, slug: str, resolution: int = RESOLUTION) -> PrintPages:
    """Lay the chapter *slug* out alone and paint its pages. A layout error is raised
    as the build raises it (a BuilderError naming file and line)."""
    from builder.errors import ManuscriptError
    from builder.layout import layout
    from builder.render import pages_for, render_print

    start, cpu_start = time.perf_counter(), _cpu_time()
    alone = chapter_alone(book, slug)
    resources = {f"styles/{name}": css.encode("utf-8") for name, css in alone.styles}
    resources.update({image.href: image.data for image in alone.images})
    pages = [page for page in pages_for(alone, "print") if page.kind == "halftitle" or page.slug == slug]
    document, messages = layout(alone, render_print(alone, pages), resources)
    if any(message.level == "error" for message in messages):
        raise ManuscriptError.from_diagnostics(messages)
    first = next((number for number, page in enumerate(document.pages) if slug in page.anchors), 0)
    shown = document.pages[first:]
    with weasyprint_messages():  # "No anchor" for each link out of the chapter: the book has them all
        pdf = document.copy(shown).write_pdf()
    images, note = page_images(pdf, len(shown), resolution)
    problems = tuple(message for message in messages if not _in_another_chapter(message, book, slug))
    return PrintPages(slug, pdf, images, problems, time.perf_counter() - start,
                      _cpu_time() - cpu_start, note)


def _in_another_chapter(message: Diagnostic, book: Book, slug: str) -> bool:
    """Whether *message* is WeasyPrint's about a cross-reference to an anchor of another
    chapter (every id in a chapter is its slug or starts with it and "--")."""
    found = UNDEFINED_ANCHOR.search(message.message)
    chapter = book.chapter_with_id(found.group(1)) if found else None
    return chapter is not None and chapter.slug != slug


def _cpu_time() -> float:
    return time.thread_time() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime


def page_images(pdf: bytes, count: int, resolution: int) -> tuple[tuple[bytes, ...], str]:
    """The *count* pages of *pdf* as PNGs, drawn by pdftoppm (a process per core, each
    drawing a run of pages) and written as PNGs by Pillow; none, and why, where it is missing."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        return (), "pdftoppm (poppler-utils) is not installed: the pages are shown as a PDF only"
    cores = max(1, min(len(os.sched_getaffinity(0)), count))
    runs = [(1 + count * n // cores, count * (n + 1) // cores) for n in range(cores)]
    with tempfile.TemporaryDirectory(prefix="book-builder-serve-") as scratch:
        folder = Path(scratch)
        (folder / "chapter.pdf").write_bytes(pdf)
        # As PPM: poppler's own PNG writer takes about four times as long as the drawing.
        drawing = [subprocess.Popen([pdftoppm, "-r", str(resolution), "-f", str(first),
                                     "-l", str(last), "chapter.pdf", "page"],
                                    cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                   for first, last in runs if first <= last]
        failures = [error for process in drawing
                    if (error := process.communicate(timeout=120)[1]) and process.returncode != 0]
        if failures:
            raise BuilderError(f"pdftoppm could not draw the pages: {failures[0].decode(errors='replace')}")
        # pdftoppm numbers page-1.ppm or page-01.ppm, by the page count's digits.
        files = sorted(folder.glob("page-*.ppm"), key=lambda path: int(path.stem.rsplit("-", 1)[1]))
        return tuple(_png(path) for path in files), ""


def _png(ppm: Path) -> bytes:
    from PIL import Image

    with Image.open(ppm) as picture:
        png = io.BytesIO()
        picture.save(png, "PNG", compress_level=1)  # served on this machine: speed over size
        return png.getvalue()
