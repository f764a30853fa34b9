"""An EPUB every reading system and checker accepts, and every reader can use."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from builder.pipeline import BuildResult
from tests.conftest import REPO
from tests.helpers import OPF_NS, XHTML_NS, ace_checker, opf, spine_documents

BOOKS = ["real_book", "small_book"]
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def _epub(result: BuildResult) -> Path:
    return next(f for f in result.files if f.suffix == ".epub")


@pytest.mark.parametrize("name", [*BOOKS, "tech_book"])
def test_ace_reports_no_violation(name: str, request: pytest.FixtureRequest) -> None:
    ace = ace_checker()
    found = ace.run_ace(_epub(request.getfixturevalue(name)[1]))
    assert found == [], "\n".join(f"{name}: {v['impact']} {v['rule']} {v['file']}: {v['message']}"
                                   for v in found)


def test_accessibility_metadata(real_book: tuple[Path, BuildResult]) -> None:
    package = opf(_epub(real_book[1]))

    def values(prop: str) -> list[str]:
        return [m.text for m in package.iterfind(f".//opf:meta[@property='{prop}']", OPF_NS)]

    assert values("schema:accessMode") == ["textual", "visual"]
    assert "textual" in values("schema:accessModeSufficient")
    assert {"structuralNavigation", "tableOfContents", "readingOrder", "pageNavigation",
            "printPageNumbers", "alternativeText"} <= set(values("schema:accessibilityFeature"))
    assert values("schema:accessibilityHazard") == ["none"]
    assert values("schema:accessibilitySummary")[0].startswith("This publication meets")
    conforms = package.find(".//opf:meta[@property='dcterms:conformsTo']", OPF_NS)
    assert conforms.text == "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"
    certified = package.find(".//opf:meta[@property='a11y:certifiedBy']", OPF_NS)
    assert certified.get("refines") == f"#{conforms.get('id')}"
    assert certified.text == "Independently published"  # the publisher, from book.toml
    assert package.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"


def test_semantics_on_front_matter_chapters_and_toc(real_book: tuple[Path, BuildResult]) -> None:
    documents = dict(spine_documents(_epub(real_book[1])))
    expected = {"cover.xhtml": "cover", "titlepage.xhtml": "titlepage",
                "copyright.xhtml": "copyright-page", "toc.xhtml": "toc"}
    for name, kind in expected.items():
        body = documents[name].find("x:body", XHTML_NS)
        first = next(e for e in body if e.get(EPUB_TYPE) != "pagebreak")
        assert first.get(EPUB_TYPE) == kind, name
    chapters = [d for n, d in documents.items() if n.startswith("ch-")]
    assert len(chapters) == 9
    for document in chapters:
        section = document.find(".//x:section", XHTML_NS)
        assert section.get(EPUB_TYPE) == "chapter" and section.get("role") == "doc-chapter"
    toc = documents["toc.xhtml"].find(".//x:nav[@role='doc-toc']", XHTML_NS)
    assert toc is not None and toc.get(EPUB_TYPE) == "toc"


def test_footnotes_are_popup_notes_with_back_links(small_book: tuple[Path, BuildResult]) -> None:
    first = dict(spine_documents(_epub(small_book[1])))["ch-01-first.xhtml"]
    call = first.find(".//x:a[@role='doc-noteref']", XHTML_NS)
    assert call.get(EPUB_TYPE) == "noteref"
    note = first.find(f".//x:aside[@id='{call.get('href')[1:]}']", XHTML_NS)
    assert note.get(EPUB_TYPE) == "footnote" and note.get("role") == "doc-footnote"
    back = note.find(".//x:a[@role='doc-backlink']", XHTML_NS)
    assert back.get("href") == f"#{call.get('id')}"


def test_ncx_for_epub2_reading_systems(real_book: tuple[Path, BuildResult]) -> None:
    epub = _epub(real_book[1])
    package = opf(epub)
    ncx_item = package.find(".//opf:item[@media-type='application/x-dtbncx+xml']", OPF_NS)
    assert package.find(".//opf:spine", OPF_NS).get("toc") == ncx_item.get("id")
    with zipfile.ZipFile(epub) as archive:
        ncx = archive.read(f"EPUB/{ncx_item.get('href')}").decode()
    assert ncx.count("<navPoint") == 9


def test_cover_image_and_cover_page(real_book: tuple[Path, BuildResult]) -> None:
    epub = _epub(real_book[1])
    package = opf(epub)
    item = package.find(".//opf:item[@properties='cover-image']", OPF_NS)
    with zipfile.ZipFile(epub) as archive:
        image = Image.open(io.BytesIO(archive.read(f"EPUB/{item.get('href')}")))
    assert max(image.size) >= 1600
    assert image.size[1] / image.size[0] == pytest.approx(1.6, abs=0.01)
    first_in_spine = package.find(".//opf:itemref", OPF_NS).get("idref")
    assert first_in_spine == "cover"


def test_a_supplied_cover_is_used(tmp_path: Path) -> None:
    import shutil

    from builder.pipeline import build
    from tests.conftest import FIXTURES

    book = tmp_path / "book"
    shutil.copytree(FIXTURES / "small-book", book)
    Image.new("RGB", (1600, 2560), (200, 30, 30)).save(book / "book" / "cover.png")
    result = build(book, tmp_path / "dist", ["epub"])
    with zipfile.ZipFile(_epub(result)) as archive:
        cover = Image.open(io.BytesIO(archive.read("EPUB/images/cover.png")))
    assert cover.getpixel((10, 10)) == (200, 30, 30)


def test_reader_css_leaves_size_and_colour_to_the_reader() -> None:
    for sheet in ("base.css", "epub.css"):
        css = (REPO / "builder" / "styles" / sheet).read_text()
        # Code tokens carry hues (mid-tones, lightened in night mode); text never does.
        css = re.sub(r"[^{}]*\.codehilite[^{}]*\{[^}]*\}", "", css)
        for declaration in re.findall(r"(font-size|line-height|font)\s*:\s*([^;}]+)", css):
            assert "px" not in declaration[1] and "pt" not in declaration[1], (sheet, declaration)
        assert not re.search(r"(?<![-\w])(color|background(-color)?)\s*:\s*(#|rgb|white|black)", css), sheet


def test_no_straight_quotes_left_in_the_text(real_book: tuple[Path, BuildResult]) -> None:
    for name, document in spine_documents(_epub(real_book[1])):
        body = document.find("x:body", XHTML_NS)
        text = "".join(body.itertext())
        assert '"' not in text and "'" not in text, name


def test_empty_header_cells_become_data_cells_and_brackets_in_addresses_are_encoded(tmp_path: Path) -> None:
    from builder.pipeline import build
    from tests.helpers import epubcheck, write_file

    root = tmp_path / "book"
    write_file(root / "book" / "book.toml",
               'title = "T"\nauthors = ["A"]\nlanguage = "en"\ndate = 2024-01-01\n')
    write_file(root / "chapters" / "01-one.md", "# One\n\n|   | a | b |\n|---|---|---|\n| x | 1 | 2 |\n\n"
               "See [the spec](https://example.org/\\[MS-NLMP].pdf).\n")
    epub = build(root, tmp_path / "dist", ["epub"]).files[0]
    with zipfile.ZipFile(epub) as package:
        chapter = next(package.read(n).decode() for n in package.namelist() if n.endswith("ch-01-one.xhtml"))
    assert "<th></th>" not in chapter and "<th/>" not in chapter and "<th>a</th>" in chapter
    assert "%5BMS-NLMP%5D.pdf" in chapter
    assert epubcheck(epub) == []
