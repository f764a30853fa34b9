"""The printers' rules, as data: a profile name -> a Printer, and what follows from it.

In: `[print] profile` and `[print] paper` (PrintOptions), the trim, a page count.
Out: the print job's page CSS (size, bleed per side, marks), the page boxes it must come
out with (in points, for the PDF writer to set and the tests to read back), the number
of blank pages to pad a book with, and the cover's spine width. Pure: no I/O.

Where each number comes from (read 2025; a printer's own calculator has the last word):
- KDP: "Set Trim Size, Bleed, and Margins", https://kdp.amazon.com/help?topicId=GVBQ3CMEQW3W2VL6
  (bleed 0.125 in on the top, bottom and outside edge: the page is trim + 0.125 in wide and
  + 0.25 in high; no crop marks); paperback interiors of 24 to 828 pages; spine = pages x
  0.002252 in (white), 0.0025 in (cream), 0.002347 in (colour), and no spine text under
  80 pages (KDP's cover calculator, as quoted by https://kdpprintcover.com/blog/how-to-calculate-kdp-spine-width
  and https://pubscout.app/pages/glossary/spine-width).
- IngramSpark: File Creation Guide (https://docslib.org/doc/5146028/file-creation-guide-table-of-contents,
  and https://help.ingramspark.com/hc/en-us/articles/5338636202637-Manufacturing-and-File-Setup-Tips):
  0.125 in bleed on the top, bottom and outside edge, no printer's marks, an even page count
  of at least 18 (perfect bound), PDF/X (X-1a or X-4); spine from pages x paper caliper
  (its white and cream 50# stocks measure within a hair of KDP's, per
  https://app.blurbbio.com/tools/spine-width-calculator).
- Lulu: Book Creation Guide (https://scribd.com/document/503228944/Lulu-Book-Creation-Guide-1) and
  https://greyscalepress.com/2010/news/lulu-com-publishing-tips/ quoting it: the page is
  0.25 in larger in width and height (0.125 in bleed on all four sides), no crop or
  registration marks; paperbacks need at least 32 pages (Lulu's spine width calculator,
  https://www.scribd.com/document/513281500/lulu-spine-width-calculator); spine = pages /
  444 + 0.06 in on its standard paper.
- An offset printer: 3 mm bleed on every side, crop marks set outside the bleed (so that
  the trimmed sheet shows none), signatures of 4 pages at least, PDF/X-4 (the Ghent
  Workgroup's exchange standard).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from math import ceil

from builder.model import PrintOptions

POINTS_PER_INCH = 72.0
MM_PER_INCH = 25.4
PAPERS = ("white", "cream", "color")  # the first is the default
BARCODE_AREA_IN = (2.0, 1.2)  # width x height of the clear box on the back cover
MIN_SPINE_TEXT_IN = 0.25  # narrower, a title on the spine is too small to read (or falls off)


@dataclass(frozen=True)
class Printer:
    """One printer's rules. Lengths in inches."""

    name: str
    label: str
    bleed: float  # on each edge that bleeds
    gutter_bleed: bool  # whether the inside (spine) edge bleeds too
    marks: bool  # crop marks, drawn outside the bleed
    min_pages: int
    page_multiple: int  # the page count is a multiple of this (2: even; 4: signatures)
    pdf_variant: str  # what the printer's file is written as
    spine_per_page: tuple[tuple[str, float], ...]  # (paper, inches per page)
    spine_extra: float = 0.0  # added to pages x caliper (the cover board's own thickness)
    spine_text_min_pages: int = 0  # below this page count the printer refuses spine text
    cover_bleed: float = 0.125

    @property
    def mark_margin(self) -> float:
        """The margin outside the bleed that holds the marks (0 without marks): WeasyPrint
        draws a crop mark in the outer half of its CSS bleed, so that half lies past the real one."""
        return 2 * self.bleed if self.marks else 0.0

    def spine_width(self, pages: int, paper: str) -> float:
        """The spine's width in inches for *pages* interior pages on *paper*."""
        per_page = dict(self.spine_per_page)
        return round(pages * per_page.get(paper, per_page["white"]) + self.spine_extra, 4)


PRINTERS: dict[str, Printer] = {
    "kdp": Printer("kdp", "Amazon KDP", bleed=0.125, gutter_bleed=False, marks=False,
                   min_pages=24, page_multiple=2, pdf_variant="pdf/x-4",
                   spine_per_page=(("white", 0.002252), ("cream", 0.0025), ("color", 0.002347)),
                   spine_text_min_pages=80),
    "ingramspark": Printer("ingramspark", "IngramSpark", bleed=0.125, gutter_bleed=False, marks=False,
                           min_pages=18, page_multiple=2, pdf_variant="pdf/x-4",
                           spine_per_page=(("white", 0.0025), ("cream", 0.0025), ("color", 0.0025))),
    "lulu": Printer("lulu", "Lulu", bleed=0.125, gutter_bleed=True, marks=False,
                    min_pages=32, page_multiple=2, pdf_variant="pdf/x-4",
                    spine_per_page=(("white", 1 / 444), ("cream", 1 / 444), ("color", 1 / 444)),
                    spine_extra=0.06),
    "offset": Printer("offset", "an offset printer", bleed=3 / MM_PER_INCH, gutter_bleed=True, marks=True,
                      min_pages=4, page_multiple=4, pdf_variant="pdf/x-4",
                      spine_per_page=(("white", 0.0025), ("cream", 0.0028), ("color", 0.0025)),
                      cover_bleed=3 / MM_PER_INCH),
}
PROFILES = tuple(PRINTERS)
DEFAULT_PROFILE = "offset"  # what `print_job = true` always meant: bleed all round, crop marks

_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)(in|mm|cm|pt)\s*$")
_INCHES_PER = {"in": 1.0, "mm": 1 / MM_PER_INCH, "cm": 10 / MM_PER_INCH, "pt": 1 / POINTS_PER_INCH}


def printer_for(options: PrintOptions) -> Printer:
    return PRINTERS[options.profile]


def trim_inches(trim: str) -> tuple[float, float]:
    """A PrintOptions trim ("6in 9in", "148mm 210mm") as (width, height) in inches."""
    sides = []
    for part in trim.split():
        found = _LENGTH.match(part)
        if not found:
            raise ValueError(f"not a trim length: {part!r}")
        sides.append(float(found[1]) * _INCHES_PER[found[2]])
    width, height = sides
    return width, height


def _css_in(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") + "in"


def page_css(options: PrintOptions) -> str:
    """The `@page` rules for the trim and, for a print job, the printer's bleed and marks:
    a recto bleeds on its right (outside) edge, a verso on its left, unless the printer
    bleeds the gutter too. The CSS bleed of a printer with marks includes the slug that
    holds them; the PDF writer sets the BleedBox to the real bleed (see page_boxes)."""
    size = f"@page {{ size: {options.trim}; }}"
    if not options.print_job:
        return size
    printer = printer_for(options)
    edge = _css_in(printer.bleed + printer.mark_margin)
    inside = edge if printer.gutter_bleed else "0in"
    marks = "crop" if printer.marks else "none"
    return (f"@page {{ size: {options.trim}; marks: {marks}; bleed: {edge}; }} "
            f"@page :right {{ bleed: {edge} {edge} {edge} {inside}; }} "
            f"@page :left {{ bleed: {edge} {inside} {edge} {edge}; }}")


@dataclass(frozen=True)
class Boxes:
    """A page's boxes in points, each (left, bottom, right, top) relative to the trim's
    lower left corner, as a PDF holds them."""

    media: tuple[float, float, float, float]
    bleed: tuple[float, float, float, float]
    trim: tuple[float, float, float, float]


def page_boxes(options: PrintOptions, recto: bool) -> Boxes:
    """The boxes a page of the print job must have (a reading PDF: all three the trim)."""
    width, height = (side * POINTS_PER_INCH for side in trim_inches(options.trim))
    trim = (0.0, 0.0, width, height)
    if not options.print_job:
        return Boxes(trim, trim, trim)
    printer = printer_for(options)

    def grown(by: float) -> tuple[float, float, float, float]:
        pt = by * POINTS_PER_INCH
        inside = pt if printer.gutter_bleed else 0.0
        left, right = (inside, pt) if recto else (pt, inside)
        return (-left, -pt, width + right, height + pt)

    return Boxes(grown(printer.bleed + printer.mark_margin), grown(printer.bleed), trim)


def padding(options: PrintOptions, pages: int) -> int:
    """How many blank pages the printer's file needs at its end: up to the printer's
    minimum, then up to a multiple of its page multiple (none for a reading PDF)."""
    if not options.print_job:
        return 0
    printer = printer_for(options)
    wanted = max(pages, printer.min_pages)
    wanted = ceil(wanted / printer.page_multiple) * printer.page_multiple
    return wanted - pages


def padding_note(options: PrintOptions, pages: int, added: int) -> str:
    printer = printer_for(options)
    rule = (f"at least {printer.min_pages} pages, " if pages < printer.min_pages else "") + (
        "an even count" if printer.page_multiple == 2 else f"a multiple of {printer.page_multiple}")
    return (f"padded to {pages + added} pages with {added} blank page{'s' * (added != 1)} at the end: "
            f"{printer.label} takes {rule}")


def grey_interior(options: PrintOptions) -> bool:
    """Black ink on white or cream paper: the printer's file is drawn in grey only."""
    return options.print_job and options.paper != "color"


@dataclass(frozen=True)
class CoverSize:
    """The full wrap (back, spine, front, with bleed), in inches."""

    width: float
    height: float
    trim_width: float
    trim_height: float
    spine: float
    bleed: float
    spine_text: bool


def cover_size(options: PrintOptions, pages: int) -> CoverSize:
    """The cover for *pages* interior pages: 2 x trim width + spine + 2 x bleed wide,
    trim height + 2 x bleed high; spine text only where the spine holds it."""
    printer = printer_for(options)
    width, height = trim_inches(options.trim)
    spine = printer.spine_width(pages, options.paper)
    bleed = printer.cover_bleed
    return CoverSize(
        width=round(2 * width + spine + 2 * bleed, 4), height=round(height + 2 * bleed, 4),
        trim_width=width, trim_height=height, spine=spine, bleed=bleed,
        spine_text=spine >= MIN_SPINE_TEXT_IN and pages >= printer.spine_text_min_pages)
