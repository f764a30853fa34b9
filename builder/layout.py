"""Stage 4a: the print edition's HTML -> WeasyPrint's laid-out Document.

In: the template's one HTML document of the whole book and the in-memory
resources (styles, images). Out: the laid-out Document, which the PDF writer
paints and the page map reads, and WeasyPrint's messages as Diagnostics.
Everything WeasyPrint reads goes through BookFetcher. Importing this module
imports WeasyPrint; it writes no PDF.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from builder.errors import Location, RenderError
from builder.layout_messages import css_diagnostic, is_css_message, weasyprint_messages
from builder.model import Book, Diagnostic
from builder.speed.library_lookup import import_weasyprint
from builder.stylesheets import style_path
from builder.weasyprint_adapter import install_layout_speed_ups

import_weasyprint()  # before anything of WeasyPrint's is imported: it finds the libraries sooner

from weasyprint import HTML  # noqa: E402

from builder.fetch import BOOK_URL, BookFetcher, RefusedURL  # noqa: E402

install_layout_speed_ups()


def layout(book: Book, print_html: str, resources: dict[str, bytes]) -> tuple[Any, list[Diagnostic]]:
    """Lay the print edition out once; the PDF and the EPUB's page map both use it."""
    root = book.meta.root.resolve()
    fetcher = BookFetcher(root, resources)
    with weasyprint_messages(fetcher) as collected:
        try:
            html = HTML(string=print_html, base_url=BOOK_URL, url_fetcher=fetcher)
            # Honour width/height attributes on images, as e-readers do.
            document = html.render(presentational_hints=True)
        except RefusedURL as exc:
            raise RenderError(fetcher.real_url(str(exc.args[0])), Location(root)) from exc
    return document, [_diagnostic(root, record, sheet, fetcher)
                      for record, sheet in zip(collected.records, collected.sheets, strict=True)]


def _diagnostic(root: Path, record: logging.LogRecord, sheet: str | None,
                fetcher: BookFetcher) -> Diagnostic:
    message = fetcher.real_url(record.getMessage())
    if sheet and is_css_message(message):
        path = style_path(root, sheet.removeprefix("styles/")) if sheet.startswith("styles/") \
            else root / sheet
        return css_diagnostic(path, message)
    return Diagnostic(f"WeasyPrint: {message}", root)
