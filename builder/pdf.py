"""Stage 4b: the print edition's HTML -> a layout -> PDF bytes, by WeasyPrint.

In: the template's one HTML document of the whole book, the in-memory resources
(styles) and the build time. Out: the laid-out Document (which the page map
also reads), then the bytes of a tagged PDF/UA-1 file whose identifier is a
hash of its content (same input, same bytes). Everything WeasyPrint reads goes
through BookFetcher; its warnings are returned as Diagnostics, not printed.
Importing this module imports WeasyPrint (builder.native) and adjusts pydyf and
WeasyPrint at run time for speed and memory; each adjustment says why, and the
tests check that the PDF is what the libraries as shipped write (byte for byte,
or for the compression level, stream for stream).
"""

from __future__ import annotations

import datetime as dt
import logging
import weakref
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from lxml import etree

from builder.errors import Location, RenderError
from builder.model import Book, Diagnostic
from builder.native import import_weasyprint
from builder.stylecheck import css_diagnostic, is_css_message
from builder.stylesheets import style_path

import_weasyprint()  # before anything of WeasyPrint's is imported: it finds the libraries sooner

from weasyprint import HTML  # noqa: E402
from weasyprint.document import Document  # noqa: E402

from builder.fetch import BOOK_URL, BookFetcher, RefusedURL  # noqa: E402

DEFAULT_VARIANT = "pdf/ua-1"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DC = "http://purl.org/dc/elements/1.1/"


class _Collector(logging.Handler):
    """Keeps WeasyPrint's messages, each with the style sheet fetched last: CSS
    messages come while that sheet is parsed, and name only line and column."""

    def __init__(self, fetcher: BookFetcher | None = None) -> None:
        super().__init__(logging.WARNING)
        self.fetcher = fetcher
        self.records: list[logging.LogRecord] = []
        self.sheets: list[str | None] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.sheets.append(self.fetcher.last_stylesheet if self.fetcher else None)


@contextmanager
def weasyprint_messages(fetcher: BookFetcher | None = None) -> Iterator[_Collector]:
    logger = logging.getLogger("weasyprint")
    collector = _Collector(fetcher)
    previous = logger.propagate
    logger.addHandler(collector)
    logger.propagate = False
    try:
        yield collector
    finally:
        logger.removeHandler(collector)
        logger.propagate = previous


def _cached_page_references(pdf: Any) -> tuple[bytes, ...]:
    """pydyf rebuilds the tuple of every page's reference on each access, and
    WeasyPrint's PDF/UA tagging reads it once per tagged box: quadratic in
    pages (1.5 s of a 300-page book). Pages are only ever appended, so the
    tuple is cached by their count; the bytes written are the same."""
    kids = pdf.pages["Kids"]
    cached: tuple[int, tuple[bytes, ...]] | None = pdf.__dict__.get("_page_references_cache")
    if cached is None or cached[0] != len(kids):
        cached = (len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
        pdf.__dict__["_page_references_cache"] = cached
    return cached[1]


class _SerialisedOnce:
    """While pydyf writes a file, each object's bytes are made once.

    With an identifier (ours is a hash of the content: same input, same bytes),
    pydyf's write serialises every object twice, once to write it and once to
    hash it, so every page, font and image stream is compressed twice at zlib
    level 9 (a tenth of a 300-page book's build). Nothing changes an object
    while the file is written, so the second pass may reuse the first one's
    bytes. Outside a write, objects are serialised exactly as pydyf does."""

    def __init__(self) -> None:
        # id -> (object, bytes): holding the object keeps its id from being
        # reused by a short-lived one (pydyf makes a Dictionary per stream).
        self.memo: dict[int, tuple[Any, bytes]] | None = None

    def data_property(self, original: property) -> property:
        def data(pdf_object: Any) -> bytes:
            if self.memo is None:
                return bytes(original.fget(pdf_object))  # type: ignore[misc]
            entry = self.memo.get(id(pdf_object))
            if entry is None:
                entry = self.memo[id(pdf_object)] = (pdf_object, original.fget(pdf_object))  # type: ignore[misc]
            return bytes(entry[1])
        return property(data)

    def wrap_write(self, write: Callable[..., None]) -> Callable[..., None]:
        def write_once(pdf: Any, *args: Any, **kwargs: Any) -> None:
            self.memo = {}
            try:
                write(pdf, *args, **kwargs)
            finally:
                self.memo = None
        return write_once


def _faster_to_bytes(to_bytes: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
    """pydyf's _to_bytes, with the three kinds it meets most (bytes, str, int)
    turned to bytes before its chain of isinstance tests: a tagged book's
    structure tree and content streams hold millions of them (1.9 million on
    the technical book). Anything else goes to pydyf's own *to_bytes*; the
    bytes are the same."""
    def fast_to_bytes(item: Any) -> bytes:
        kind = type(item)
        if kind is bytes:
            return item  # type: ignore[no-any-return]
        if kind is str:
            return item.encode("ascii")  # type: ignore[no-any-return]
        if kind is int:
            return b"%d" % item
        return to_bytes(item)
    return fast_to_bytes


class _DefaultLevelZlib:
    """pydyf's view of zlib, with every stream compressed at zlib's default
    level instead of pydyf's 9: level 9 takes 4.5 times the CPU of level 6 for
    streams 3 % smaller (the long book's 309 streams: 0.62 s against 0.14 s,
    1.19 MB against 1.22 MB). Decompressed, every stream is the same."""

    level = 6

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)

    def compressobj(self, level: int = -1, *args: Any, **kwargs: Any) -> Any:
        return zlib.compressobj(self.level, *args, **kwargs)


STREAM_COMPRESSION = _DefaultLevelZlib()
_PYDYF_AS_SHIPPED: dict[tuple[Any, str], Any] = {}


def speed_up_pydyf() -> None:
    """Install the speed-ups (once). All but one write the bytes plain pydyf
    writes; that one changes only how hard streams are compressed."""
    import pydyf

    if _PYDYF_AS_SHIPPED:
        return
    for owner, name in ((pydyf.PDF, "page_references"), (pydyf.PDF, "write"),
                        (pydyf.Stream, "data"), (pydyf.Dictionary, "data"), (pydyf, "zlib"),
                        (pydyf, "_to_bytes")):
        _PYDYF_AS_SHIPPED[owner, name] = vars(owner)[name]
    once = _SerialisedOnce()
    pydyf.PDF.page_references = property(_cached_page_references)
    pydyf.PDF.write = once.wrap_write(pydyf.PDF.write)
    pydyf.Stream.data = once.data_property(_PYDYF_AS_SHIPPED[pydyf.Stream, "data"])
    pydyf.Dictionary.data = once.data_property(_PYDYF_AS_SHIPPED[pydyf.Dictionary, "data"])
    pydyf.zlib = STREAM_COMPRESSION
    pydyf._to_bytes = _faster_to_bytes(_PYDYF_AS_SHIPPED[pydyf, "_to_bytes"])


@contextmanager
def pydyf_as_shipped() -> Iterator[None]:
    """pydyf without our speed-ups, for the tests that compare."""
    ours = {key: vars(key[0])[key[1]] for key in _PYDYF_AS_SHIPPED}
    for (owner, name), value in _PYDYF_AS_SHIPPED.items():
        setattr(owner, name, value)
    try:
        yield
    finally:
        for (owner, name), value in ours.items():
            setattr(owner, name, value)


def _image_fetcher_without_cycle(context: Any) -> None:
    """WeasyPrint gives each LayoutContext ``partial(get_image_from_uri,
    context=self)``, a reference cycle: once the pages are laid out, the context
    and everything only it holds (every computed style, page state and table)
    is garbage that only a full collection frees, and a full collection walks
    every laid-out box too (1.4 s of the technical book). Here the fetcher
    holds the context weakly, so reference counting frees it the moment the
    layout is done. An image that needs the context later (an SVG draws itself
    with it) is still handed the context itself and keeps it alive, as before."""
    fetch = context.get_image_from_uri
    if not (isinstance(fetch, partial) and id(fetch.keywords.get("context")) == id(context)):
        return  # not the cycle this WeasyPrint version was known to make: leave it be
    keywords = {name: value for name, value in fetch.keywords.items() if name != "context"}
    base = partial(fetch.func, *fetch.args, **keywords)
    weak_context = weakref.ref(context)

    def get_image_from_uri(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("context", weak_context())  # a caller's own context wins, as with partial
        return base(*args, **kwargs)
    context.get_image_from_uri = get_image_from_uri


def free_layouts_by_reference_counting() -> None:
    """Install _image_fetcher_without_cycle on WeasyPrint's LayoutContext (once)."""
    from weasyprint.layout import LayoutContext

    if getattr(LayoutContext.__init__, "frees_by_reference_counting", False):
        return
    shipped = LayoutContext.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        shipped(self, *args, **kwargs)
        _image_fetcher_without_cycle(self)
    __init__.frees_by_reference_counting = True  # type: ignore[attr-defined]
    __init__.__wrapped__ = shipped  # type: ignore[attr-defined]
    LayoutContext.__init__ = __init__


speed_up_pydyf()
free_layouts_by_reference_counting()


def layout(
    book: Book, print_html: str, resources: dict[str, bytes]
) -> tuple[Document, list[Diagnostic]]:
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


def write_pdf(
    book: Book, document: Document, built_at: dt.datetime, variant: str = DEFAULT_VARIANT,
    after_painting: Callable[[], None] = lambda: None,
) -> bytes:
    """The PDF of the laid-out *document*; *after_painting* is called once its
    pages are painted, before the fonts, tags and file are written."""
    from builder.paint import painting_on_two_cores  # it imports WeasyPrint's painting, as writing does

    _stamp_metadata(document, book.meta.language, built_at)
    with weasyprint_messages(), painting_on_two_cores(document, after_painting):
        # The identifier is a hash of the content: same input, same bytes.
        data = document.write_pdf(pdf_variant=variant, pdf_identifier=True)
    if not isinstance(data, bytes):
        raise RenderError("WeasyPrint returned no PDF", Location(book.meta.root))
    return data


def _stamp_metadata(document: Document, language: str, built_at: dt.datetime) -> None:
    """Dates from the build time (never the clock), and the language in the XMP
    packet too, where WeasyPrint writes only the catalog's /Lang."""
    stamp = built_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    document.metadata.created = stamp
    document.metadata.modified = stamp
    generate: Callable[..., bytes] = document.metadata.generate_rdf_metadata

    def with_language(*args: Any) -> bytes:
        rdf = etree.fromstring(generate(*args))
        description = etree.SubElement(rdf, f"{{{RDF}}}Description", {f"{{{RDF}}}about": ""})
        bag = etree.SubElement(etree.SubElement(description, f"{{{DC}}}language"), f"{{{RDF}}}Bag")
        etree.SubElement(bag, f"{{{RDF}}}li").text = language
        return bytes(etree.tostring(rdf, encoding="utf-8"))

    document.metadata.generate_rdf_metadata = with_language


def _diagnostic(root: Path, record: logging.LogRecord, sheet: str | None,
                fetcher: BookFetcher) -> Diagnostic:
    message = fetcher.real_url(record.getMessage())
    if sheet and is_css_message(message):
        path = style_path(root, sheet.removeprefix("styles/")) if sheet.startswith("styles/") \
            else root / sheet
        return css_diagnostic(path, message)
    return Diagnostic(f"WeasyPrint: {message}", root)
