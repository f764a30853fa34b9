"""Stage 4b: RenderedBook -> PDF bytes, typeset by WeasyPrint.

In: the template's one HTML document of the whole book, the in-memory resources
(styles) and the build time. Out: the bytes of a tagged PDF/UA-1 file whose
identifier is a hash of its content (same input, same bytes). Everything
WeasyPrint reads goes through BookFetcher; its warnings are returned to the
caller as Diagnostics instead of being printed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from weasyprint import HTML

from builder.errors import Location, RenderError
from builder.fetch import BookFetcher, RefusedURL
from builder.model import Diagnostic, RenderedBook

PDF_VARIANT = "pdf/ua-1"


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _weasyprint_warnings() -> Iterator[_Collector]:
    logger = logging.getLogger("weasyprint")
    collector = _Collector()
    previous = logger.propagate
    logger.addHandler(collector)
    logger.propagate = False
    try:
        yield collector
    finally:
        logger.removeHandler(collector)
        logger.propagate = previous


def write_pdf(
    rendered: RenderedBook, resources: dict[str, bytes]
) -> tuple[bytes, list[Diagnostic]]:
    root = rendered.book.meta.root.resolve()
    fetcher = BookFetcher(root, resources)
    with _weasyprint_warnings() as collected:
        try:
            html = HTML(string=rendered.print_html, base_url=root.as_uri() + "/", url_fetcher=fetcher)
            data = html.write_pdf(pdf_variant=PDF_VARIANT, pdf_identifier=True)
        except RefusedURL as exc:
            raise RenderError(str(exc.args[0]), Location(root)) from exc
    if not isinstance(data, bytes):
        raise RenderError("WeasyPrint returned no PDF", Location(root))
    return data, [_diagnostic(root, record) for record in collected.records]


def _diagnostic(root: Path, record: logging.LogRecord) -> Diagnostic:
    return Diagnostic(f"WeasyPrint: {record.getMessage()}", root)
