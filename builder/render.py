"""Stage 3: Book -> RenderedBook, through the one Jinja2 template.

In: a Book. Out: the EPUB's XHTML documents (one per page) and the PDF's single
HTML document, all from `templates/book.html.j2`. The editions differ only in
the `target` flag and the stylesheets they link, never in a second copy of the
markup. Pure: no file is read here except the template itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from builder import NAME, __version__
from builder.model import Book, Page, RenderedBook, RenderedDocument, Target

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "book.html.j2"
TEMPLATE_PATH = TEMPLATE_DIR / TEMPLATE_NAME

SHARED_SHEET = "base.css"
EDITION_SHEETS: dict[Target, tuple[str, ...]] = {
    "epub": (SHARED_SHEET, "epub.css"),
    "print": (SHARED_SHEET, "print.css"),
}


@dataclass(frozen=True)
class Landmark:
    type: str
    slug: str
    title: str


def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
    )


def pages_for(book: Book, target: Target) -> tuple[Page, ...]:
    """The pages of an edition, in reading order."""
    front: list[Page] = []
    if target == "epub":
        front.append(Page("cover", "cover", "Cover"))
    else:
        front.append(Page("halftitle", "halftitle", book.meta.title))
    front += [
        Page("titlepage", "titlepage", "Title Page"),
        Page("copyright", "copyright", "Copyright"),
        Page("toc", "toc", "Contents"),
    ]
    chapters = [Page("chapter", c.slug, c.title_text, chapter=c) for c in book.chapters]
    return (*front, *chapters)


def href_for(target: Target, pages: Sequence[Page]) -> Callable[[str, str], str]:
    """Links: to another XHTML file in the EPUB, to an anchor in the one-document PDF."""
    files = {page.slug: page.file_name for page in pages}

    def href(slug: str, fragment: str = "") -> str:
        anchor = fragment or slug
        if target == "print":
            return f"#{anchor}"
        return files[slug] if not fragment else f"{files[slug]}#{anchor}"

    return href


def render_book(book: Book) -> RenderedBook:
    template = environment().get_template(TEMPLATE_NAME)
    epub_pages = pages_for(book, "epub")
    landmarks = (
        Landmark("cover", "cover", "Cover"),
        Landmark("titlepage", "titlepage", "Title Page"),
        Landmark("toc", "toc", "Contents"),
        Landmark("bodymatter", book.chapters[0].slug, "Start of Content"),
    )

    def render(target: Target, pages: Sequence[Page], title: str, sheets: Sequence[str]) -> str:
        return template.render(
            target=target,
            pages=pages,
            book=book,
            meta=book.meta,
            href=href_for(target, epub_pages if target == "epub" else pages),
            landmarks=landmarks,
            stylesheets=[f"styles/{sheet}" for sheet in sheets],
            builder={"name": NAME, "version": __version__},
            doc_title=title,
            Markup=Markup,
        ).lstrip()

    epub_documents = tuple(
        RenderedDocument(page, render("epub", [page], page.title, EDITION_SHEETS["epub"]))
        for page in epub_pages
    )
    print_pages = pages_for(book, "print")
    print_html = render("print", print_pages, book.meta.title, EDITION_SHEETS["print"])
    return RenderedBook(book=book, epub_documents=epub_documents, print_html=print_html)
