"""Stage 4a: the print edition's HTML -> WeasyPrint's laid-out Document.

In: the template's one HTML document of the whole book and the in-memory
resources (styles, images: `print_resources`, which makes the images grey for a
black-ink printer's file). Out: the laid-out Document, which the PDF writer
paints and the page map reads, and WeasyPrint's messages (of its last layout) as
Diagnostics, with a warning where builder.typography's pass left a ladder, a
page-end hyphen, a runt or an unbalanced heading. The pass lays the book out
again, with those breaks forbidden, only where it finds one, or where the
index's locators are not yet its pages once each with runs as ranges
(builder.index_ranges). Everything
WeasyPrint reads goes through BookFetcher. Importing this module imports
WeasyPrint; it writes no PDF.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from builder.errors import Location, RenderError
from builder.layout_messages import css_diagnostic, is_css_message, weasyprint_messages
from builder.model import Book, Diagnostic
from builder.speed.library_lookup import import_weasyprint
from builder.stylesheets import style_path
from builder.typography import settle
from builder.weasyprint_adapter import install_layout_speed_ups

import_weasyprint()  # before anything of WeasyPrint's is imported: it finds the libraries sooner

from weasyprint import HTML  # noqa: E402

from builder.fetch import BOOK_URL, BookFetcher, RefusedURL  # noqa: E402

install_layout_speed_ups()

LAYOUT_LIMIT_SECONDS = 900  # the 500-page bench book lays out in under 20 s


def layout(book: Book, print_html: str, resources: dict[str, bytes]) -> tuple[Any, list[Diagnostic]]:
    """Lay the print edition out once; the PDF and the EPUB's page map both use it."""
    root = book.meta.root.resolve()
    fetcher = BookFetcher(root, resources)
    starts: list[int] = []  # where each layout's messages start: only the last one's are told
    with weasyprint_messages(fetcher) as collected, _time_guard(root):
        def lay_out(text: str) -> Any:
            starts.append(len(collected.records))
            # Honour width/height attributes on images, as e-readers do.
            return HTML(string=text, base_url=BOOK_URL, url_fetcher=fetcher).render(presentational_hints=True)
        try:
            outcome = settle(print_html, lay_out)
        except RefusedURL as exc:
            raise RenderError(fetcher.real_url(str(exc.args[0])), Location(root)) from exc
    last = starts[-1]
    diagnostics = [_diagnostic(root, record, sheet, fetcher) for record, sheet
                   in zip(collected.records[last:], collected.sheets[last:], strict=True)]
    left = outcome.summary()
    if left:
        chapter = book.chapter_with_id(outcome.left[0].line.block[0]) if outcome.left else None
        diagnostics.append(Diagnostic(left, chapter.source if chapter else root))
    return outcome.document, diagnostics


def print_resources(book: Book) -> dict[str, bytes]:
    """What the print layout reads from memory: the book's style sheets and its images,
    the images in grey for a black-ink printer's file (builder.black_ink)."""
    from builder.black_ink import grey_image
    from builder.printers import grey_interior

    grey = grey_interior(book.meta.print)
    resources = {f"styles/{name}": css.encode("utf-8") for name, css in book.styles}
    resources.update({image.href: grey_image(image.data) if grey else image.data for image in book.images})
    return resources


@contextmanager
def _time_guard(root: Path) -> Iterator[None]:
    """A layout that runs past the limit stops with a message, not a hang."""
    seconds = int(os.environ.get("BOOK_BUILDER_LAYOUT_LIMIT", LAYOUT_LIMIT_SECONDS))
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def too_long(signum: int, frame: object) -> None:
        raise RenderError(f"the print layout took more than {seconds} s and was stopped; something in "
                          "the book is too large for a page (a huge table, image or paragraph)",
                          Location(root))
    previous = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _diagnostic(root: Path, record: logging.LogRecord, sheet: str | None,
                fetcher: BookFetcher) -> Diagnostic:
    message = fetcher.real_url(record.getMessage())
    if sheet and is_css_message(message):
        path = style_path(root, sheet.removeprefix("styles/")) if sheet.startswith("styles/") \
            else root / sheet
        return css_diagnostic(path, message)
    return Diagnostic(f"WeasyPrint: {message}", root)
