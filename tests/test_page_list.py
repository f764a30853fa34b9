"""One layout serves both editions: the EPUB's page-list is the print edition's pages.
An EPUB alone never lays out: its page-list comes from the cached page map of the same
content, or it has none (and claims none) and the build says so."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from builder.pipeline import NO_PAGE_LIST, BuildResult, build
from tests.conftest import FIXTURES, REPO
from tests.helpers import OPF_NS, XHTML_NS, copy_book, epubcheck, letters, nav_document, opf, pdf_pages

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


EPUB_ALONE = """
import json, sys
from pathlib import Path
from builder.pipeline import build
result = build(Path(sys.argv[1]), Path(sys.argv[2]), ["epub"])
print(json.dumps({"imported": sorted(m for m in sys.modules
                                     if m.split(".")[0] in ("weasyprint", "pydyf", "builder")),
                  "warnings": [d.message for d in result.warnings], "pages": result.pages}))
"""


def _epub_alone(book: Path, out: Path) -> dict[str, Any]:
    """An EPUB-only build in a fresh interpreter: what it imported, what it warned."""
    done = subprocess.run([sys.executable, "-c", EPUB_ALONE, str(book), str(out)], cwd=REPO,
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def _page_labels(epub: Path) -> list[str]:
    page_list = nav_document(epub).find(".//x:nav[@epub:type='page-list']", XHTML_NS)
    return [] if page_list is None else [a.text for a in page_list.iterfind(".//x:a", XHTML_NS)]


def _features(epub: Path) -> set[str]:
    return {meta.text for meta in opf(epub).iterfind(".//opf:meta[@property='schema:accessibilityFeature']",
                                                     OPF_NS)}


def test_an_epub_alone_never_lays_out_and_takes_the_cached_page_list(tmp_path: Path) -> None:
    book = copy_book(FIXTURES / "small-book", tmp_path / "book")
    both = build(book, tmp_path / "both")  # lays out, and caches the page map of this content
    [both_epub] = [f for f in both.files if f.suffix == ".epub"]
    report = _epub_alone(book, tmp_path / "alone")
    laid_out = [m for m in report["imported"] if m.split(".")[0] in ("weasyprint", "pydyf")
                or m in ("builder.layout", "builder.pdf", "builder.pagemap")]
    assert laid_out == [], "an EPUB alone imported the layout"
    assert report["warnings"] == [] and report["pages"] == both.pages
    epub = tmp_path / "alone" / both_epub.name
    assert _page_labels(epub) == _page_labels(both_epub) != []
    assert {"pageNavigation", "printPageNumbers"} <= _features(epub)
    assert epub.read_bytes() == both_epub.read_bytes(), "the same EPUB as the one made beside the PDF"


@pytest.mark.parametrize("cache", ["none", "of other content"])
def test_an_epub_alone_without_a_matching_page_map_has_no_page_list_and_says_so(
        tmp_path: Path, cache: str) -> None:
    book = copy_book(FIXTURES / "small-book", tmp_path / "book")
    if cache == "of other content":
        build(book, tmp_path / "both")
        chapter = book / "chapters" / "02-second.md"
        chapter.write_text(chapter.read_text() + "\nA new paragraph moves the pages.\n")
    report = _epub_alone(book, tmp_path / "alone")
    assert not {"weasyprint", "builder.layout", "builder.pdf"} & set(report["imported"])
    assert report["warnings"] == [NO_PAGE_LIST] and report["pages"] is None
    [epub] = (tmp_path / "alone").glob("*.epub")
    assert _page_labels(epub) == []
    assert not _words_after_markers(epub), "page-break markers without a page list"
    assert not {"pageNavigation", "printPageNumbers"} & _features(epub)
    source = opf(epub).find(".//opf:meta[@property='schema:pageBreakSource']", OPF_NS)
    assert source is not None and source.text == "none"
    assert epubcheck(epub) == []


def test_an_unreadable_page_map_claims_no_print_page_numbers(small_book: tuple[Path, BuildResult]) -> None:
    """A layout whose page boxes could not be read gives a map with no starts: no page list, no claim."""
    from builder.config import load_config
    from builder.epub import accessibility_metadata
    from builder.manuscript import read_book
    from builder.model import PageMap

    book = read_book(load_config(small_book[0]))
    features = {value for name, value, _ in accessibility_metadata(book, [], PageMap(9, ()))
                if name == "schema:accessibilityFeature"}
    assert not {"pageNavigation", "printPageNumbers"} & features
