"""Real manuscripts: code, figures, links, notes and old HTML from books we did
not write (tests/fixtures/tech-book), in both editions."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

from pypdf import PdfReader

from builder.pipeline import BuildResult
from tests.conftest import REPO
from tests.helpers import OPF_NS, XHTML_NS, nav_document, opf, pdf_pages, require_command, spine_documents

EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def _files(result: BuildResult) -> tuple[Path, Path]:
    epub, pdf = sorted(result.files)
    return epub, pdf


def _document(result: BuildResult, name: str) -> object:
    return dict(spine_documents(_files(result)[0]))[name]


def _text(element: object) -> str:
    return " ".join("".join(element.itertext()).split())  # type: ignore[attr-defined]


def test_fenced_code_is_highlighted_by_pygments(tech_book: tuple[Path, BuildResult]) -> None:
    code = _document(tech_book[1], "ch-01-code.xhtml")
    blocks = code.findall(".//x:div[@class='codehilite']/x:pre", XHTML_NS)
    assert len(blocks) == 7  # python, ~~~ (no language), bash, toml, and the plugin section
    keywords = [span.text for span in code.iterfind(".//x:span[@class='k']", XHTML_NS)]
    assert "def" in keywords and "return" in keywords
    assert code.find(".//x:p/x:code", XHTML_NS).text == "widget.init()"


def test_code_is_never_justified_or_hyphenated_and_wraps() -> None:
    base = (REPO / "builder" / "styles" / "base.css").read_text()
    rule = re.search(r"\npre \{([^}]*)\}", base)
    assert rule and "text-align: left" in rule.group(1) and "white-space: pre-wrap" in rule.group(1)
    assert re.search(r"code, kbd, samp, pre \{[^}]*hyphens: none", base)


def test_long_code_lines_wrap_inside_the_page(tech_book: tuple[Path, BuildResult]) -> None:
    pages = pdf_pages(_files(tech_book[1])[1])
    page = next(p for p in pages if "widget.init()" in p.body)
    words = [w for w in page.words if w[4] in ('"""Run', "screen.\"\"\"")]
    assert len(words) == 2 and words[1][1] > words[0][1], "the long line continues on a new line"
    assert max(w[2] for w in page.words) <= page.width - 36, "nothing runs into the outer margin"


def test_figures_in_every_format_with_media_types(tech_book: tuple[Path, BuildResult]) -> None:
    package = opf(_files(tech_book[1])[0])
    types = {item.get("media-type") for item in package.iterfind(".//opf:item", OPF_NS)
             if item.get("href").startswith("images/") and item.get("properties") != "cover-image"}
    assert types == {"image/png", "image/jpeg", "image/gif", "image/svg+xml"}
    figures = _document(tech_book[1], "ch-02-figures.xhtml").findall(".//x:figure", XHTML_NS)
    captions = [_text(f.find("x:figcaption", XHTML_NS)) for f in figures if f.find("x:figcaption", XHTML_NS)
                is not None]
    assert "Figure 1: the widget\u2019s two parts" in captions
    assert "A photo of the \u201cwidget\u201d" in captions  # &nbsp; and &quot; became characters, curled


def test_old_markup_becomes_valid_xhtml_and_css(tech_book: tuple[Path, BuildResult]) -> None:
    figures = _document(tech_book[1], "ch-02-figures.xhtml")
    legacy = _document(tech_book[1], "ch-03-legacy.xhtml")
    for document in (figures, legacy):
        for element in document.iter():
            for attribute in ("align", "border", "cellpadding", "valign", "color"):
                assert attribute not in element.attrib, (element.tag, attribute)
        assert not document.findall(".//x:center", XHTML_NS) and not document.findall(".//x:font", XHTML_NS)
    photo = figures.find(".//x:img[@alt='A grey photo of a widget']", XHTML_NS)
    assert "align-right" in photo.getparent().get("class"), "the figure floats, caption and all"
    assert "border: 1px solid" in photo.get("style")
    assert figures.find(".//x:div[@class='center']/x:br", XHTML_NS) is not None
    assert "old red text" in _text(legacy)


def test_dropped_markup_is_reported_with_its_line(tech_book: tuple[Path, BuildResult]) -> None:
    said = [str(w) for w in tech_book[1].warnings]
    assert any("03-legacy.md:25:18: warning: <font> is obsolete" in w for w in said), said
    assert any("03-legacy.md:27:39: warning: valign=\"top\" on <td>" in w for w in said), said
    assert any("02-figures.md" in w and "prints at 31 dpi" in w for w in said), said


def test_chapter_level_titles_and_sections(tech_book: tuple[Path, BuildResult]) -> None:
    epub, pdf = _files(tech_book[1])
    toc = nav_document(epub).find(".//x:nav[@epub:type='toc']", XHTML_NS)
    chapters = [_text(li.find("x:a", XHTML_NS)) for li in toc.findall("x:ol/x:li", XHTML_NS)]
    assert chapters == ["Dedication", "Preface", "Getting Started", "Figures", "Old Markup, Made New",
                        "Appendix A: Tolerances", "Glossary"]  # the front and back matter (test_matter)
    sections = [_text(a) for a in toc.iterfind("x:ol/x:li/x:ol/x:li/x:a", XHTML_NS)]
    assert sections == ["Installing", "Configuring", "Extending", "A photo"]
    outline = PdfReader(pdf).outline
    nested = [item.title for group in outline if isinstance(group, list) for item in group]
    assert nested == ["How to Read It", "Installing", "Configuring", "Extending", "A photo"]
    said = [str(w) for w in tech_book[1].warnings]
    assert any("01-code.md:1:3: warning: the heading 'Practical Widgets' is above the chapter level"
               in w for w in said)


def test_ncx_lists_the_sections_too(tech_book: tuple[Path, BuildResult]) -> None:
    epub = _files(tech_book[1])[0]
    with zipfile.ZipFile(epub) as archive:
        ncx = archive.read("EPUB/toc.ncx").decode()
    assert ncx.count("<navPoint") == 7 + 4 and "ch-01-code.xhtml#ch-01-code--installing" in ncx


def test_print_images_are_never_upscaled(tech_book: tuple[Path, BuildResult]) -> None:
    pdfimages = require_command("pdfimages")
    listing = subprocess.run([pdfimages, "-list", str(_files(tech_book[1])[1])], capture_output=True,
                             text=True, check=True).stdout.splitlines()[2:]
    by_width = {int(row.split()[3]): int(row.split()[12]) for row in listing}  # width -> x-ppi
    assert by_width[600] >= 299 and by_width[900] >= 280, by_width  # the diagram and the photo
    assert by_width[64] == 31, "the icon's width attribute is honoured, as the warning said"


def test_printed_contents_show_sections_with_pages(tech_book: tuple[Path, BuildResult]) -> None:
    pages = pdf_pages(_files(tech_book[1])[1])
    contents = next(p for p in pages if p.body.startswith("Contents"))
    assert re.search(r"Installing[ .]+\d", contents.body)


def test_links_between_chapters_and_to_the_web(tech_book: tuple[Path, BuildResult]) -> None:
    _, pdf = _files(tech_book[1])
    code = _document(tech_book[1], "ch-01-code.xhtml")
    hrefs = [a.get("href") for a in code.iterfind(".//x:a", XHTML_NS)]
    assert "ch-02-figures.xhtml#ch-02-figures--a-photo" in hrefs
    assert "https://example.org/docs/widgets/reference" in hrefs
    first_page = next(p for p in pdf_pages(pdf) if "widget.init()" in p.body)
    assert "https://example.org/docs/widgets/reference" in first_page.body  # the URL, as a footnote
    reader = PdfReader(pdf)
    page = reader.pages[first_page.number - 1]
    links = [a.get_object() for a in page.get("/Annots", [])]
    assert any("/Dest" in link or "/D" in link.get("/A", {}) for link in links), "internal link"
    assert any(link.get("/A", {}).get("/URI") == "https://example.org/docs/widgets/reference"
               for link in links)


def test_web_addresses_are_made_valid_urls(tmp_path: Path) -> None:
    import shutil

    from builder.pipeline import build
    from tests.conftest import FIXTURES
    from tests.helpers import epubcheck

    book = tmp_path / "book"
    shutil.copytree(FIXTURES / "small-book", book)
    chapter = book / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text() + '\nSee [the café](https://example.org/a "b"/café page).\n')
    epub = build(book, tmp_path / "dist", ["epub"]).files[0]
    second = dict(spine_documents(epub))["ch-02-second.xhtml"]
    hrefs = [a.get("href") for a in second.iterfind(".//x:a", XHTML_NS)]
    assert "https://example.org/a%20%22b%22/caf%C3%A9%20page" in hrefs, hrefs
    assert epubcheck(epub) == []


def test_endnotes_when_asked(tech_book: tuple[Path, BuildResult]) -> None:
    code = _document(tech_book[1], "ch-01-code.xhtml")
    notes = code.find(".//x:section[@role='doc-endnotes']", XHTML_NS)
    assert notes.get(EPUB_TYPE) == "endnotes"
    items = notes.findall("x:ol/x:li", XHTML_NS)
    assert [li.get(EPUB_TYPE) for li in items] == ["endnote", "endnote"]
    assert all(li.find(".//x:a[@role='doc-backlink']", XHTML_NS) is not None for li in items)


def test_everything_else_books_use(tech_book: tuple[Path, BuildResult]) -> None:
    code = _document(tech_book[1], "ch-01-code.xhtml")
    legacy = _document(tech_book[1], "ch-03-legacy.xhtml")
    for tag in ("kbd", "sub", "sup"):
        assert code.find(f".//x:{tag}", XHTML_NS) is not None, tag
    assert legacy.find(".//x:blockquote/x:p", XHTML_NS) is not None
    assert legacy.find(".//x:ol/x:li/x:ul/x:li", XHTML_NS) is not None
    assert [_text(dt) for dt in legacy.iterfind(".//x:dl/x:dt", XHTML_NS)] == ["Widget", "Gadget"]
    aligns = [td.get("style") for td in legacy.find(".//x:table/x:tbody/x:tr", XHTML_NS)]
    assert aligns == ["text-align: left;", "text-align: center;", "text-align: right;"]
    assert legacy.find(".//x:hr[@class='section-break']", XHTML_NS) is not None
    pdf = _files(tech_book[1])[1]
    assert any("⁂" in p.body for p in pdf_pages(pdf)), "a section break is an ornament in print"


def test_epub_zip_holds_each_image_once(tech_book: tuple[Path, BuildResult]) -> None:
    with zipfile.ZipFile(_files(tech_book[1])[0]) as archive:
        names = [n for n in archive.namelist() if n.startswith("EPUB/images/")]
    assert len(names) == len(set(names)) == 5  # four figures and the cover
