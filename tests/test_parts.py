"""Books with parts: book.toml's `{ part = "…", chapters = [...] }` entries are
checked where they are written, and both editions show each part as a page of
its own before its chapters, with the chapters under it in every contents."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from pypdf import PdfReader

from builder.config import load_config
from builder.errors import ConfigError
from builder.model import Part
from builder.pipeline import BuildResult, build
from tests.conftest import FIXTURES
from tests.helpers import (
    XHTML_NS,
    ace_checker,
    copy_book,
    epubcheck,
    nav_document,
    pdf_pages,
    spine_documents,
)

HEAD = 'title = "T"\nauthors = ["A"]\nlanguage = "en"\n'  # three lines: chapters starts on line 4
FILES = ("00-intro.md", "01-a.md", "02-b.md", "03-c.md", "99-end.md")


def book(tmp_path: Path, chapters: str) -> Path:
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "book.toml").write_text(HEAD + chapters, encoding="utf-8")
    (tmp_path / "chapters").mkdir()
    for name in FILES:
        (tmp_path / "chapters" / name).write_text(f"# {name}\n\nText.\n", encoding="utf-8")
    return tmp_path


def errors(tmp_path: Path, chapters: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(book(tmp_path, chapters))
    return [str(d) for d in caught.value.diagnostics]


def test_parts_group_the_flat_list_of_chapter_files(tmp_path: Path) -> None:
    meta = load_config(book(tmp_path, '''chapters = [
  "chapters/00-intro.md",  # before the parts
  { part = "Part I: Foundations", chapters = ["chapters/01-a.md", "chapters/02-b.md"] },
  { part = "Part II: Practice", chapters = [
      "chapters/03-c.md",
  ] },
  'chapters/99-end.md',
]
'''))
    assert [path.name for path in meta.chapter_files] == list(FILES)
    assert meta.parts == (Part(1, "Part I: Foundations", 1, 2), Part(2, "Part II: Practice", 3, 1))
    assert [meta.part_of(index) for index in range(5)] == [None, *meta.parts[:1] * 2, meta.parts[1], None]


def test_a_list_without_parts_has_none(tmp_path: Path) -> None:
    assert load_config(book(tmp_path, 'chapters = ["chapters/01-a.md"]\n')).parts == ()


@pytest.mark.parametrize(("entry", "message"), [
    ('{ part = "", chapters = ["chapters/01-a.md"] }', "a part needs its title as a non-empty string"),
    ('{ chapters = ["chapters/01-a.md"] }', "a part needs its title"),
    ('{ part = 3, chapters = ["chapters/01-a.md"] }', "a part needs its title"),
    ('{ part = "P" }', "the part 'P' needs `chapters`, a non-empty list of chapter files"),
    ('{ part = "P", chapters = [] }', "the part 'P' needs `chapters`"),
    ('{ part = "P", chapters = "chapters/*.md" }', "the part 'P' needs `chapters`"),
    ('{ part = "P", chapters = ["chapters/01-a.md"], title = "x" }',
     "a part has only `part` (its title) and `chapters` (its files), not 'title'"),
    ('{ part = "P", chapters = [{ part = "Q", chapters = ["chapters/01-a.md"] }] }',
     "parts do not nest: the part 'P' lists a part"),
    ('{ part = "P", chapters = [1] }', "every chapter of the part 'P' must be a file name, got 1"),
    ('{ part = "P", chapters = ["chapters/nope.md"] }',
     "'chapters/nope.md' is listed but there is no such file"),
    ('{ part = "P", chapters = ["../outside.md"] }', "'../outside.md' is not a path inside the book folder"),
    ("42", "every entry must be a file name or a part"),
])
def test_a_wrong_part_is_named_at_its_line(tmp_path: Path, entry: str, message: str) -> None:
    found = errors(tmp_path, f'chapters = [\n  "chapters/00-intro.md",\n  {entry},\n]\n')
    assert len(found) == 1, found
    where, _, said = found[0].partition(": error: ")
    assert where.startswith(f"{tmp_path / 'book' / 'book.toml'}:6:"), "the line of the entry"
    assert said.startswith(f"chapters: {message}")


def test_a_file_listed_twice_anywhere_is_an_error_at_its_second_place(tmp_path: Path) -> None:
    found = errors(tmp_path, '''chapters = [
  "chapters/01-a.md",
  { part = "P", chapters = [
    "chapters/02-b.md",
    "chapters/01-a.md",
  ] },
  "chapters/02-b.md",
]
''')
    assert found == [
        f"{tmp_path / 'book' / 'book.toml'}:8:5: error: chapters: 'chapters/01-a.md' is listed twice "
        "(also at line 5); a chapter appears once in a book",
        f"{tmp_path / 'book' / 'book.toml'}:10:3: error: chapters: 'chapters/02-b.md' is listed twice "
        "(also at line 7); a chapter appears once in a book",
    ]


def test_every_wrong_entry_is_reported_at_once(tmp_path: Path) -> None:
    found = errors(tmp_path, 'chapters = [{ part = "" , chapters = [] }, "chapters/none.md", 7]\n')
    assert [line.split(": error: ")[0].rsplit(":", 2)[1:] for line in found] == [
        ["4", "13"], ["4", "13"], ["4", "44"], ["4", "64"]]


# --- The fixture book, built once: a prefix chapter, two parts, a suffix chapter ---

PARTS = {"Part I: Foundations": ["The Ground", "The Walls"], "Part II: Practice": ["The Roof"]}
READING_ORDER = ["Introduction", "Part I: Foundations", "The Ground", "The Walls",
                 "Part II: Practice", "The Roof", "Appendix: Tools"]


def _build(source: Path, workdir: Path) -> dict[str, Path]:
    result: BuildResult = build(copy_book(source, workdir / "book"), workdir / "dist")
    return {path.suffix: path for path in result.files}


@pytest.fixture(scope="module")
def parts_book(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _build(FIXTURES / "parts-book", tmp_path_factory.mktemp("parts"))


def test_the_epub_passes_epubcheck_with_no_message(parts_book: dict[str, Path]) -> None:
    assert epubcheck(parts_book[".epub"]) == []


def test_the_epub_passes_ace(parts_book: dict[str, Path]) -> None:
    found = ace_checker().run_ace(parts_book[".epub"])
    assert found == [], "\n".join(f"{v['impact']} {v['rule']} {v['file']}: {v['message']}" for v in found)


def _text(element: Any) -> str:
    return "".join(element.itertext()).strip()


def test_each_part_is_a_document_of_its_own_before_its_chapters(parts_book: dict[str, Path]) -> None:
    documents = spine_documents(parts_book[".epub"])
    names = [name for name, _ in documents]
    assert names[names.index("toc.xhtml") + 1:] == [
        "ch-00-introduction.xhtml", "part-1.xhtml", "ch-01-ground.xhtml", "ch-02-walls.xhtml",
        "part-2.xhtml", "ch-03-roof.xhtml", "ch-99-appendix.xhtml", "colophon.xhtml"]
    for name, tree in documents[names.index("toc.xhtml") + 1:]:
        headings = [(h.tag.rsplit("}")[-1], _text(h)) for h in
                    tree.iterfind(".//x:body//*", XHTML_NS) if h.tag.rsplit("}")[-1] in ("h1", "h2", "h3")]
        # Each document is checked on its own: one h1, and nothing below it skips a level.
        assert headings[0][0] == "h1" and [h for h, _ in headings].count("h1") == 1, (name, headings)
        if name.startswith("part-"):
            section = tree.find(".//x:body/x:section", XHTML_NS)
            assert section is not None and section.get("{http://www.idpf.org/2007/ops}type") == "part"
            assert section.get("role") == "doc-part" and headings == [("h1", _text(section))]
            assert _text(section) in PARTS


def test_the_nav_nests_the_chapters_under_their_parts(parts_book: dict[str, Path]) -> None:
    toc = nav_document(parts_book[".epub"]).find(".//x:nav[@id='toc']/x:ol", XHTML_NS)
    assert toc is not None
    outline = {}
    for entry in toc.iterfind("x:li", XHTML_NS):
        link = entry.find("x:a", XHTML_NS)
        assert link is not None
        chapters = entry.find("x:ol", XHTML_NS)
        outline[_text(link)] = [] if chapters is None or "toc-part" not in (entry.get("class") or "") else [
            _text(li.find("x:a", XHTML_NS)) for li in chapters.iterfind("x:li", XHTML_NS)]
    assert outline == {"Introduction": [], **PARTS, "Appendix: Tools": []}
    landmarks = nav_document(parts_book[".epub"]).find(".//x:nav[@id='landmarks']", XHTML_NS)
    assert landmarks is not None
    body = landmarks.find(".//x:a[@epub:type='bodymatter']", XHTML_NS)
    assert body is not None and body.get("href") == "ch-00-introduction.xhtml"


def test_the_ncx_nests_the_chapters_under_their_parts(parts_book: dict[str, Path]) -> None:
    with zipfile.ZipFile(parts_book[".epub"]) as archive:
        ncx = etree.fromstring(archive.read("EPUB/toc.ncx"))
    ns = {"n": "http://www.daisy.org/z3986/2005/ncx/"}
    top = ncx.findall("n:navMap/n:navPoint", ns)
    assert [p.findtext("n:navLabel/n:text", namespaces=ns) for p in top] == [
        "Introduction", *PARTS, "Appendix: Tools"]
    part = top[1]
    assert part.find("n:content[@src='part-1.xhtml']", ns) is not None
    assert [p.findtext("n:navLabel/n:text", namespaces=ns) for p in part.findall("n:navPoint", ns)] == \
        PARTS["Part I: Foundations"]


def test_a_part_has_a_recto_of_its_own_with_a_blank_verso(parts_book: dict[str, Path]) -> None:
    pages = pdf_pages(parts_book[".pdf"])
    for title in PARTS:
        found = [page for page in pages if page.text() == title]
        assert len(found) == 1, f"{title!r} is not alone on one page"
        page = found[0]
        assert page.number % 2 == 1, f"{title!r} is on a verso (page {page.number})"
        assert page.head == "" and page.foot == "", "a part's page has no running head or folio"
        assert pages[page.number].text() == "", "the part page's verso is blank"
        assert pages[page.number + 1].body.startswith(PARTS[title][0]), "its first chapter follows"


def test_the_pdf_outline_nests_the_chapters_under_their_parts(parts_book: dict[str, Path]) -> None:
    reader = PdfReader(parts_book[".pdf"])

    def tree(entries: list[Any]) -> list[Any]:
        out: list[Any] = []
        for entry in entries:
            if isinstance(entry, list):
                out.append(tree(entry))
            else:
                out.append(entry.title)
        return out

    # toc_depth = 2: a part holds its chapters, each chapter its sections.
    assert tree(reader.outline) == [
        "Title Page", "Copyright", "Contents", "Introduction",
        "Part I: Foundations", ["The Ground", ["Clearing", "Levelling"], "The Walls", ["Courses"]],
        "Part II: Practice", ["The Roof", ["Pitch"]],
        "Appendix: Tools"]


def _contents(pdf: Path) -> list[tuple[str, str]]:
    """The printed contents: (entry, page number), in order."""
    page = next(page for page in pdf_pages(pdf) if page.body.startswith("Contents"))
    lines: dict[float, list[tuple[float, float, float, float, str]]] = {}
    for word in page.words:
        if 50 < word[1] < page.height - 50:
            lines.setdefault(round(word[3]), []).append(word)
    entries = []
    for _, words in sorted(lines.items())[1:]:  # after the heading
        text = [w[4] for w in sorted(words) if set(w[4]) != {"."}]
        entries.append((" ".join(text[:-1]), text[-1]))
    return entries


def test_the_printed_contents_lists_each_part_with_its_page(parts_book: dict[str, Path]) -> None:
    entries = _contents(parts_book[".pdf"])
    assert [title.casefold() for title, _ in entries] == [t.casefold() for t in READING_ORDER]
    # Parts count in the numbering: each part's page is the recto before its first chapter's.
    numbers = [int(number) for _, number in entries]
    assert numbers == [1, 3, 5, 7, 9, 11, 13]
    pages = pdf_pages(parts_book[".pdf"])
    first_body = next(page.number for page in pages if page.body.startswith("Introduction"))
    assert next(page.number for page in pages if page.text() == "Part I: Foundations") == first_body + 2


def test_a_book_that_opens_with_a_part_counts_from_its_page(tmp_path: Path) -> None:
    source = copy_book(FIXTURES / "parts-book", tmp_path / "source")
    toml = source / "book" / "book.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('  "chapters/00-introduction.md",\n', ""),
                    encoding="utf-8")
    files = _build(source, tmp_path / "build")
    assert _contents(files[".pdf"])[:2] == [("Part I: Foundations", "1"), ("The Ground", "3")]
    nav = nav_document(files[".epub"])
    body = nav.find(".//x:nav[@id='landmarks']//x:a[@epub:type='bodymatter']", XHTML_NS)
    assert body is not None and body.get("href") == "part-1.xhtml"
    pages = [link.get("href") for link in nav.iterfind(".//x:nav[@id='page-list']//x:a", XHTML_NS)]
    assert "part-1.xhtml#page-1" in pages and "ch-01-ground.xhtml#page-3" in pages
