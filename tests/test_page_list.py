"""One layout serves both editions: the EPUB's page-list is the print edition's pages."""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

from builder.pipeline import BuildResult
from tests.helpers import OPF_NS, XHTML_NS, letters, nav_document, opf, pdf_pages

EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def _files(result: BuildResult) -> tuple[Path, Path]:
    epub, pdf = sorted(result.files)
    return epub, pdf


def _words_after_markers(epub: Path) -> dict[str, str]:
    """label -> the text that follows the page-break marker, in its document."""
    after: dict[str, str] = {}
    with zipfile.ZipFile(epub) as archive:
        for name in archive.namelist():
            if not name.endswith(".xhtml"):
                continue
            tree = etree.fromstring(archive.read(name))
            text_after: list[str] = []
            for marker in tree.iter("{http://www.w3.org/1999/xhtml}span"):
                if marker.get(EPUB_TYPE) != "pagebreak":
                    continue
                text_after = [t for t in marker.xpath("following::text()")][:40]
                after[marker.get("aria-label")] = " ".join("".join(text_after).split())
    return after


def test_nav_has_a_page_list_and_landmarks(real_book: tuple[Path, BuildResult]) -> None:
    epub, _ = _files(real_book[1])
    nav = nav_document(epub)
    page_list = nav.find(".//x:nav[@epub:type='page-list']", XHTML_NS)
    labels = [a.text for a in page_list.iterfind(".//x:a", XHTML_NS)]
    assert labels[:3] == ["iii", "iv", "v"] and "1" in labels
    landmarks = nav.find(".//x:nav[@epub:type='landmarks']", XHTML_NS)
    kinds = [a.get(EPUB_TYPE) for a in landmarks.iterfind(".//x:a", XHTML_NS)]
    assert kinds == ["cover", "titlepage", "toc", "bodymatter"]


def test_every_page_list_link_has_its_marker(real_book: tuple[Path, BuildResult]) -> None:
    epub, _ = _files(real_book[1])
    markers = _words_after_markers(epub)
    nav = nav_document(epub)
    page_list = nav.find(".//x:nav[@epub:type='page-list']", XHTML_NS)
    for link in page_list.iterfind(".//x:a", XHTML_NS):
        assert link.get("href").endswith(f"#page-{link.text}")
        assert link.text in markers


def test_words_after_each_marker_open_that_pdf_page(real_book: tuple[Path, BuildResult]) -> None:
    epub, pdf = _files(real_book[1])
    markers = _words_after_markers(epub)
    pages = pdf_pages(pdf)
    first_chapter = next(p.number for p in pages if p.body.startswith("Introduction"))
    checked = 0
    for page in pages[first_chapter - 1 :]:
        if not page.body:
            continue
        label = str(page.number - first_chapter + 1)
        assert label in markers, f"no marker for printed page {label}"
        # Skip what is no word (a list item's dash).
        pdf_words = [w for w in (letters(word) for word in page.body.split()) if w][:6]
        epub_words = [letters(word) for word in markers[label].split()[:12]]
        context = (label, page.body[:60], markers[label][:60])
        # A page may open inside a hyphenated word: the marker stands before the whole word.
        assert epub_words[0].endswith(pdf_words[0]), context
        assert "".join(epub_words[1:]).startswith("".join(pdf_words[1:])), context
        checked += 1
    assert checked >= 10


def test_page_break_source_is_declared(real_book: tuple[Path, BuildResult]) -> None:
    epub, _ = _files(real_book[1])
    package = opf(epub)
    source = package.find(".//opf:meta[@property='schema:pageBreakSource']", OPF_NS)
    assert source is not None and "print edition" in source.text
