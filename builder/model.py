"""Plain data passed between the build stages.

In: nothing of ours (this module imports only the standard library).
Out: frozen dataclasses: BookMeta with its Parts and Style (from config), Chapter and Book
(from manuscript), Page and RenderedBook (from render). Each stage takes one of these
and returns the next, so a stage can be tested on its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Target = Literal["epub", "print"]
PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3u", "pdf/a-4")  # the first is the default
# A chapter file's role (book.toml's { file, role } or its front matter's `role:`). Front matter
# comes before the body whatever its place in the list, in this order, with roman folios; back
# matter after it, in this order. Each role is its epub:type (and, with "doc-", its ARIA role).
FRONT_ROLES = ("dedication", "epigraph", "foreword", "preface", "acknowledgments")
BACK_ROLES = ("afterword", "appendix", "glossary", "bibliography")
ROLES = ("chapter", *FRONT_ROLES, *BACK_ROLES)
BEFORE_CONTENTS = ("dedication", "epigraph")  # the rest of the front matter follows the contents
ROLE_SPELLINGS = {"acknowledgements": "acknowledgments", "acknowledgment": "acknowledgments",
                  "acknowledgement": "acknowledgments", "appendices": "appendix"}


@dataclass(frozen=True)
class PrintOptions:
    """Page geometry for the PDF; lengths are CSS lengths."""

    trim: str = "6in 9in"
    trim_name: str = "6x9"
    print_job: bool = False  # the printer's file: bleed (and marks) by the profile's rules
    pdf_variant: str = "pdf/ua-1"  # tagged and accessible; "pdf/a-3u" or "pdf/a-4" for archives
    profile: str = "offset"  # whose rules the printer's file follows: kdp, ingramspark, lulu, offset
    paper: str = "white"  # the interior paper: white or cream (black ink, a grey file) or color
    link_urls: str = "footnote"  # how print shows a web link's URL: footnote, after, none


@dataclass(frozen=True)
class Structure:
    """How the manuscript's headings and notes map onto the book."""

    chapter_level: int = 1  # the heading level that starts a chapter
    toc_depth: int = 1  # heading levels in the EPUB nav and the PDF bookmarks
    print_toc_depth: int = 1  # heading levels in the printed contents
    notes: str = "popup"  # EPUB footnotes: popup (aside) or endnotes (a list at the chapter's end)
    chapter_titles: tuple[tuple[str, str], ...] = ()  # (file name, title) overrides
    base_url: str = ""  # where the chapters folder is on the web: links to other local files go there


@dataclass(frozen=True)
class Style:
    """book.toml's [style] choices, each None where the house style's stands: font
    families (names of the faces the build installs), and the print text's size and leading."""

    body_font: str | None = None
    heading_font: str | None = None
    code_font: str | None = None
    font_size: str | None = None  # a CSS length in pt, e.g. "10.5pt"
    leading: float | None = None  # the line height, a multiple of the size


@dataclass(frozen=True)
class Part:
    """A part of the book (book.toml: `{ part = "…", chapters = [...] }`): a title
    page before a run of consecutive chapters. Chapters are counted in
    BookMeta.chapter_files' order (the same as Book.chapters'), from 0."""

    number: int  # 1, 2, …, in reading order
    title: str
    first_chapter: int  # the index of its first chapter in chapter_files
    chapter_count: int  # at least 1

    @property
    def slug(self) -> str:
        """The part page's id and EPUB file stem (chapter slugs start "ch-": no clash)."""
        return f"part-{self.number}"

    def holds(self, index: int) -> bool:
        """Whether the chapter at *index* of chapter_files is in this part."""
        return self.first_chapter <= index < self.first_chapter + self.chapter_count


# A contributor's role (book.toml's [[contributors]]) -> its MARC relator code (the EPUB's
# role refinement, scheme marc:relators) and the credit the title and copyright pages print.
CONTRIBUTOR_ROLES: dict[str, tuple[str, str]] = {
    "editor": ("edt", "Edited by"),
    "translator": ("trl", "Translated by"),
    "illustrator": ("ill", "Illustrated by"),
    "photographer": ("pht", "Photographs by"),
    "introduction": ("aui", "Introduction by"),
    "foreword": ("aui", "Foreword by"),
    "afterword": ("aft", "Afterword by"),
    "cover-designer": ("cov", "Cover design by"),
    "narrator": ("nrt", "Narrated by"),
    "contributor": ("ctb", "With contributions by"),
}


@dataclass(frozen=True)
class Contributor:
    """Someone credited besides the authors: an editor, a translator, an illustrator …"""

    name: str
    role: str  # a key of CONTRIBUTOR_ROLES

    @property
    def relator(self) -> str:
        return CONTRIBUTOR_ROLES[self.role][0]

    @property
    def credit(self) -> str:
        return CONTRIBUTOR_ROLES[self.role][1]


@dataclass(frozen=True)
class Isbns:
    """Each edition's ISBN, hyphenated by the ISBN ranges (as written where no range holds it)."""

    epub: str | None = None
    print: str | None = None

    def of(self, target: Target) -> str | None:
        return self.epub if target == "epub" else self.print


@dataclass(frozen=True)
class BookMeta:
    """Everything book.toml says, validated."""

    root: Path
    title: str
    subtitle: str
    authors: tuple[str, ...]
    language: str
    identifier: str
    isbn: str | None  # the ebook's, digits only: its identifier (isbns has both, hyphenated)
    publisher: str
    date: dt.date
    rights: str
    edition: str
    description: str
    subjects: tuple[str, ...]
    chapter_files: tuple[Path, ...]
    slug: str
    print: PrintOptions = field(default_factory=PrintOptions)
    structure: Structure = field(default_factory=Structure)
    parts: tuple[Part, ...] = ()  # none: the chapters are not grouped
    style: Style = field(default_factory=Style)
    blurb: str = ""  # the back cover's text
    about_author: str = ""  # the back matter's "About the Author" page; paragraphs split by blank lines
    bibliography: Path | None = None  # the references (.bib or CSL-JSON) that [@key] cites
    csl: Path | None = None  # the citation style; None: Chicago author-date
    roles: tuple[tuple[Path, str], ...] = ()  # (chapter file, role) for the files book.toml gives one
    isbns: Isbns = field(default_factory=Isbns)  # isbn (both editions) or isbn_epub and isbn_print
    series: str = ""  # the series the book belongs to …
    series_number: int | None = None  # … and its place in it
    contributors: tuple[Contributor, ...] = ()

    def part_of(self, index: int) -> Part | None:
        """The part holding the chapter at *index* of chapter_files, if any."""
        return next((part for part in self.parts if part.holds(index)), None)


@dataclass(frozen=True)
class TableRow:
    label: str
    value: str


@dataclass(frozen=True)
class AuthorTable:
    """The label/value table about the book's subject (book/author.toml)."""

    caption: str
    header: tuple[str, str]
    rows: tuple[TableRow, ...]


@dataclass(frozen=True)
class Erratum:
    """One editorial change made to the source text."""

    chapter: str
    original: str
    corrected: str
    reason: str
    chapter_title: str = ""


@dataclass(frozen=True)
class Diagnostic:
    """A warning (or, from `check`, an error) with the place it points at."""

    message: str
    path: Path
    line: int | None = None
    column: int | None = None
    level: str = "warning"

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.path, self.line, self.column) if p is not None)
        return f"{where}: {self.level}: {self.message}"


@dataclass(frozen=True)
class BodyPart:
    """A run of chapter markup ("markup"), or a place the template fills: a
    placeholder (kind = its name, e.g. "author-table") or a note call
    ("noteref", ref = the note's id, anchor = the call's own id).

    A markup run may open an element that a later run closes: only the parts
    joined in order are well-formed."""

    kind: str
    xhtml: str
    ref: str = ""
    anchor: str = ""


@dataclass(frozen=True)
class Note:
    """A footnote: its text as blocks (for the EPUB) and as one inline run (for
    a foot-of-page note in print, which WeasyPrint floats from the call site)."""

    id: str
    number: int
    backlink: str  # the id of its first call
    block_xhtml: str
    inline_xhtml: str


@dataclass(frozen=True)
class Section:
    """A heading inside a chapter, for the nav, the bookmarks and the contents."""

    level: int  # 2 for a chapter's sections, 3 below them
    id: str
    title_text: str


@dataclass(frozen=True)
class Chapter:
    """One chapter: its title and its body as well-formed XHTML markup."""

    number: int
    source: Path
    slug: str  # also the chapter's element id and its EPUB file stem
    title_html: str  # for the chapter's own heading
    title_toc_html: str  # the same without links or ids: for contents entries, which are links
    title_text: str
    body: tuple[BodyPart, ...]
    notes: tuple[Note, ...] = ()
    sections: tuple[Section, ...] = ()
    role: str = "chapter"  # one of ROLES
    label: str = ""  # "Appendix A": before the title in its heading, the contents and the running head

    @property
    def matter(self) -> str:
        """"front", "body" or "back"."""
        return "front" if self.role in FRONT_ROLES else "back" if self.role in BACK_ROLES else "body"

    @property
    def before_contents(self) -> bool:
        """A dedication or epigraph: before the contents page, which does not list it in print."""
        return self.role in BEFORE_CONTENTS

    @property
    def full_title_text(self) -> str:
        """The title with its label ("Appendix A: Tables"), as the contents and the nav show it."""
        return f"{self.label}: {self.title_text}" if self.label else self.title_text

    def sections_to(self, depth: int) -> tuple[Section, ...]:
        """The sections a table of contents of *depth* levels shows (1: none)."""
        return tuple(s for s in self.sections if s.level <= depth)

    def note(self, note_id: str) -> Note:
        return next(note for note in self.notes if note.id == note_id)

    @property
    def file_name(self) -> str:
        return f"{self.slug}.xhtml"


@dataclass(frozen=True)
class BookImage:
    """An image file the chapters show, checked, under the name both editions use."""

    source: Path
    href: str  # "images/<name>"
    media_type: str
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class Reference:
    """One entry of the bibliography, as the citation style formats it; citations link to its id."""

    id: str
    xhtml: str


@dataclass(frozen=True)
class Bibliography:
    """The works the book cites, in the style's order, under the style's kind of title."""

    title: str  # "References" after author-date citations, "Bibliography" after notes
    entries: tuple[Reference, ...]


@dataclass(frozen=True)
class ContentsGroup:
    """A part and its chapters, or (part None) a run of chapters outside any part."""

    part: Part | None
    chapters: tuple[Chapter, ...]


@dataclass(frozen=True)
class IndexLocator:
    """One place an index marker stands: the marker's book-wide id, and the heading it
    stands under (the EPUB names the place by it; print, by the page)."""

    target: str
    chapter: str  # the slug of its chapter
    place: str  # the title of its section, or of its chapter before the first section


@dataclass(frozen=True)
class IndexEntry:
    """A term of the index, with where it is marked, its sub-entries and its cross
    references (each the words of the entry it points at, and that entry's id)."""

    id: str
    term: str
    locators: tuple[IndexLocator, ...] = ()
    subentries: tuple[IndexEntry, ...] = ()
    see: tuple[tuple[str, str], ...] = ()  # (words, id): "see" -- the term is indexed there
    see_also: tuple[tuple[str, str], ...] = ()  # (words, id): "see also"

    def places(self) -> tuple[IndexLocator, ...]:
        """The locators with one per run of markers under the same heading: the EPUB
        links each place once, where print lists every marker's page."""
        kept: list[IndexLocator] = []
        for locator in self.locators:
            if not kept or (kept[-1].chapter, kept[-1].place) != (locator.chapter, locator.place):
                kept.append(locator)
        return tuple(kept)


@dataclass(frozen=True)
class IndexGroup:
    """The entries under one letter ("Symbols" for those that start with none)."""

    label: str
    entries: tuple[IndexEntry, ...]


@dataclass(frozen=True)
class Book:
    meta: BookMeta
    chapters: tuple[Chapter, ...]
    author_table: AuthorTable | None
    errata: tuple[Erratum, ...]
    styles: tuple[tuple[str, str], ...] = ()  # (file name, CSS text), read from styles/
    images: tuple[BookImage, ...] = ()  # one per distinct file the chapters show
    cover: BookImage | None = None  # book/cover.png or .jpg; None: the builder draws one
    bibliography: Bibliography | None = None  # the works cited ([@key]), at the back of the book
    index: tuple[IndexGroup, ...] = ()  # the back matter's index; none: the book has no markers

    @property
    def cover_href(self) -> str:
        return self.cover.href if self.cover else "images/cover.png"
    warnings: tuple[Diagnostic, ...] = ()

    def contents(self) -> tuple[ContentsGroup, ...]:
        """The body's chapters in reading order, grouped by part (a book without parts: one
        group); the front and back matter are apart (front_matter, back_matter)."""
        groups: list[ContentsGroup] = []
        for index, chapter in enumerate(self.chapters):
            if chapter.matter != "body":
                continue
            part = self.meta.part_of(index)
            if groups and groups[-1].part == part:
                groups[-1] = ContentsGroup(part, (*groups[-1].chapters, chapter))
            else:
                groups.append(ContentsGroup(part, (chapter,)))
        return tuple(groups)

    def front_matter(self) -> tuple[Chapter, ...]:
        """The chapters with a front-matter role, in FRONT_ROLES' order (the listed order within one)."""
        return tuple(sorted((c for c in self.chapters if c.matter == "front"),
                            key=lambda c: FRONT_ROLES.index(c.role)))

    def back_matter(self) -> tuple[Chapter, ...]:
        """The chapters with a back-matter role, in BACK_ROLES' order (the listed order within one)."""
        return tuple(sorted((c for c in self.chapters if c.matter == "back"),
                            key=lambda c: BACK_ROLES.index(c.role)))

    def chapter_with_id(self, element_id: str) -> Chapter | None:
        """The chapter an id of the print HTML belongs to: its slug, or one that starts with
        it and "--" (builder.manuscript.links.prefix_ids); None for an id of no chapter."""
        return next((chapter for chapter in self.chapters
                     if element_id == chapter.slug or element_id.startswith(f"{chapter.slug}--")), None)

    @property
    def body_start(self) -> str:
        """The slug of the page the body opens with, printed page 1: the first
        part's page if the body opens with a part, else its first chapter (a book
        of front and back matter only: its first page of back matter)."""
        body = [index for index, chapter in enumerate(self.chapters) if chapter.matter == "body"]
        if not body:
            return (self.back_matter() or self.chapters)[0].slug
        first = self.meta.part_of(body[0])
        return first.slug if first is not None else self.chapters[body[0]].slug


@dataclass(frozen=True)
class Accessibility:
    """What the built book meets of the rules DAISY Ace checks for EPUB Accessibility 1.1
    and WCAG 2.1 Level AA (text alternatives, table headers, headings, language),
    counted in its chapters' markup. The EPUB claims conformance only when nothing
    is unmet; otherwise it says what is not."""

    language: str
    images: int  # images that carry content (not those the author marked decorative)
    images_without_alt: int
    tables: int  # data tables (not those the author marked role="presentation")
    tables_without_header: int  # no th at all: no header row, nor header column
    skipped_headings: int  # a level skipped below the heading it falls under
    empty_headings: int

    @property
    def unmet(self) -> tuple[str, ...]:
        """What is not met, each a plain clause for the summary ("2 tables have no header row")."""
        counted = [
            (self.images_without_alt, "image has no text alternative", "images have no text alternative"),
            (self.tables_without_header, "table has no header row or column",
             "tables have no header row or column"),
            (self.skipped_headings, "heading skips a level", "headings skip a level"),
            (self.empty_headings, "heading is empty", "headings are empty"),
        ]
        clauses = [f"{n} {one if n == 1 else many}" for n, one, many in counted if n]
        if not self.language.strip():
            clauses.append("the language is not set")
        return tuple(clauses)

    @property
    def conforms(self) -> bool:
        return not self.unmet


@dataclass(frozen=True)
class Page:
    """One document of the EPUB (one XHTML file); the PDF joins them all."""

    kind: str  # cover, titlepage, copyright, toc, part, chapter
    slug: str
    title: str
    chapter: Chapter | None = None
    part: Part | None = None  # the part the page opens (kind "part") or is in (a chapter)

    @property
    def file_name(self) -> str:
        return f"{self.slug}.xhtml"


@dataclass(frozen=True)
class RenderedDocument:
    page: Page
    xhtml: str


@dataclass(frozen=True)
class RenderedBook:
    """The template's output: one XHTML file per page for the EPUB, one HTML
    document of the whole book for the PDF."""

    book: Book
    epub_documents: tuple[RenderedDocument, ...]
    print_html: str


@dataclass(frozen=True)
class PageStart:
    """Where one printed page starts, in terms both editions share."""

    label: str  # the folio as printed: "v", "1", "23"
    section: str  # id of the section (chapter or front-matter page) the page starts in
    tag: str  # the block element the page starts in…
    ordinal: int  # …the how-many-th of its tag within the section (0-based)
    word: int  # the word of that block the page starts at (0-based)
    first_words: str  # for checks and debugging


@dataclass(frozen=True)
class PageMap:
    """The print layout's pages, as the EPUB's page list needs them."""

    page_count: int
    starts: tuple[PageStart, ...]
