"""Stage 5a: the laid-out Document -> the bytes of the print PDF.

In: WeasyPrint's laid-out Document (builder.layout), the book and the build
time. Out: a tagged PDF (PDF/UA-1 unless book.toml names another variant) whose
dates come from the build time and whose identifier is a hash of its content:
the same input gives the same bytes. The PDF is written by WeasyPrint's public
``Document.write_pdf``; importing this module installs pydyf's speed-ups where
their probes hold (builder.weasyprint_adapter).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.sax.saxutils import escape

from builder.errors import Location, RenderError
from builder.fetch import RefusedURL
from builder.layout_messages import weasyprint_messages
from builder.model import Book
from builder.weasyprint_adapter import install_pdf_speed_ups

DEFAULT_VARIANT = "pdf/ua-1"

install_pdf_speed_ups()


def write_pdf(book: Book, document: Any, built_at: dt.datetime, variant: str = DEFAULT_VARIANT) -> bytes:
    """The PDF of the laid-out *document*."""
    _stamp_metadata(document, book.meta.language, built_at)
    with weasyprint_messages():
        try:
            data = document.write_pdf(pdf_variant=variant, pdf_identifier=True)
        except RefusedURL as exc:  # an attachment or a late resource outside the book
            raise RenderError(str(exc.args[0]), Location(book.meta.root)) from exc
    if not isinstance(data, bytes):
        raise RenderError("WeasyPrint returned no PDF", Location(book.meta.root))
    return data


def _stamp_metadata(document: Any, language: str, built_at: dt.datetime) -> None:
    """Dates from the build time (never the clock), so builds repeat; and the
    language in the XMP packet too, where WeasyPrint writes only the catalog's /Lang."""
    stamp = built_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    document.metadata.created = stamp
    document.metadata.modified = stamp
    document.metadata.xmp_metadata = [*document.metadata.xmp_metadata, (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:language><rdf:Bag><rdf:li>{escape(language)}</rdf:li></rdf:Bag></dc:language>"
        "</rdf:Description></rdf:RDF>").encode()]
