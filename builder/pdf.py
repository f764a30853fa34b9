"""Stage 5a: the laid-out Document -> the bytes of the print PDF.

In: WeasyPrint's laid-out Document (builder.layout), the book and the build
time. Out: a tagged PDF (PDF/UA-1 unless book.toml names another variant) whose
dates come from the build time and whose identifier is a hash of its content:
the same input gives the same bytes. The PDF is written by WeasyPrint's public
``Document.write_pdf``; importing this module installs pydyf's speed-ups where
their probes hold (builder.weasyprint_adapter).

The printer's file (a print job) follows its profile (builder.printers): it is padded
with blank pages at the end to the printer's page count (the page map, made from the
unpadded layout, is unchanged), written as the printer's PDF variant (PDF/X-4) with an
output intent, its BleedBox set to the real bleed, and, on black-and-white paper, its
colours drawn in DeviceGray: this module says what the profile wants, the adapter's
finisher (behind its probe) edits pydyf's objects. `notes()` tells what was done, for
the build's progress lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from builder.black_ink import GREY_PROFILE_NAME, grey_output_profile
from builder.errors import Location, RenderError
from builder.fetch import RefusedURL
from builder.layout_messages import weasyprint_messages
from builder.model import Book, PrintOptions
from builder.printers import grey_interior, padding, padding_note, page_boxes, page_css, printer_for
from builder.weasyprint_adapter import (
    PrintersFile,
    install_pdf_speed_ups,
    printers_file_finisher,
    srgb_profile,
)

DEFAULT_VARIANT = "pdf/ua-1"

install_pdf_speed_ups()

_notes: list[str] = []


def notes() -> list[str]:
    """What the writes since the last call did to the printer's file (padding, colour), once."""
    told = list(_notes)
    _notes.clear()
    return told


def write_pdf(book: Book, document: Any, built_at: dt.datetime, variant: str = DEFAULT_VARIANT) -> bytes:
    """The PDF of the laid-out *document*."""
    options = book.meta.print
    _stamp_metadata(document, book.meta.language, built_at)
    extra: dict[str, Any] = {}
    if options.print_job:
        document = _padded(document, options, book.meta.root)
        if variant == DEFAULT_VARIANT:  # an archive variant asked for (PDF/A) is kept
            variant = printer_for(options).pdf_variant
        finisher = printers_file_finisher(_printers_file(options), _told_on(options.paper))
        extra = {"pdf_tags": True, **({"finisher": finisher} if finisher else {})}
    with weasyprint_messages():
        try:
            data = document.write_pdf(pdf_variant=variant, pdf_identifier=True, **extra)
        except RefusedURL as exc:  # an attachment or a late resource outside the book
            raise RenderError(str(exc.args[0]), Location(book.meta.root)) from exc
    if not isinstance(data, bytes):
        raise RenderError("WeasyPrint returned no PDF", Location(book.meta.root))
    return data


def _padded(document: Any, options: PrintOptions, root: Path) -> Any:
    """*document* with the blank pages the printer's page count needs at its end, laid out
    from a page-only document of the same page rules (so each blank page has its side's
    bleed and no folio); merged with WeasyPrint's public Document.copy."""
    from weasyprint import HTML

    from builder.fetch import BookFetcher

    pages = len(document.pages)
    added = padding(options, pages)
    if not added:
        return document
    lead = pages % 2  # a book ending on a recto: the first blank page is a verso
    blank = "<div></div>" + '<div style="break-before: page"></div>' * (lead + added - 1)
    html = f"<html><head><style>{page_css(options)}</style></head><body>{blank}</body></html>"
    with weasyprint_messages():
        blanks = HTML(string=html, url_fetcher=BookFetcher(root, {})).render()
    _notes.append(padding_note(options, pages, added))
    return document.copy([*document.pages, *blanks.pages[lead:]])


def _printers_file(options: PrintOptions) -> PrintersFile:
    """The page boxes, the colours and the output intent the printer's profile asks for."""
    grey = grey_interior(options)
    intent = ((grey_output_profile(), GREY_PROFILE_NAME, 1) if grey
              else (srgb_profile(), "sRGB IEC61966-2.1", 3))
    # WeasyPrint sets the BleedBox at most 10 pt past the trim, wherever the CSS bleed
    # ends; the printer's bleed is its own (the marks lie beyond it).
    boxes = (page_boxes(options, recto=True).bleed, page_boxes(options, recto=False).bleed)
    return PrintersFile(boxes, grey, intent)


def _told_on(paper: str) -> Callable[[str], None]:
    return lambda note: _notes.append(f"{note} on {paper} paper")


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
