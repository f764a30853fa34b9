"""The builder builds: the real book and a second, unrelated book, end to end."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from builder import render
from builder.config import load_config
from builder.manuscript import read_book
from builder.pipeline import BuildResult
from tests.conftest import REPO
from tests.helpers import XHTML_NS, epubcheck, nav_document, opf, spine_documents

BOOKS = ["real_book", "small_book"]


def outputs(result: BuildResult) -> tuple[Path, Path]:
    epub, pdf = sorted(result.files)
    assert epub.suffix == ".epub" and pdf.suffix == ".pdf"
    return epub, pdf


@pytest.mark.parametrize("name", BOOKS)
def test_both_files_are_made(name: str, request: pytest.FixtureRequest) -> None:
    _, result = request.getfixturevalue(name)
    epub, pdf = outputs(result)
    assert epub.stat().st_size > 1000 and pdf.read_bytes().startswith(b"%PDF-")
    assert not [p for p in epub.parent.iterdir() if p.name.startswith(".")], "temporary file left"


def test_real_book_is_named_for_its_title(real_book: tuple[Path, BuildResult]) -> None:
    assert sorted(f.name for f in real_book[1].files) == [
        "no-one-saw-us-leave.epub", "no-one-saw-us-leave.pdf"]


@pytest.mark.parametrize("name", [*BOOKS, "tech_book"])
def test_epubcheck_reports_nothing(name: str, request: pytest.FixtureRequest) -> None:
    epub, _ = outputs(request.getfixturevalue(name)[1])
    messages = epubcheck(epub)
    assert messages == [], "\n".join(f"{name}: {m['severity']} {m['ID']}: {m['message']}" for m in messages)


@pytest.mark.parametrize("name", BOOKS)
def test_nav_and_pdf_bookmarks_list_the_same_chapters(name: str, request: pytest.FixtureRequest) -> None:
    book_dir, result = request.getfixturevalue(name)
    epub, pdf = outputs(result)
    toc = nav_document(epub).find(".//x:nav[@epub:type='toc']", XHTML_NS)
    nav_titles = [" ".join("".join(a.itertext()).split()) for a in toc.iterfind(".//x:a", XHTML_NS)]
    bookmarks = [item.title for item in PdfReader(pdf).outline if not isinstance(item, list)]
    chapters = [c.title_text for c in read_book(load_config(book_dir)).chapters]
    assert nav_titles == chapters
    assert bookmarks == ["Title Page", "Copyright", "Contents", *chapters]


def test_real_book_chapters_match_the_article_sections(real_book: tuple[Path, BuildResult]) -> None:
    chapters = read_book(load_config(real_book[0])).chapters
    assert [c.title_text for c in chapters] == [
        "Introduction",
        "The Memoir That Started It All: Tamara Trottner’s “Nadie Nos Vio Partir”",
        "Inside the Cast: The Actors Bringing This True Story to Life",
        "Plot Breakdown: A Mother’s Desperate Search for Her Kidnapped Children",
        "Why “No One Saw Us Leave” Has the World Hooked",
        "Stream It or Skip It? Our Verdict on the Series",
        "The Historical Tension: Jewish Families in 1960s Mexico",
        "The Scene That Stays With You: Analyzing the Kidnapping",
        "Conclusion: The Echoes of a Story That Must Be Told",
    ]


def test_lists_stay_lists(real_book: tuple[Path, BuildResult]) -> None:
    epub, _ = outputs(real_book[1])
    verdict = dict(spine_documents(epub))["ch-06-stream-it-or-skip-it.xhtml"]
    headings = [" ".join(h.itertext()) for h in verdict.iterfind(".//x:h2", XHTML_NS)]
    assert headings == ["Stream It If:", "Skip It If:"]
    lists = verdict.findall(".//x:ul", XHTML_NS)
    assert [len(ul.findall("x:li", XHTML_NS)) for ul in lists] == [5, 4]


def test_epub_metadata(real_book: tuple[Path, BuildResult]) -> None:
    epub, _ = outputs(real_book[1])
    package = opf(epub)
    ns = {"dc": "http://purl.org/dc/elements/1.1/", "opf": "http://www.idpf.org/2007/opf"}
    assert package.findtext(".//dc:title", namespaces=ns) == "No One Saw Us Leave"
    assert package.findtext(".//dc:creator", namespaces=ns) == "Ceasar Kerluke"
    assert package.findtext(".//dc:language", namespaces=ns) == "en"
    assert package.findtext(".//dc:identifier", namespaces=ns).startswith("urn:uuid:")
    assert package.find(".//opf:meta[@property='dcterms:modified']", ns) is not None
    assert package.find(".//opf:item[@properties='cover-image']", ns) is not None
    for name, document in spine_documents(epub):
        assert document.get("lang") == "en", name
        assert document.get("{http://www.w3.org/XML/1998/namespace}lang") == "en", name


def test_epub_starts_with_a_stored_mimetype(real_book: tuple[Path, BuildResult]) -> None:
    epub, _ = outputs(real_book[1])
    with zipfile.ZipFile(epub) as archive:
        first = archive.infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED


def test_pdf_metadata_and_page_size(real_book: tuple[Path, BuildResult]) -> None:
    _, pdf = outputs(real_book[1])
    reader = PdfReader(pdf)
    assert reader.metadata.title == "No One Saw Us Leave"
    assert reader.metadata.author == "Ceasar Kerluke"
    assert reader.trailer["/Root"]["/Lang"] == "en"
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (432, 648)  # 6 x 9 in


def test_chapters_open_on_new_pages(real_book: tuple[Path, BuildResult]) -> None:
    _, pdf = outputs(real_book[1])
    reader = PdfReader(pdf)
    starts = [reader.get_destination_page_number(item) for item in reader.outline
              if not isinstance(item, list)]
    assert starts == sorted(set(starts)), "two bookmarks share a page"


def test_both_editions_come_from_the_one_template(
    real_book: tuple[Path, BuildResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The print cover's wrap (cover.html.j2) is a page of its own, not the book's markup;
    # __pycache__ holds what Jinja2 compiled (render.CompiledBeside).
    templates = sorted(p.name for p in render.TEMPLATE_DIR.iterdir()
                       if p.name not in ("cover.html.j2", "__pycache__"))
    assert templates == [render.TEMPLATE_NAME], "one template file, no second copy of the markup"
    probe = tmp_path / render.TEMPLATE_NAME
    source = render.TEMPLATE_PATH.read_text(encoding="utf-8")
    assert source.count('<body class="{{ target }}"') == 1
    probe.write_text(source.replace('<body class="{{ target }}"', '<body data-probe="one-template" '
                                    'class="{{ target }}"'))
    monkeypatch.setattr(render, "TEMPLATE_DIR", tmp_path)
    rendered = render.render_book(read_book(load_config(REPO)))
    assert 'data-probe="one-template"' in rendered.print_html
    assert all('data-probe="one-template"' in d.xhtml for d in rendered.epub_documents)
