"""The one module that uses names outside WeasyPrint's, pydyf's and Pyphen's public API.

In: the libraries as installed. Out: speed-ups installed only where a probe
finds the library as it was when they were written, the print layout's lines
page by page (for the EPUB's page list), and notes naming every part that is
off. Nothing else in the builder may import a private name of these libraries.

Each part is a ``Probe``: a check of exactly what it relies on. Where a probe
fails (another version renamed or reshaped something), that part is left
alone: WeasyPrint and pydyf run as shipped, so the book is the same (text,
bookmarks, tags, page count), only slower, and the build says once which part
is off. ``BOOK_BUILDER_PROBES=off`` fails every probe on purpose (the tests
build that way too); a comma-separated list of probe names fails just those.

The parts:
- pydyf (PDF writing): the page references cached; each object serialised once
  while a file is written (pydyf serialises every object twice when the file
  has an identifier); the three commonest kinds turned to bytes first; streams
  compressed at zlib's default level. All but the last write the same bytes.
- WeasyPrint's layout: the image fetcher holds its LayoutContext weakly, so
  reference counting frees the layout's garbage (no full collection needed).
- Pyphen: hyphenation patterns parsed in a child handed to Pyphen's own cache.
- The page boxes: the text of each line of each laid-out page, with the
  section and block it belongs to.
- The typography pass (builder.typography) reads those lines too, and knows a
  line broken inside a word by WeasyPrint's hyphenate-character (U+2010); off,
  the book is laid out once, its line ends as WeasyPrint chose them.
- The printer's file: a finisher (write_pdf's public hook) that edits pydyf's
  objects (each page's BleedBox, RGB colour operators made DeviceGray, an output
  intent, with WeasyPrint's own sRGB profile for colour); off, the file is
  written as WeasyPrint makes it (its bleed box, RGB colours, no output intent).
"""

from __future__ import annotations

import os
import re
import weakref
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from importlib.resources import files
from pathlib import Path
from typing import Any

OFF_VARIABLE = "BOOK_BUILDER_PROBES"


@dataclass(frozen=True)
class Probe:
    name: str
    what: str  # what the part does, for the note when it is off


PAGE_REFERENCES = Probe("page-references", "cached PDF page references")
SERIALISED_ONCE = Probe("serialised-once", "PDF objects serialised once per write")
FAST_BYTES = Probe("fast-bytes", "fast PDF token serialisation")
COMPRESSION = Probe("compression-level", "PDF streams compressed at zlib's default level")
LAYOUT_FREED = Probe("layout-freed", "layout memory freed by reference counting")
PATTERNS = Probe("hyphenation-preload", "hyphenation patterns parsed beside the import")
PAGE_BOXES = Probe("page-boxes", "the EPUB's page list (from the print layout's page boxes)")
TYPOGRAPHY = Probe("typography-pass", "the typography pass after layout (hyphen ladders, hyphens at "
                   "page ends, short last lines, balanced headings)")
PRINTERS_FILE = Probe("printers-file", "the printer's file's own bleed boxes, grey colours and output intent")
ALL_PROBES = (PAGE_REFERENCES, SERIALISED_ONCE, FAST_BYTES, COMPRESSION, LAYOUT_FREED, PATTERNS,
              PAGE_BOXES, TYPOGRAPHY, PRINTERS_FILE)
AUTO_HYPHEN = "\u2010"  # WeasyPrint's default hyphenate-character, ending a line broken inside a word

_off: dict[str, str] = {}  # probe name -> why it is off, in the order found
_told: set[str] = set()


def forced_off(probe: Probe) -> bool:
    wanted = {name.strip() for name in os.environ.get(OFF_VARIABLE, "").split(",") if name.strip()}
    return "off" in wanted or probe.name in wanted


def _passes(probe: Probe, check: Callable[[], bool]) -> bool:
    """Whether *probe* holds; a failing or raising check turns its part off."""
    if forced_off(probe):
        _off.setdefault(probe.name, f"{probe.what} off ({OFF_VARIABLE})")
        return False
    try:
        if check():
            return True
        why = "this version differs from the one it was written for"
    except Exception as exc:  # any surprise in another version means: leave it as shipped
        why = f"this version differs ({type(exc).__name__}: {exc})"
    _off.setdefault(probe.name, f"{probe.what} off: {why}")
    return False


def notes_once() -> list[str]:
    """Each part found off, said once per process."""
    fresh = [why for name, why in _off.items() if name not in _told]
    _told.update(_off)
    return fresh


# --- pydyf ----------------------------------------------------------------

_PYDYF_AS_SHIPPED: dict[tuple[Any, str], Any] = {}


def _cached_page_references(pdf: Any) -> tuple[bytes, ...]:
    """pydyf rebuilds the tuple of every page's reference on each access, and
    WeasyPrint's PDF/UA tagging reads it once per tagged box: quadratic in
    pages. Pages are only ever appended, so the tuple is cached by their count."""
    kids = pdf.pages["Kids"]
    cached: tuple[int, tuple[bytes, ...]] | None = pdf.__dict__.get("_page_references_cache")
    if cached is None or cached[0] != len(kids):
        cached = (len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
        pdf.__dict__["_page_references_cache"] = cached
    return cached[1]


class _SerialisedOnce:
    """While pydyf writes a file, each object's bytes are made once: with an
    identifier, pydyf serialises every object twice (to write it, to hash it),
    compressing every stream twice. Nothing changes an object during a write."""

    def __init__(self) -> None:
        # id -> (object, bytes): holding the object keeps its id from being reused
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
    """pydyf's _to_bytes with bytes, str and int answered before its chain of
    isinstance tests (a tagged book holds millions of them); the same bytes."""
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
    """pydyf's view of zlib, at zlib's default level instead of 9: 4.5 times
    less CPU for streams 3 % larger; decompressed, every stream is the same."""

    level = 6

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)

    def compressobj(self, level: int = -1, *args: Any, **kwargs: Any) -> Any:
        return zlib.compressobj(self.level, *args, **kwargs)


STREAM_COMPRESSION = _DefaultLevelZlib()


def _page_references_hold(pydyf: Any) -> bool:
    shipped = vars(pydyf.PDF).get("page_references")
    if not isinstance(shipped, property):
        return False
    pdf = pydyf.PDF()
    for _ in range(3):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    return tuple(shipped.fget(pdf)) == _cached_page_references(pdf)  # type: ignore[misc]


def _serialised_once_holds(pydyf: Any) -> bool:
    kinds = (pydyf.Stream, pydyf.Dictionary)
    return callable(vars(pydyf.PDF).get("write")) and all(
        isinstance(vars(kind).get("data"), property) for kind in kinds)


def _fast_bytes_holds(pydyf: Any) -> bool:
    shipped = vars(pydyf).get("_to_bytes")
    fast = _faster_to_bytes(shipped)
    samples: list[Any] = [b"x", "/Name", 0, 1234, -5, 1.5, [1, "a"]]
    return callable(shipped) and all(fast(item) == shipped(item) for item in samples)


def install_pdf_speed_ups() -> None:
    """pydyf's speed-ups, each where its probe holds (once per process)."""
    import pydyf

    if _PYDYF_AS_SHIPPED:
        return  # installed (where every probe failed, the probes simply run again: same notes)
    if _passes(PAGE_REFERENCES, lambda: _page_references_hold(pydyf)):
        _replace(pydyf.PDF, "page_references", property(_cached_page_references))
    if _passes(SERIALISED_ONCE, lambda: _serialised_once_holds(pydyf)):
        once = _SerialisedOnce()
        _replace(pydyf.PDF, "write", once.wrap_write(pydyf.PDF.write))
        for kind in (pydyf.Stream, pydyf.Dictionary):
            _replace(kind, "data", once.data_property(vars(kind)["data"]))
    if _passes(FAST_BYTES, lambda: _fast_bytes_holds(pydyf)):
        _replace(pydyf, "_to_bytes", _faster_to_bytes(vars(pydyf)["_to_bytes"]))
    if _passes(COMPRESSION, lambda: vars(pydyf).get("zlib") is zlib):
        _replace(pydyf, "zlib", STREAM_COMPRESSION)


@dataclass(frozen=True)
class PrintersFile:
    """What the printer's file needs that WeasyPrint does not write: each page's BleedBox
    (a recto's first), its colours in DeviceGray for black ink, and an output intent."""

    bleed_boxes: tuple[tuple[float, float, float, float], tuple[float, float, float, float]]  # recto, verso
    grey: bool
    intent: tuple[bytes, str, int] | None  # (ICC profile, its name, its channels); None: none


# "r g b rg" (fill) or "RG" (stroke), as pydyf writes a DeviceRGB colour.
_RGB = re.compile(rb"^(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (rg|RG)$")


def srgb_profile() -> bytes:
    """WeasyPrint's own sRGB profile (a data file of its package), for a colour interior."""
    return (files("weasyprint") / "pdf" / "sRGB2014.icc").read_bytes()


def printers_file_finisher(wanted: PrintersFile, said: Callable[[str], None]) -> Callable[..., None] | None:
    """A finisher for write_pdf (its public hook) that edits pydyf's objects as *wanted*; None,
    and a note, where this pydyf's objects are not as expected (the file is then written as
    WeasyPrint makes it: its bleed box, RGB colours, no output intent)."""
    import pydyf

    def shaped() -> bool:
        stream = pydyf.Stream([b"0 0 0 rg"])
        return (isinstance(stream.stream, list) and all(hasattr(pydyf.PDF(), name) for name in
                ("objects", "catalog", "add_object")) and hasattr(stream, "reference"))

    if not _passes(PRINTERS_FILE, shaped):
        return None

    def finish(document: Any, pdf: Any) -> None:
        pages = [obj for obj in pdf.objects
                 if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/Page"]
        for index, page in enumerate(pages):
            page["BleedBox"] = pydyf.Array(wanted.bleed_boxes[index % 2])
        if wanted.grey:
            converted = sum(_to_grey(obj) for obj in pdf.objects if isinstance(obj, pydyf.Stream))
            if converted:
                said(f"{converted:,} RGB colours drawn in DeviceGray for black ink")
        if wanted.intent is not None and "OutputIntents" not in pdf.catalog:
            icc, name, channels = wanted.intent
            profile = pydyf.Stream([icc], pydyf.Dictionary({"N": channels}), compress=True)
            pdf.add_object(profile)
            pdf.catalog["OutputIntents"] = pydyf.Array([pydyf.Dictionary({
                "Type": "/OutputIntent", "S": "/GTS_PDFX",
                "OutputConditionIdentifier": pydyf.String(name), "Info": pydyf.String(name),
                "DestOutputProfile": profile.reference,
            })])

    return finish


def _to_grey(stream: Any) -> int:
    """Each DeviceRGB colour of *stream* as its DeviceGray luma (ITU-R BT.601, as a RIP
    converting for black ink would); how many."""
    count = 0
    items = stream.stream
    for index, item in enumerate(items):
        found = _RGB.match(item) if isinstance(item, bytes) else None
        if found:
            r, g, b = (float(v) for v in found.groups()[:3])
            luma = f"{0.299 * r + 0.587 * g + 0.114 * b:.4f}".rstrip("0").rstrip(".") or "0"
            items[index] = luma.encode() + (b" g" if found[4] == b"rg" else b" G")
            count += 1
    return count


def _replace(owner: Any, name: str, value: Any) -> None:
    _PYDYF_AS_SHIPPED[owner, name] = vars(owner)[name]
    setattr(owner, name, value)


@contextmanager
def pydyf_as_shipped() -> Iterator[None]:
    """pydyf without the speed-ups for the length of the block (for the tests that compare)."""
    ours = {key: vars(key[0])[key[1]] for key in _PYDYF_AS_SHIPPED}
    for (owner, name), shipped in _PYDYF_AS_SHIPPED.items():
        setattr(owner, name, shipped)
    try:
        yield
    finally:
        for (owner, name), value in ours.items():
            setattr(owner, name, value)


# --- WeasyPrint's layout --------------------------------------------------

def _image_fetcher_without_cycle(context: Any) -> None:
    """WeasyPrint gives each LayoutContext ``partial(get_image_from_uri,
    context=self)``, a reference cycle that keeps every computed style alive
    until a full collection. Held weakly, the context is freed as soon as the
    layout is done; an image that needs it later is still handed it."""
    fetch = context.get_image_from_uri
    if not (isinstance(fetch, partial) and fetch.keywords.get("context") is context):
        return  # not the cycle this part was written for: leave it be
    keywords = {name: value for name, value in fetch.keywords.items() if name != "context"}
    base = partial(fetch.func, *fetch.args, **keywords)
    weak_context = weakref.ref(context)

    def get_image_from_uri(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("context", weak_context())
        return base(*args, **kwargs)
    context.get_image_from_uri = get_image_from_uri  # type: ignore[union-attr]


def install_layout_speed_ups() -> None:
    """The layout context's cycle broken, where its probe holds (once)."""
    from weasyprint import layout

    context_class: Any = getattr(layout, "LayoutContext", None)
    if getattr(getattr(context_class, "__init__", None), "frees_by_reference_counting", False):
        return
    if not _passes(LAYOUT_FREED, lambda: "get_image_from_uri" in context_class.__init__.__code__.co_names):
        return
    shipped = context_class.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        shipped(self, *args, **kwargs)
        _image_fetcher_without_cycle(self)
    __init__.frees_by_reference_counting = True  # type: ignore[attr-defined]
    __init__.__wrapped__ = shipped  # type: ignore[attr-defined]
    context_class.__init__ = __init__


# --- Pyphen ---------------------------------------------------------------

Patterns = tuple[Path, Any]  # (Pyphen's dictionary file, its parsed HyphDict)


def read_patterns(language: str) -> Patterns | None:
    """Pyphen's parsed patterns for *language*, the tag the print edition hyphenates in
    (the caller's: builder.typography makes a bare "en" en-US); None: no dictionary, or the
    probe fails."""
    import pyphen

    if not _passes(PATTERNS, lambda: isinstance(getattr(pyphen, "hdcache", None), dict)):
        return None
    name = pyphen.language_fallback(language)
    if name is None:
        return None
    path = pyphen.LANGUAGES[name]
    return path, pyphen.HyphDict(path)


def use_patterns(patterns: Patterns | None) -> None:
    """Hand parsed patterns to Pyphen's cache, if Pyphen would find them there."""
    import pyphen

    if patterns is None or not _passes(PATTERNS, lambda: isinstance(getattr(pyphen, "hdcache", None), dict)):
        return
    path, parsed = patterns
    pyphen.hdcache.setdefault(path, parsed)


# --- Page boxes -----------------------------------------------------------

Line = tuple[Any, Any, str]  # (section element, block element, the line's text)


def page_boxes_readable(document: Any) -> bool:
    """Whether this WeasyPrint's laid-out pages are boxes this part can walk."""
    kinds = ("LineBox", "TextBox", "MarginBox", "FootnoteAreaBox")

    def known() -> bool:
        from weasyprint.formatting_structure import boxes

        return (all(isinstance(getattr(boxes, kind, None), type) for kind in kinds)
                and all(hasattr(page, "_page_box") for page in document.pages))
    return _passes(PAGE_BOXES, known)


def page_lines(document: Any, section_tags: frozenset[str],
               block_tags: frozenset[str]) -> list[list[Line]] | None:
    """Every page's lines of text in order, each with the section and the block
    element it belongs to; margin boxes, footnote areas and generated content
    skipped. None where the page boxes are not as this part knows them."""
    if not page_boxes_readable(document):
        return None
    from weasyprint.formatting_structure import boxes

    walker = _Walker(boxes, section_tags, block_tags)
    return [list(walker.lines(page._page_box)) for page in document.pages]


def typography_lines(document: Any, section_tags: frozenset[str],
                     block_tags: frozenset[str]) -> list[list[Line]] | None:
    """page_lines for the typography pass; None (and a note: the pass is off) where
    the page boxes cannot be read or a hyphenated line would not end in AUTO_HYPHEN."""
    def known() -> bool:
        from weasyprint.css.properties import INITIAL_VALUES

        return INITIAL_VALUES.get("hyphenate_character") == AUTO_HYPHEN and page_boxes_readable(document)
    if not _passes(TYPOGRAPHY, known):
        return None
    return page_lines(document, section_tags, block_tags)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Walker:
    def __init__(self, boxes: Any, section_tags: frozenset[str], block_tags: frozenset[str]) -> None:
        self.boxes = boxes
        self.section_tags = section_tags
        self.block_tags = block_tags

    def lines(self, box: Any, section: Any = None, block: Any = None) -> Iterator[Line]:
        boxes = self.boxes
        tag = _local(getattr(box, "element_tag", "") or "")
        if isinstance(box, boxes.MarginBox | boxes.FootnoteAreaBox) or "::" in tag:
            return
        element = getattr(box, "element", None)
        if element is not None and tag in self.section_tags and element.get("id"):
            section = element
        if element is not None and tag in self.block_tags and not isinstance(box, boxes.LineBox):
            block = element
        if isinstance(box, boxes.LineBox):
            text = "".join(self.texts(box)).strip()
            if text and section is not None and block is not None:
                yield section, block, text
            return
        for child in getattr(box, "children", ()):
            yield from self.lines(child, section, block)

    def texts(self, box: Any) -> Iterator[str]:
        if "::" in (getattr(box, "element_tag", "") or "") or isinstance(box, self.boxes.FootnoteAreaBox):
            return
        if isinstance(box, self.boxes.TextBox):
            yield box.text
        for child in getattr(box, "children", ()):
            yield from self.texts(child)
