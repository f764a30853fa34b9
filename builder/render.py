"""Stage 3: Book -> RenderedBook, through the one Jinja2 template.

In: a Book. Out: the EPUB's XHTML documents (one per page) and the PDF's single
HTML document, all from `templates/book.html.j2`. The editions differ only in
the `target` flag and the stylesheets they link, never in a second copy of the
markup; print's code blocks then have their long lines wrapped (builder.codewrap).
Pure: no file is read here except the template itself.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    Template,
    select_autoescape,
)
from jinja2.bccache import Bucket

from builder import NAME, __version__
from builder.codewrap import CodeMeasure, measure, text_size, wrap_print_code
from builder.manuscript.math import print_formulas
from builder.model import Book, Chapter, Page, PageMap, RenderedBook, RenderedDocument, Section, Target
from builder.pagebreaks import page_break_id
from builder.printers import page_css
from builder.stylesheets import edition_sheets
from builder.tablefit import fit_wide_tables
from builder.typography import hyphenation_language

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "book.html.j2"
TEMPLATE_PATH = TEMPLATE_DIR / TEMPLATE_NAME



@dataclass(frozen=True)
class Landmark:
    type: str
    slug: str
    title: str


@cache
def _template(directory: Path) -> Template:
    """The one template, compiled once per process (both editions render from it)."""
    return environment(directory).get_template(TEMPLATE_NAME)


class CompiledBeside(FileSystemBytecodeCache):
    """The templates compiled by Jinja2 kept in templates/__pycache__, as Python keeps a
    module's .pyc: compiling the book's template costs about 0.06 s a build. Jinja2 checks
    each file against the template's source and the Python version, so a changed template
    is compiled again. Written, as .pyc files are, only where the folder is writable and
    PYTHONDONTWRITEBYTECODE is not set; ``compile_ahead`` writes them regardless, as
    compileall does."""

    def __init__(self, directory: Path, write: bool | None = None) -> None:
        super().__init__(str(directory))
        self.write = not sys.dont_write_bytecode if write is None else write

    def load_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError, EOFError, ValueError):  # unreadable: compiled anew
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: Bucket) -> None:
        if self.write:
            with contextlib.suppress(OSError):  # a read-only install: compiled every build, as before
                Path(self.directory).mkdir(exist_ok=True)
                super().dump_bytecode(bucket)


def compile_ahead() -> None:
    """Compile the templates into templates/__pycache__ (the bench's snapshot; an install)."""
    cache = CompiledBeside(TEMPLATE_DIR / "__pycache__", write=True)
    for name in (TEMPLATE_NAME, "cover.html.j2"):
        environment(TEMPLATE_DIR, cache).get_template(name)


def environment(directory: Path = TEMPLATE_DIR, compiled: BytecodeCache | None = None) -> Environment:
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=compiled or CompiledBeside(directory / "__pycache__"),
    )
    env.filters["math_for"] = math_for
    return env


def math_for(markup: str, target: Target) -> str:
    """Chapter markup as an edition shows its formulas: the EPUB's MathML as it is; in print
    (WeasyPrint draws no MathML) each formula a vector picture."""
    return print_formulas(markup) if target == "print" else markup


def pages_for(book: Book, target: Target) -> tuple[Page, ...]:
    """The pages of an edition, in reading order: the front matter (a dedication and an
    epigraph before the contents, a foreword, preface and acknowledgments after it), the
    body (a part's page before its first chapter), the back matter after the last (the
    chapters with a back-matter role, the bibliography, about the author, the colophon)."""
    front: list[Page] = []
    if target == "epub":
        front.append(Page("cover", "cover", "Cover"))
    else:
        front.append(Page("halftitle", "halftitle", book.meta.title))
    matter = book.front_matter()
    front += [
        Page("titlepage", "titlepage", "Title Page"),
        Page("copyright", "copyright", "Copyright"),
        *(_matter_page(chapter) for chapter in matter if chapter.before_contents),
        Page("toc", "toc", "Contents"),
        *(_matter_page(chapter) for chapter in matter if not chapter.before_contents),
    ]
    body: list[Page] = []
    for index, chapter in enumerate(book.chapters):
        if chapter.matter != "body":
            continue
        part = book.meta.part_of(index)
        if part is not None and part.first_chapter == index:
            body.append(Page("part", part.slug, part.title, part=part))
        body.append(Page("chapter", chapter.slug, chapter.title_text, chapter=chapter, part=part))
    back: list[Page] = [_matter_page(chapter) for chapter in book.back_matter()]
    if book.bibliography:  # the works the chapters cite (builder.manuscript.citations)
        back.append(Page("bibliography", "bibliography", book.bibliography.title))
    if book.meta.about_author:
        back.append(Page("about", "about-author", "About the Author"))
    back.append(Page("colophon", "colophon", "Colophon"))
    return (*front, *body, *back)


def _matter_page(chapter: Chapter) -> Page:
    """A chapter of front or back matter: a chapter page that its role places and marks."""
    return Page("chapter", chapter.slug, chapter.full_title_text, chapter=chapter)


def with_index(book: Book, pages: tuple[Page, ...]) -> tuple[Page, ...]:
    """*pages* with the index after the last chapter and the bibliography (before the
    author's page and the colophon: the index comes last of the book's own text), where
    the book marks terms for one."""
    if not book.index:
        return pages
    last = max(n for n, page in enumerate(pages) if page.kind in ("chapter", "part", "bibliography"))
    return (*pages[:last + 1], Page("index", "index", "Index"), *pages[last + 1:])


def href_for(target: Target, pages: Sequence[Page]) -> Callable[[str, str], str]:
    """Links: to another XHTML file in the EPUB, to an anchor in the one-document PDF."""
    files = {page.slug: page.file_name for page in pages}

    def href(slug: str, fragment: str = "") -> str:
        anchor = fragment or slug
        if target == "print":
            return f"#{anchor}"
        return files[slug] if not fragment else f"{files[slug]}#{anchor}"

    return href


@dataclass(frozen=True)
class PageListEntry:
    label: str
    href: str


def page_list(page_map: PageMap | None, pages: Sequence[Page]) -> list[PageListEntry]:
    """The EPUB nav's page-list: one entry per printed page that starts with text
    in a document the EPUB has (the half-title is print-only)."""
    if page_map is None:
        return []
    files = {page.slug: page.file_name for page in pages}
    return [PageListEntry(start.label, f"{files[start.section]}#{page_break_id(start.label)}")
            for start in page_map.starts if start.section in files]


def subsections(sections: Sequence[Section], parent: Section) -> list[Section]:
    """The sections under *parent*: those after it, up to the next of its level or above."""
    start = list(sections).index(parent) + 1
    below = []
    for section in sections[start:]:
        if section.level <= parent.level:
            break
        below.append(section)
    return below


def _first_of_each_role(chapters: Sequence[Chapter]) -> list[Chapter]:
    """A landmark names a kind of place once: the first appendix stands for them all."""
    firsts: dict[str, Chapter] = {}
    for chapter in chapters:
        firsts.setdefault(chapter.role, chapter)
    return list(firsts.values())


def print_note_numbers(chapter: Chapter, link_urls: str) -> dict[str, int]:
    """The number each note of *chapter* has in print, by its id: WeasyPrint numbers the
    foot-of-page notes of a chapter in the order they float, its own notes' first calls and,
    where print.css sets them as notes, the web links' URLs. A second call of a note prints
    the first's number itself (the note is printed once; CSS has no counter to ask for it)."""
    numbers: dict[str, int] = {}
    count = 0
    for part in chapter.body:
        if part.kind == "link-url" and link_urls == "footnote":
            count += 1
        elif part.kind == "noteref" and part.ref not in numbers:
            count += 1
            numbers[part.ref] = count
    return numbers


class _Renderer:
    """The template, loaded once, and the context both editions share."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.template = _template(TEMPLATE_DIR)
        self.epub_pages = with_index(book, pages_for(book, "epub"))
        self.landmarks: tuple[Landmark, ...] = (
            Landmark("cover", "cover", "Cover"),
            Landmark("titlepage", "titlepage", "Title Page"),
            *(Landmark(c.role, c.slug, c.title_text) for c in book.front_matter() if c.before_contents),
            Landmark("toc", "toc", "Contents"),
            *(Landmark(c.role, c.slug, c.title_text) for c in book.front_matter() if not c.before_contents),
            Landmark("bodymatter", book.body_start, "Start of Content"),
            *(Landmark(c.role, c.slug, c.full_title_text) for c in _first_of_each_role(book.back_matter())),
        )
        if book.index:
            self.landmarks += (Landmark("index", "index", "Index"),)
        self.code: CodeMeasure = measure(book.meta.print.trim, text_size(book.meta.style.font_size))

    def render(self, target: Target, pages: Sequence[Page], title: str,
               page_list: Sequence[PageListEntry] = ()) -> str:
        return self.template.render(
            target=target,
            pages=pages,
            book=self.book,
            meta=self.book.meta,
            href=href_for(target, self.epub_pages if target == "epub" else pages),
            landmarks=self.landmarks,
            page_list=page_list,
            stylesheets=[f"styles/{sheet}" for sheet in
                         edition_sheets(target, [name for name, _ in self.book.styles])],
            builder={"name": NAME, "version": __version__},
            doc_title=title,
            # The print body is set (hyphenated) in the language with its region; the
            # documents keep the language as declared.
            text_lang=hyphenation_language(self.book.meta.language),
            subsections=subsections,
            page_css=page_css(self.book.meta.print) if target == "print" else "",
            code=self.code,
            print_note_numbers=lambda chapter: print_note_numbers(chapter, self.book.meta.print.link_urls),
        ).lstrip()


def render_print(book: Book, pages: Sequence[Page] | None = None) -> str:
    """The print edition: one HTML document of the whole book (or of its *pages* only: the
    preview's), its code's long lines wrapped to the columns the code size fits (builder.codewrap)
    and its tables too wide for the text block fitted to it (builder.tablefit)."""
    renderer = _Renderer(book)
    pages = pages if pages is not None else with_index(book, pages_for(book, "print"))
    html = renderer.render("print", pages, book.meta.title)
    return fit_wide_tables(wrap_print_code(html, renderer.code), renderer.code)


def render_epub(book: Book, page_map: PageMap | None) -> tuple[RenderedDocument, ...]:
    """The EPUB edition: one XHTML document per page; the nav carries the page-list."""
    renderer = _Renderer(book)
    entries = page_list(page_map, renderer.epub_pages)
    return tuple(
        RenderedDocument(page, renderer.render("epub", [page], page.title, entries))
        for page in renderer.epub_pages
    )


def render_book(book: Book, page_map: PageMap | None = None) -> RenderedBook:
    return RenderedBook(book=book, epub_documents=render_epub(book, page_map),
                        print_html=render_print(book))
