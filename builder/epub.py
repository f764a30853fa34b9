"""Stage 4a: the EPUB edition's documents -> EPUB 3 bytes, written by ebooklib.

In: the template's XHTML documents, the page map of the print edition, the
styles, the cover and the build time.
Out: the bytes of a reproducible EPUB (fixed entry order and timestamps,
mimetype first and stored). ebooklib writes the package (OPF, NCX, container);
our own template supplies every XHTML file, the nav document included, so
ebooklib never rewrites our markup. Each document is checked with a strict XML
parser first: a malformed page fails the build here, never in a reader.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ebooklib import epub
from lxml import etree

from builder import checks
from builder.errors import Location, RenderError
from builder.isbn import compact
from builder.model import Book, Chapter, PageMap, RenderedDocument
from builder.pagebreaks import insert_page_breaks
from builder.stylesheets import edition_sheets

XHTML = "application/xhtml+xml"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a ZIP entry can hold


def write_epub(
    book: Book,
    documents: Sequence[RenderedDocument],
    page_map: PageMap | None,
    drawn_cover: bytes,
    built_at: dt.datetime,
) -> bytes:
    """The EPUB; *drawn_cover* (a PNG) is used when the book supplies no cover. Without
    a page map, or with one that holds no page starts, it has no page list and claims none."""
    page_map = page_map if has_page_list(page_map) else None
    package = _package_metadata(book, documents, page_map)
    linked = edition_sheets("epub", [name for name, _ in book.styles])
    for name, css in book.styles:
        if name in linked:
            package.add_item(epub.EpubItem(
                uid=f"css-{name.removesuffix('.css')}", file_name=f"styles/{name}",
                media_type="text/css", content=css.encode("utf-8"),
            ))
    for number, image in enumerate(book.images, start=1):
        package.add_item(epub.EpubItem(uid=f"image-{number}", file_name=image.href,
                                       media_type=image.media_type, content=image.data))
    cover = epub.EpubItem(uid="cover-image", file_name=book.cover_href,
                          media_type=book.cover.media_type if book.cover else "image/png",
                          content=book.cover.data if book.cover else drawn_cover)
    cover.properties = ["cover-image"]
    package.add_item(cover)
    package.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})

    spine = []
    for document, content in zip(documents, finished_documents(documents, page_map), strict=True):
        item = epub.EpubItem(uid=document.page.slug, file_name=document.page.file_name,
                             media_type=XHTML, content=content)
        item.properties = ["nav"] if document.page.kind == "toc" else []
        if MATHML_NS.encode() in content:  # a document with formulas says so (EPUB 3's manifest rule)
            item.properties.append("mathml")
        package.add_item(item)
        spine.append(item)
    package.spine = spine
    package.toc = _ncx(book)
    package.add_item(epub.EpubNcx())

    raw = io.BytesIO()
    epub.write_epub(raw, package, {
        "mtime": built_at.astimezone(dt.UTC),
        "raise_exceptions": True,
        "epub2_guide": False,
        "epub3_landmark": False,
        "epub3_pages": False,
        "compresslevel": 0,  # normalise_zip reads it back and deflates the archive we ship
    })
    return normalise_zip(raw.getvalue(), book.meta.language)


def _package_language(opf: bytes, language: str) -> bytes:
    package = etree.fromstring(opf)
    package.set("{http://www.w3.org/XML/1998/namespace}lang", language)
    return bytes(etree.tostring(package, encoding="utf-8", xml_declaration=True))


def _ncx(book: Book) -> list[Any]:
    """The NCX's entries, as the nav's: the front matter, the chapters (a part holds its
    own), the back matter."""
    depth = book.meta.structure.toc_depth
    entries: list[Any] = [epub.Link(c.file_name, c.title_text, c.slug) for c in book.front_matter()]
    for group in book.contents():
        chapters = [_ncx_entry(chapter, depth) for chapter in group.chapters]
        if group.part is None:
            entries += chapters
        else:
            part = group.part
            entries.append((epub.Link(f"{part.slug}.xhtml", part.title, part.slug), chapters))
    return entries + [_ncx_entry(chapter, depth) for chapter in book.back_matter()]


def _ncx_entry(chapter: Chapter, depth: int) -> Any:
    """The NCX (EPUB 2 readers) lists what the nav lists: chapters, and their
    sections down to toc_depth."""
    link = epub.Link(chapter.file_name, chapter.full_title_text, chapter.slug)
    sections = chapter.sections_to(depth)
    if not sections:
        return link
    return (link, [epub.Link(f"{chapter.file_name}#{s.id}", s.title_text, s.id) for s in sections])


def _package_metadata(
    book: Book, documents: Sequence[RenderedDocument], page_map: PageMap | None
) -> epub.EpubBook:
    meta = book.meta
    package = epub.EpubBook()
    package.set_identifier(meta.identifier)
    package.set_title(meta.title)
    package.set_language(meta.language)
    if meta.subtitle:
        package.add_metadata("DC", "title", meta.subtitle, {"id": "subtitle"})
        package.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    for number, author in enumerate(meta.authors, start=1):
        package.add_author(author, uid=f"creator{number}")
    for number, contributor in enumerate(meta.contributors, start=1):
        package.add_metadata("DC", "contributor", contributor.name, {"id": f"contributor{number}"})
        package.add_metadata(None, "meta", contributor.relator, {
            "refines": f"#contributor{number}", "property": "role", "scheme": "marc:relators"})
    if meta.series:  # EPUB 3's collection: a series, and the book's place in it
        package.add_metadata(None, "meta", meta.series, {"property": "belongs-to-collection", "id": "series"})
        package.add_metadata(None, "meta", "series", {"refines": "#series", "property": "collection-type"})
        if meta.series_number is not None:
            package.add_metadata(None, "meta", str(meta.series_number),
                                 {"refines": "#series", "property": "group-position"})
    if meta.publisher:
        package.add_metadata("DC", "publisher", meta.publisher)
    package.add_metadata("DC", "date", meta.date.isoformat())
    if meta.rights:
        package.add_metadata("DC", "rights", meta.rights)
    if meta.description:
        package.add_metadata("DC", "description", meta.description)
    for subject in meta.subjects:
        package.add_metadata("DC", "subject", subject)
    for name, value, attributes in accessibility_metadata(book, documents, page_map):
        package.add_metadata(None, "meta", value, {"property": name, **attributes})
    if page_map is not None:
        # EPUB 3.3 names the page-break source with schema:pageBreakSource; reading
        # systems and Ace that predate it read a dc:source refined as the pagination source.
        package.add_metadata("DC", "source", page_break_source(book), {"id": "pagination-source"})
        package.add_metadata(None, "meta", "pagination",
                             {"refines": "#pagination-source", "property": "source-of"})
    return package


def has_page_list(page_map: PageMap | None) -> bool:
    """Whether the print edition's pages can be marked: a map (a layout's, or the cached
    one of the same content) with at least one page start."""
    return page_map is not None and bool(page_map.starts)


def page_break_source(book: Book) -> str:
    """The print edition the page numbers come from: its ISBN, where it has one."""
    if book.meta.isbns.print:
        return f"urn:isbn:{compact(book.meta.isbns.print)}"
    return f"{book.meta.title}, print edition ({book.meta.print.trim_name} in)"


def accessibility_metadata(
    book: Book, documents: Sequence[RenderedDocument], page_map: PageMap | None
) -> list[tuple[str, str, dict[str, str]]]:
    """EPUB Accessibility 1.1 package metadata, derived from what the book holds: it
    claims conformance (dcterms:conformsTo) only when the book meets every rule
    checks.accessibility counts, and otherwise says in its summary what is not met."""
    met = checks.accessibility(book)
    page_map = page_map if has_page_list(page_map) else None
    has_images = any("<img" in document.xhtml for document in documents)  # the cover's too
    described = met.images_without_alt == 0
    has_tables = met.tables > 0 or book.author_table is not None  # the template's table has th
    modes = ["textual", "visual"] if has_images else ["textual"]
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability"]
    if has_images and described:
        features.append("alternativeText")
    if page_map is not None:
        features += ["pageNavigation", "printPageNumbers"]
    if any(MATHML_NS in document.xhtml for document in documents):  # each formula with its LaTeX
        features += ["MathML", "describedMath"]
    if met.conforms:
        claim = "This publication meets EPUB Accessibility 1.1 and WCAG 2.1 Level AA."
    else:
        claim = ("This publication does not claim conformance to EPUB Accessibility 1.1 or WCAG 2.1 "
                 f"Level AA: {'; '.join(met.unmet)}.")
    summary = (
        f"{claim} It has a table of contents, landmarks and headings for navigation, a logical "
        "reading order, and text that reflows and follows the reader's font, size and colour settings."
        + (" Images have text alternatives." if has_images and described else "")
        + (" Tables have header cells." if has_tables and not met.tables_without_header else "")
        + (" Page numbers of the print edition are marked and listed." if page_map else "")
    )
    source = page_break_source(book)
    entries: list[tuple[str, str, dict[str, str]]] = []
    entries += [("schema:accessMode", mode, {}) for mode in modes]
    if described:  # text alone suffices only where every image is described in words
        entries.append(("schema:accessModeSufficient", "textual", {}))
    if has_images:
        entries.append(("schema:accessModeSufficient", "textual,visual", {}))
    entries += [("schema:accessibilityFeature", feature, {}) for feature in features]
    entries.append(("schema:accessibilityHazard", "none", {}))
    entries.append(("schema:accessibilitySummary", summary, {}))
    entries.append(("schema:pageBreakSource", source if page_map else "none", {}))
    if met.conforms:
        entries.append(("dcterms:conformsTo", CONFORMANCE, {"id": "conformance"}))
        certifier = book.meta.publisher or ", ".join(book.meta.authors)
        entries.append(("a11y:certifiedBy", certifier, {"refines": "#conformance"}))
    return entries


def finished_documents(documents: Sequence[RenderedDocument], page_map: PageMap | None) -> list[bytes]:
    """Parse every page strictly, mark the print edition's page breaks, then turn
    `#id` links whose target lives in another file into `file.xhtml#id` (the PDF
    is one document; the EPUB is not)."""
    trees = [_parse(d.page.file_name, d.xhtml) for d in documents]
    if page_map is not None:
        insert_page_breaks(trees, page_map)
    home = {
        element.get("id"): document.page.file_name
        for document, tree in zip(documents, trees, strict=True)
        for element in tree.iterfind(".//*[@id]")
    }
    out = []
    for document, tree in zip(documents, trees, strict=True):
        for link in tree.iterfind(".//{http://www.w3.org/1999/xhtml}a[@href]"):
            target = link.get("href", "")
            elsewhere = home.get(target[1:], document.page.file_name)
            if target.startswith("#") and elsewhere != document.page.file_name:
                link.set("href", elsewhere + target)
        out.append(b"<?xml version='1.0' encoding='utf-8'?>\n<!DOCTYPE html>\n"
                   + etree.tostring(tree, encoding="utf-8"))
    return out


def _parse(file_name: str, xhtml: str) -> etree._Element:
    try:
        return etree.fromstring(xhtml.encode("utf-8"))
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        raise RenderError(
            f"the template produced malformed XHTML in {file_name}: {exc.msg}",
            Location(Path("EPUB") / file_name, line, column),
        ) from exc


def normalise_zip(data: bytes, language: str) -> bytes:
    """Rewrite the archive with fixed timestamps and permissions, mimetype first and
    stored, the rest deflated in ebooklib's order: same input, same bytes. The one
    place where ebooklib's package document is amended: it writes no xml:lang on
    <package>, which accessibility checkers require."""
    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    ordered = ["mimetype"] + [name for name in names if name != "mimetype"]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, whatever the host
            stored = name == "mimetype"
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            content = source.read(name)
            if name.endswith(".opf"):
                content = _package_language(content, language)
            target.writestr(info, content, compresslevel=None if stored else 6)  # 9: 22 % slower, 0.2 % less
    return out.getvalue()
