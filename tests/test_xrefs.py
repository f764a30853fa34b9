"""Numbered figures, tables and listings, and references to them: "Figure 2.1" in both
editions, a link in the EPUB, "Figure 2.1 on page N" in the PDF with the page the
figure is on; links to chapters and sections get their page in print; a reference to
an id nowhere in the book is an error at its file and line."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

from builder.cli import main
from builder.manuscript.tree import make_figures, number_captions
from builder.pipeline import BuildResult
from tests.conftest import FIXTURES
from tests.helpers import XHTML_NS, PdfPage, pdf_pages, spine_documents, write_file


def _files(result: BuildResult) -> tuple[Path, Path]:
    epub, pdf = sorted(result.files)
    return epub, pdf


def _text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())  # the label's no-break space, a space


def _folios(pages: list[PdfPage]) -> dict[int, int]:
    """Each physical page's arabic folio, counted from the pages that print one (a
    chapter's opening page prints none but counts)."""
    printed = [(page.number, int(page.foot)) for page in pages if page.foot.strip().isdigit()]
    offset = printed[0][0] - printed[0][1]
    assert all(number - folio == offset for number, folio in printed), printed
    return {page.number: page.number - offset for page in pages if page.number > offset}


def _page_of(pages: list[PdfPage], words: str) -> PdfPage:
    found = [page for page in pages if words in " ".join(page.body.split())]
    assert len(found) == 1, (words, [page.number for page in found])
    return found[0]


def test_numbered_captions_in_the_epub(tech_book: tuple[Path, BuildResult]) -> None:
    documents = dict(spine_documents(_files(tech_book[1])[0]))
    figures = documents["ch-02-figures.xhtml"]
    figure = figures.find(".//x:figure[@id='ch-02-figures--fig-map']", XHTML_NS)
    assert _text(figure.find("x:figcaption", XHTML_NS)) == "Figure 2.1: The widget\u2019s parts, mapped"
    assert figure.find("x:img", XHTML_NS).get("id") is None, "the id is the figure's"
    table = figures.find(".//x:table[@id='ch-02-figures--tbl-sizes']", XHTML_NS)
    assert table[0].tag == f"{{{XHTML_NS['x']}}}caption", "the caption is the table's first child"
    assert _text(table[0]) == "Table 2.1: Widget sizes and prices"
    assert not [p for p in figures.iterfind(".//x:p", XHTML_NS) if _text(p).startswith("Table:")]
    listing = figures.find(".//x:figure[@id='ch-02-figures--lst-hello']", XHTML_NS)
    assert listing.get("class") == "listing"
    assert _text(listing[0]) == "Listing 2.1: hello.py", "the caption above the code"
    assert listing.find(".//x:pre", XHTML_NS) is not None
    assert listing.find(".//x:span[@class='filename']", XHTML_NS) is None, "the title is the caption"
    # The unnumbered figures (no id) keep their captions as written.
    captions = [_text(c) for c in figures.iterfind(".//x:figcaption", XHTML_NS)]
    assert "Figure 1: the widget\u2019s two parts" in captions


def test_references_are_filled_in_and_link_in_the_epub(tech_book: tuple[Path, BuildResult]) -> None:
    documents = dict(spine_documents(_files(tech_book[1])[0]))
    links = {_text(a): a.get("href") for a in documents["ch-01-code.xhtml"].iterfind(".//x:a", XHTML_NS)}
    assert links["Figure 2.1"] == "ch-02-figures.xhtml#ch-02-figures--fig-map"
    assert links["Table 2.1"] == "ch-02-figures.xhtml#ch-02-figures--tbl-sizes"
    assert links["Listing 2.1"] == "ch-02-figures.xhtml#ch-02-figures--lst-hello"
    assert links["Old Markup, Made New"] == "ch-03-legacy.xhtml#ch-03-legacy", "a chapter: its title"
    assert links["the figures"] == "ch-02-figures.xhtml#ch-02-figures--a-photo", "the author's words stay"
    same = {_text(a): a.get("href") for a in documents["ch-02-figures.xhtml"].iterfind(".//x:a", XHTML_NS)}
    assert same["Figure 2.1"] == "#ch-02-figures--fig-map"
    text = " ".join(_text(d) for d in documents.values())
    assert "on page" not in text and ", page" not in text, "page numbers are print's"


def test_references_print_the_page_they_point_at(tech_book: tuple[Path, BuildResult]) -> None:
    pages = pdf_pages(_files(tech_book[1])[1])
    folios = _folios(pages)
    figure = folios[_page_of(pages, "Figure 2.1: The widget\u2019s parts, mapped").number]
    table = folios[_page_of(pages, "Table 2.1: Widget sizes and prices").number]
    listing = folios[_page_of(pages, "Listing 2.1: hello.py").number]
    legacy = folios[next(p.number for p in pages if p.body.startswith("Old Markup, Made New"))]
    photo = folios[_page_of(pages, "An animated icon").number]  # under the heading "A photo"
    text = " ".join(" ".join(page.body for page in pages).split())
    assert f"Figure 2.1 on page {figure} maps the widget" in text
    assert f"Table 2.1 on page {table} lists its sizes" in text
    assert re.search(rf"Listing 2\.1 on page {listing} is the first program", text)
    assert f"Old Markup, Made New, page {legacy} keeps the old markup" in text
    assert f"See the figures, page {photo} and" in text
    assert f"The sizes in Table 2.1 on page {table} run from small to large, page {table}." in text
    assert len({figure, table, legacy}) >= 2, "the pages differ: each number is its own target's"


def test_a_reference_into_the_front_matter_prints_its_roman_folio(
        tech_book: tuple[Path, BuildResult]) -> None:
    """The preface's pages have lower-roman folios: a reference to it, or to a section in it,
    prints the page as its folio shows it ("page ix"), not its count in arabic ("page 9")."""
    pages = pdf_pages(_files(tech_book[1])[1])
    preface = _page_of(pages, "Read the chapters in order")
    assert re.fullmatch(r"[ivx]+", preface.foot), preface.foot
    text = " ".join(" ".join(page.body for page in pages).split())
    assert f"Start with the preface, page {preface.foot}; How to Read It, page {preface.foot} says" in text
    contents = next(page for page in pages if page.body.startswith("Contents"))
    assert re.search(rf"Preface[ .]*{preface.foot} ", contents.body), "the contents agree"


def test_numbers_count_per_chapter_and_kind() -> None:
    root = lxml_html.fragment_fromstring(
        '<p><img src="a.png" alt="a" id="fig-a"></p><p><img src="b.png" alt="b" title="Bee"></p>'
        '<table><tr><td>1</td></tr></table><p>Table: Ones <em>only</em> {#tbl-ones}</p>'
        '<figure id="fig-c"><img src="c.png" alt="c"><figcaption>See</figcaption></figure>'
        '<div class="codehilite" id="lst-x"><pre><code>x</code></pre></div>', create_parent="div")
    make_figures(root)
    labels = number_captions(root, 3)
    assert labels == {"fig-a": "Figure\u00a03.1", "tbl-ones": "Table\u00a03.1", "fig-c": "Figure\u00a03.2",
                      "lst-x": "Listing\u00a03.1"}
    table = root.find("table")
    assert table.get("id") == "tbl-ones" and _text(table.find("caption")) == "Table 3.1: Ones only"
    assert table.find("caption/em") is not None, "the caption keeps its markup"
    assert _text(root.find("figure[@id='fig-a']/figcaption")) == "Figure 3.1", "no caption: the number"
    assert root.findall("figure")[1].get("id") is None, "an image without an id is not numbered"
    assert _text(root.find("figure[@id='fig-c']/figcaption")) == "Figure 3.2: See"


def test_a_reference_to_an_unknown_id_is_an_error_at_its_line(tmp_path: Path) -> None:
    root = shutil.copytree(FIXTURES / "small-book", tmp_path / "book")
    write_file(root / "chapters/02-second.md",
               "# The End\n\nSome text.\n\nAs [](#fig-nowhere) shows.\n")
    err = io.StringIO()
    assert main(["check", str(root)], err) == 1
    assert "chapters/02-second.md:5:7: error: link to '#fig-nowhere': no heading or element has the id " \
        "'fig-nowhere'" in err.getvalue()
    assert "Traceback" not in err.getvalue()
