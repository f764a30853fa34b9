"""Stage 4a: RenderedBook -> EPUB 3 bytes, written by ebooklib.

In: the template's XHTML documents, the styles, the cover and the build time.
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
from pathlib import Path

from ebooklib import epub
from lxml import etree

from builder.errors import Location, RenderError
from builder.model import RenderedBook

XHTML = "application/xhtml+xml"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a ZIP entry can hold


def write_epub(rendered: RenderedBook, cover_png: bytes, built_at: dt.datetime) -> bytes:
    book = rendered.book
    package = _package_metadata(rendered)
    for name, css in book.styles:
        if name in ("base.css", "epub.css"):
            package.add_item(epub.EpubItem(
                uid=f"css-{name.removesuffix('.css')}", file_name=f"styles/{name}",
                media_type="text/css", content=css.encode("utf-8"),
            ))
    cover = epub.EpubItem(uid="cover-image", file_name="images/cover.png",
                          media_type="image/png", content=cover_png)
    cover.properties = ["cover-image"]
    package.add_item(cover)
    package.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})

    spine = []
    for document, content in zip(rendered.epub_documents, _linked_documents(rendered), strict=True):
        item = epub.EpubItem(uid=document.page.slug, file_name=document.page.file_name,
                             media_type=XHTML, content=content)
        item.properties = ["nav"] if document.page.kind == "toc" else []
        package.add_item(item)
        spine.append(item)
    package.spine = spine
    package.toc = [epub.Link(c.file_name, c.title_text, c.slug) for c in book.chapters]
    package.add_item(epub.EpubNcx())

    raw = io.BytesIO()
    epub.write_epub(raw, package, {
        "mtime": built_at.astimezone(dt.UTC),
        "raise_exceptions": True,
        "epub2_guide": False,
        "epub3_landmark": False,
        "epub3_pages": False,
    })
    return normalise_zip(raw.getvalue())


def _package_metadata(rendered: RenderedBook) -> epub.EpubBook:
    meta = rendered.book.meta
    package = epub.EpubBook()
    package.set_identifier(meta.identifier)
    package.set_title(meta.title)
    package.set_language(meta.language)
    if meta.subtitle:
        package.add_metadata("DC", "title", meta.subtitle, {"id": "subtitle"})
        package.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    for number, author in enumerate(meta.authors, start=1):
        package.add_author(author, uid=f"creator{number}")
    if meta.publisher:
        package.add_metadata("DC", "publisher", meta.publisher)
    package.add_metadata("DC", "date", meta.date.isoformat())
    if meta.rights:
        package.add_metadata("DC", "rights", meta.rights)
    if meta.description:
        package.add_metadata("DC", "description", meta.description)
    for subject in meta.subjects:
        package.add_metadata("DC", "subject", subject)
    return package


def _linked_documents(rendered: RenderedBook) -> list[bytes]:
    """Parse every page strictly, then turn `#id` links whose target lives in
    another file into `file.xhtml#id` (the PDF is one document; the EPUB is not)."""
    trees = [_parse(d.page.file_name, d.xhtml) for d in rendered.epub_documents]
    home = {
        element.get("id"): document.page.file_name
        for document, tree in zip(rendered.epub_documents, trees, strict=True)
        for element in tree.iterfind(".//*[@id]")
    }
    out = []
    for document, tree in zip(rendered.epub_documents, trees, strict=True):
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


def normalise_zip(data: bytes) -> bytes:
    """Rewrite the archive with fixed timestamps and permissions, mimetype first and
    stored, the rest deflated in ebooklib's order: same input, same bytes."""
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
            target.writestr(info, source.read(name), compresslevel=None if stored else 9)
    return out.getvalue()
