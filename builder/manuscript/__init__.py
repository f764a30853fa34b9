"""Stage 2: BookMeta + the book folder -> Book (chapters as XHTML, table data, errata).

In: validated BookMeta. Out: a Book whose chapters hold well-formed XHTML
fragments with ids unique across the whole book, ready for the template, and
the index gathered from their markers (``index``).
Markdown is converted by Python-Markdown (``convert``), then parsed by lxml's
HTML parser and serialised as XML (``chapter``, ``tree``, ``links``,
``parts``); the book's data files are read by ``data`` and every text file
through ``files``. This stage, the URL fetcher, builder.speed.cache and
builder.speed.drafts are the only readers of the book folder. Given a DraftCache (builder.speed.drafts: the
live preview keeps one), a chapter whose draft's inputs are unchanged is not
converted and checked again; the book-wide steps are done as without it.
"""

from __future__ import annotations

import functools
from pathlib import Path

from builder import checks
from builder.codewrap import measure, text_size
from builder.errors import Location, ManuscriptError, Problems
from builder.images import read_cover
from builder.manuscript.chapter import (
    ChapterSource,
    DraftInputs,
    chapter_slugs,
    chapter_source,
    check_unique_titles,
    draft_chapter,
)
from builder.manuscript.citations import cite_book
from builder.manuscript.convert import conversion_settings, converters, new_markdown
from builder.manuscript.data import read_author_table, read_errata, read_styles, titled_errata
from builder.manuscript.files import warn_unlisted_chapters
from builder.manuscript.index import build_index
from builder.manuscript.links import resolve_links
from builder.model import Book, BookImage, BookMeta
from builder.speed.cache import CACHE_DIR, MarkdownCache
from builder.speed.drafts import DraftCache

__all__ = ["new_markdown", "read_book"]
AUTHOR_TABLE_FILE = Path("book") / "author.toml"
ERRATA_FILE = Path("book") / "errata.toml"


def _roles(meta: BookMeta, sources: list[ChapterSource],
           problems: Problems) -> list[tuple[str, int, str]]:
    """Each chapter's role (book.toml's, else its front matter's), number and letter: the body's
    chapters are numbered 1, 2 … (their captions "Figure 2.1"), the appendices lettered A, B …"""
    given = dict(meta.roles)
    found: list[tuple[str, int, str]] = []
    body = appendices = 0
    for index, source in enumerate(sources):
        role = given.get(source.path) or source.role or "chapter"
        if source.path in given and source.role and source.role != given[source.path]:
            problems.error(f"the front matter says role {source.role!r}, book.toml says "
                           f"{given[source.path]!r}; give the role in one place",
                           Location(source.path, source.role_line, 1))
        part = meta.part_of(index)
        if role != "chapter" and part is not None:
            article = "an" if role[0] in "aeiou" else "a"
            problems.error(f"{article} {role} is front or back matter, not a chapter of a part "
                           f"({part.title!r}); list it in book.toml's chapters outside any part",
                           Location(source.path, source.role_line, 1))
        if role == "appendix":
            appendices += 1
            found.append((role, len(sources) + appendices, _letters(appendices)))
        else:
            body += role == "chapter"
            found.append((role, body if role == "chapter" else 0, ""))
    return found


def _letters(number: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA: an appendix's letter."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def read_book(meta: BookMeta, problems: Problems | None = None, kept: DraftCache | None = None) -> Book:
    """Read every chapter named by *meta*, plus the optional table and errata; the chapters
    whose drafts *kept* holds are not drafted again.

    Every problem in every chapter is collected first; if any is an error,
    one ManuscriptError lists them all."""
    problems = problems if problems is not None else Problems()
    conversions = MarkdownCache.for_book(meta.root, conversion_settings(), converters())
    images: dict[Path, BookImage] = {}
    sources = [chapter_source(number, path, meta.root)
               for number, path in enumerate(meta.chapter_files, start=1)]
    slugs = chapter_slugs(meta.chapter_files)
    roles = _roles(meta, sources, problems)
    inputs = [DraftInputs(number, source.path, source.text, slugs[source.path], meta.structure, meta.root,
                          conversions.salt) if source.text is not None else None
              for source, (_, number, _) in zip(sources, roles, strict=True)]
    reused = kept.begin(filter(None, inputs)) if kept is not None else set()
    for found in reused:
        conversions.keep(found.text)  # still the text of a chapter: its conversion stays cached
    drafts = []
    to_convert = [each.text for each in inputs if each is not None and each not in reused]
    with conversions.converting_ahead(to_convert):
        for source, (role, _, letter), each in zip(sources, roles, inputs, strict=True):
            problems.items.extend(source.problems.items)  # in chapter order, as they were found
            if each is None:
                continue
            make = functools.partial(draft_chapter, conversions, each, images=images)
            draft = make(problems) if kept is None else kept.draft(each, problems, images, make)
            if draft is not None:
                draft.role, draft.letter = role, letter
                drafts.append(draft)
    conversions.prune()
    for note in conversions.notes:
        problems.warning(note, Location(meta.root / CACHE_DIR))
    warn_unlisted_chapters(meta, problems)
    resolve_links(drafts, problems, meta.root, meta.structure.base_url)
    print_measure = measure(meta.print.trim, text_size(meta.style.font_size))
    for draft in drafts:  # after the links: a cross-reference's page is part of its width
        checks.check_table_widths(draft.path, draft.text, draft.root, print_measure, problems)
    bibliography = cite_book(drafts, meta, problems)  # after the links: its own point at the back
    index = build_index(drafts, meta.language, problems)
    chapters = tuple(draft.finish(problems) for draft in drafts)
    check_unique_titles(chapters, problems)
    author_table = read_author_table(meta.root / AUTHOR_TABLE_FILE, problems, meta.root)
    if author_table is None:
        for chapter in chapters:
            if any(part.kind == "author-table" for part in chapter.body):
                problems.warning("[[author-table]] is here but book/author.toml is missing; "
                                 "no table is printed", Location(chapter.source))
    errata = titled_errata(read_errata(meta.root / ERRATA_FILE, problems, meta.root), chapters,
                            meta.root / ERRATA_FILE, problems)
    styles = read_styles(meta.root, problems, meta.style)
    cover = read_cover(meta.root, problems)
    if not chapters and not problems.has_errors:
        problems.error("the book has no chapter", Location(meta.root / "book" / "book.toml"))
    problems.raise_if_errors(ManuscriptError)
    return Book(
        meta=meta,
        chapters=chapters,
        author_table=author_table,
        errata=errata,
        styles=styles,
        images=tuple(images.values()),
        cover=cover,
        bibliography=bibliography,
        index=index,
        warnings=problems.warnings,
    )
