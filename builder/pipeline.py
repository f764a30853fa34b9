"""The build, start to end: book folder -> dist/<slug>.epub and dist/<slug>.pdf
(dist/<slug>-print.pdf for the printer's job, beside the reading PDF, never over it).

In: a book folder, an output folder and the editions wanted. Out: the files,
written only after everything has been made in memory, so a mistake found
anywhere leaves dist/ untouched, and what the summary line reports (pages,
words, warnings, time). The recipe, one way:
config -> manuscript -> render -> layout -> pdf | page map -> epub -> output.
An EPUB alone never waits for a layout: its page-list comes from the page map
the last layout of the same content cached, or is left out with a warning.
Progress goes to a callback, one line per stage.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from builder import __version__, weasyprint_adapter
from builder.dating import build_time
from builder.errors import BuilderError, ConfigError, ManuscriptError, Problems, counted, ordered
from builder.model import Book, BookMeta, Diagnostic, PageMap
from builder.output import write_atomically
from builder.speed import forking
from builder.speed.cache import cache_key, has_page_map, load_page_map, store_page_map
from builder.speed.forking import Beside
from builder.speed.gc_pause import few_full_collections
from builder.weasyprint_adapter import Patterns, read_patterns, use_patterns

# builder.config, .manuscript, .render and .stylecheck (Markdown, Jinja2,
# Pygments) are imported where they are used: in a build that lays the book out
# that is the child that drafts it, so the parent forks it sooner and imports
# WeasyPrint.

FORMATS = ("epub", "pdf")
Progress = Callable[[str], None]
NO_PAGE_LIST = "the EPUB has no print page list: build both editions (make book) to add it"
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class BuildResult:
    files: tuple[Path, ...]
    warnings: tuple[Diagnostic, ...]
    pages: int | None = None  # the print edition's, where a layout or the cached page map says
    words: int = 0
    seconds: float = 0.0


def pdf_name(meta: BookMeta) -> str:
    """The reading PDF, or the printer's (bleed and crop marks) under a name of its own."""
    return f"{meta.slug}-print.pdf" if meta.print.print_job else f"{meta.slug}.pdf"


@contextmanager
def _own_temporary_folder() -> Iterator[None]:
    """Temporary files of the build's libraries (WeasyPrint's fonts) in a folder
    removed when the build ends, even where their own clean-up never runs."""
    previous = tempfile.tempdir
    with tempfile.TemporaryDirectory(prefix="book-builder-") as folder:
        tempfile.tempdir = folder
        try:
            yield
        finally:
            tempfile.tempdir = previous


@few_full_collections()
@_own_temporary_folder()
def build(
    book_dir: Path,
    out_dir: Path,
    formats: Iterable[str] = FORMATS,
    progress: Progress = lambda line: None,
    print_job: bool | None = None,
    pdf_variant: str | None = None,
    cover: bool = False,
) -> BuildResult:
    """Build the editions in *formats*; *print_job* and *pdf_variant*, when
    given, override book.toml's [print] settings (the CLI's --print, --pdf-variant);
    *cover*, also the print cover <slug>-cover.pdf, sized from the printer's page count."""
    wanted = [f for f in FORMATS if f in set(formats)]
    clock = _Stopwatch(progress)
    drawn_cover = None
    if "pdf" in wanted:
        draft = _draft_beside_import(book_dir, print_job, pdf_variant)
    else:  # the cover drawn beside: the one stage of an EPUB that needs no chapter
        with Beside(_drawn_cover, book_dir) as drawing:
            draft = _draft(book_dir, print_job, pdf_variant, False)
            drawn_cover = None if draft.book.cover else drawing.result()
    meta, book = draft.meta, draft.book
    clock.lap(f"manuscript  {meta.title!r}: {counted(len(book.chapters), 'chapter')}, "
              f"{counted(len(book.warnings), 'warning')}"
              f"{', print edition rendered' * bool(draft.print_html)}")
    warnings = list(book.warnings)
    if "epub" in wanted:
        warnings += _unclaimed(book)
    outputs: dict[str, bytes] = {}
    cache_notes: list[str] = []
    page_map: PageMap | None
    if "pdf" not in wanted:  # an EPUB alone: no layout, the page-list only from a map of this content
        page_map = load_page_map(meta.root, draft.layout_key, cache_notes)
        if page_map is None:
            warnings.append(Diagnostic(NO_PAGE_LIST, meta.root))
            clock.lap("layout      skipped: no page map cached for this content, so no page list")
        else:
            clock.lap(f"layout      skipped: {page_map.page_count} pages (cached page map)")
        outputs.update(_epub_edition(book, page_map, draft.built_at, drawn_cover))
    else:
        document = _lay_out(draft, warnings)
        clock.lap(f"layout      {len(document.pages)} pages")
        readable = weasyprint_adapter.page_boxes_readable(document)
        if not readable and "epub" in wanted:
            warnings.append(Diagnostic("the EPUB has no page list: the print layout's page boxes "
                                       "could not be read (see the note)", meta.root))
        outputs[pdf_name(meta)], (page_map, epub) = _pdf_with_epub_beside(
            book, document, "epub" in wanted, draft.built_at, clock)
        if readable:  # a map without pages would stand in for a real one later
            store_page_map(meta.root, draft.layout_key, page_map)
        outputs.update(epub)
    if "epub" in wanted:
        clock.lap(f"epub        {len(outputs[f'{meta.slug}.epub']):,} bytes")
    if cover:
        outputs.update(_print_cover(book, page_map, warnings))
        clock.lap(f"cover       {len(outputs.get(f'{meta.slug}-cover.pdf', b'')):,} bytes")
    for note in [*cache_notes, *weasyprint_adapter.notes_once(), *_pdf_notes(wanted)]:
        progress(f"note        {note}")
    files = write_atomically(out_dir, outputs)
    clock.lap("write       " + ", ".join(str(f) for f in files))
    return BuildResult(tuple(files), tuple(warnings), page_map.page_count if page_map else None,
                       word_count(book), clock.total())


def _print_cover(book: Book, page_map: PageMap | None, warnings: list[Diagnostic]) -> dict[str, bytes]:
    """The print cover for the printer's page count (the layout's, padded as the printer's
    file is), from the book's cover picture or set in its type."""
    from builder.cover import render_print_cover
    from builder.printers import padding

    if page_map is None:
        warnings.append(Diagnostic("no print cover: its spine needs the page count; build the PDF "
                                   "too (build --cover)", book.meta.root))
        return {}
    job = replace(book.meta.print, print_job=True)
    pages = page_map.page_count + padding(job, page_map.page_count)
    front = book.cover.data if book.cover else None
    name = book.cover.source.name if book.cover else "cover.png"
    return {f"{book.meta.slug}-cover.pdf": render_print_cover(book.meta, pages, front, name)}


def _pdf_notes(wanted: list[str]) -> list[str]:
    """What the PDF writer did to the printer's file (padding, colours)."""
    if "pdf" not in wanted:
        return []
    from builder.pdf import notes

    return notes()


def word_count(book: Book) -> int:
    """The words of the chapters' text and notes, as a reader would count them."""
    texts = [chapter.title_text for chapter in book.chapters]
    texts += [part.xhtml for chapter in book.chapters for part in chapter.body if part.kind == "markup"]
    texts += [note.block_xhtml for chapter in book.chapters for note in chapter.notes]
    return sum(len(html.unescape(_TAG.sub(" ", text)).split()) for text in texts)


def _unclaimed(book: Book) -> list[Diagnostic]:
    """Why the EPUB claims no accessibility conformance (builder.epub declares it only
    when the book meets every rule checks.accessibility counts), if it does not."""
    from builder.checks import accessibility

    unmet = accessibility(book).unmet
    if not unmet:
        return []
    return [Diagnostic("the EPUB makes no accessibility conformance claim (EPUB Accessibility 1.1, "
                       f"WCAG 2.1 Level AA): {'; '.join(unmet)}", book.meta.root)]


def _pdf_with_epub_beside(book: Book, document: Any, with_epub: bool, built_at: dt.datetime,
                          clock: _Stopwatch) -> tuple[bytes, tuple[PageMap, dict[str, bytes]]]:
    """The PDF, with the page map and the EPUB made in a child meanwhile."""
    from builder.pdf import write_pdf

    alone = "" if forking.room_for_a_copy() else " in one process: the free memory would not hold a second"
    with Beside(_after_layout, book, document, with_epub, built_at) as side:
        pdf = write_pdf(book, document, built_at, book.meta.print.pdf_variant)
        clock.lap(f"pdf         {len(pdf):,} bytes{alone}")
        return pdf, side.result()


def _draft_beside_import(book_dir: Path, print_job: bool | None, pdf_variant: str | None) -> _Draft:
    """The draft made in a child while this process imports WeasyPrint."""
    with Beside(_draft, book_dir, print_job, pdf_variant, True) as drafting:
        import builder.layout  # noqa: F401
        draft = drafting.result()
    use_patterns(draft.hyphenation)
    return draft


def _lay_out(draft: _Draft, warnings: list[Diagnostic]) -> Any:
    """The print layout; its errors (and the style sheets') refuse the build."""
    from builder.layout import layout, print_resources

    book = draft.book
    draft.style_problems.raise_if_errors(ManuscriptError)
    warnings += draft.style_problems.warnings
    document, messages = layout(book, draft.print_html, print_resources(book))
    if any(message.level == "error" for message in messages):
        raise ManuscriptError.from_diagnostics([*warnings, *messages])
    warnings += messages
    return document


@dataclass(frozen=True)
class _Draft:
    meta: BookMeta
    book: Book
    print_html: str
    style_problems: Problems  # raised only where there is a layout to spoil
    built_at: dt.datetime
    layout_key: str  # the page map's cache key
    hyphenation: Patterns | None  # parsed here, so that the layout need not


def _draft(book_dir: Path, print_job: bool | None, pdf_variant: str | None,
           for_layout: bool) -> _Draft:
    """The config (with the command line's print options), the chapters read and
    converted, the time to stamp and, *for_layout* (or where a page map is cached
    whose key may match), the print edition's one HTML document and the key of the
    cached page map; *for_layout*, what is wrong with the style sheets and the
    hyphenation patterns of the book's language."""
    from builder.manuscript import read_book
    from builder.render import render_print
    from builder.stylecheck import check_styles
    from builder.typography import hyphenation_language

    meta = _config(book_dir)
    meta = replace(meta, print=replace(
        meta.print,
        print_job=meta.print.print_job if print_job is None else print_job,
        pdf_variant=pdf_variant or meta.print.pdf_variant,
    ))
    book = read_book(meta)
    style_problems = Problems()
    if for_layout:  # only a layout raises or reports them
        check_styles(book, style_problems, with_weasyprint=False)
    print_html = layout_key = ""  # an EPUB alone with no page map cached: neither is used
    if for_layout or has_page_map(meta.root):
        print_html = render_print(book)
        # Everything the layout reads: the HTML, the styles, and the code that lays it out.
        layout_key = cache_key(print_html, *(css for _, css in book.styles), *(i.href for i in book.images),
                               __version__, _weasyprint_version())
    return _Draft(meta, book, print_html, style_problems, build_time(meta), layout_key,
                  read_patterns(hyphenation_language(meta.language)) if for_layout else None)


def _after_layout(book: Book, document: Any, with_epub: bool,
                  built_at: dt.datetime) -> tuple[PageMap, dict[str, bytes]]:
    from builder.pagemap import page_map as make_page_map

    page_map = make_page_map(document, book.body_start)
    return page_map, _epub_edition(book, page_map, built_at) if with_epub else {}


def _epub_edition(book: Book, page_map: PageMap | None, built_at: dt.datetime,
                  drawn_cover: bytes | None = None) -> dict[str, bytes]:
    from builder.epub import write_epub
    from builder.render import render_epub

    documents = render_epub(book, page_map)
    if book.cover:
        drawn_cover = b""
    elif drawn_cover is None:
        from builder.cover import render_cover  # Pillow: imported only to draw here

        drawn_cover = render_cover(book.meta)
    return {f"{book.meta.slug}.epub": write_epub(book, documents, page_map, drawn_cover, built_at)}


def _drawn_cover(book_dir: Path) -> bytes:
    """The cover builder.cover draws from book.toml (title, subtitle, authors), for a
    book that supplies none."""
    from builder.config import load_config
    from builder.cover import render_cover

    return render_cover(load_config(book_dir))


def _weasyprint_version() -> str:
    from importlib.metadata import version

    return version("weasyprint")


def check(book_dir: Path) -> list[Diagnostic]:
    """Every problem the book has, without building: config, chapters, styles."""
    from builder.manuscript import read_book
    from builder.stylecheck import check_styles

    try:
        meta = _config(book_dir)
    except BuilderError as exc:
        return list(exc.diagnostics)
    problems = Problems()
    try:
        book = read_book(meta, problems)
    except ManuscriptError:
        return list(ordered(problems.items))
    check_styles(book, problems)
    return list(ordered(problems.items))


def _config(book_dir: Path) -> BookMeta:
    """book.toml's BookMeta. When it has mistakes but still names the chapters, they are
    read under its fallback (stand-ins for the bad values), so that one ConfigError tells
    the chapters' problems with the config's; nothing is laid out."""
    from builder.config import load_config
    from builder.manuscript import read_book

    try:
        return load_config(book_dir)
    except ConfigError as exc:
        if exc.fallback is None:
            raise
        problems = Problems()
        problems.items.extend(exc.diagnostics)
        with suppress(ManuscriptError):  # its problems are in *problems*, told with the config's
            read_book(exc.fallback, problems)
        raise ConfigError.from_diagnostics(problems.items) from exc


class _Stopwatch:
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.started = self.last = time.perf_counter()

    def total(self) -> float:
        return time.perf_counter() - self.started

    def lap(self, line: str) -> None:
        now = time.perf_counter()
        self.progress(f"{line}  ({now - self.last:.2f} s)")
        self.last = now
