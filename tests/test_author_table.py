"""The author table: data in book/author.toml, a real table in both editions."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from builder.config import load_config
from builder.manuscript import read_book
from builder.pipeline import BuildResult
from tests.helpers import XHTML_NS, spine_documents

ROWS = ["Full Name", "Nationality", "Heritage", "Notable Work", "Era Depicted",
        "Public Profile", "Central Theme"]


def _structure_kinds(pdf: Path) -> list[str]:
    """Every structure element type in the PDF's tag tree, depth first."""
    kinds: list[str] = []

    def walk(node: object) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, dict):
            if "/S" in node:
                kinds.append(str(node["/S"]))
            kids = node.get("/K")
            if kids is not None:
                for kid in kids if isinstance(kids, list) else [kids]:
                    walk(kid)

    walk(PdfReader(pdf).trailer["/Root"]["/StructTreeRoot"])
    return kinds


def test_epub_table_has_caption_header_and_seven_rows(real_book: tuple[Path, BuildResult]) -> None:
    epub = next(f for f in real_book[1].files if f.suffix == ".epub")
    memoir = dict(spine_documents(epub))["ch-02-the-memoir-that-started-it-all.xhtml"]
    tables = memoir.findall(".//x:table", XHTML_NS)
    assert len(tables) == 1
    table = tables[0]
    assert "".join(table.find("x:caption", XHTML_NS).itertext()).strip()
    assert [th.get("scope") for th in table.iterfind("x:thead/x:tr/x:th", XHTML_NS)] == ["col", "col"]
    rows = table.findall("x:tbody/x:tr", XHTML_NS)
    assert [r.find("x:th", XHTML_NS).text for r in rows] == ROWS
    assert all(r.find("x:th", XHTML_NS).get("scope") == "row" for r in rows)


def test_table_sits_where_the_placeholder_was(real_book: tuple[Path, BuildResult]) -> None:
    epub = next(f for f in real_book[1].files if f.suffix == ".epub")
    memoir = dict(spine_documents(epub))["ch-02-the-memoir-that-started-it-all.xhtml"]
    section = memoir.find(".//x:section", XHTML_NS)
    children = [el for el in section if isinstance(el.tag, str)]
    index = next(i for i, el in enumerate(children) if el.tag.endswith("table"))
    assert "".join(children[index - 1].itertext()).startswith("Here is a summary")
    assert "".join(children[index + 1].itertext()).startswith("The adaptation process")
    assert "[[author-table]]" not in "".join(memoir.itertext())


def test_pdf_table_is_tagged_as_a_table(real_book: tuple[Path, BuildResult]) -> None:
    pdf = next(f for f in real_book[1].files if f.suffix == ".pdf")
    kinds = _structure_kinds(pdf)
    assert kinds.count("/Table") == 1
    assert kinds.count("/TR") == 1 + len(ROWS)
    assert kinds.count("/TH") == 2 + len(ROWS)
    assert "/Caption" in kinds


def test_a_book_without_table_data_has_no_table(small_book: tuple[Path, BuildResult]) -> None:
    book = read_book(load_config(small_book[0]))
    assert book.author_table is None
    epub = next(f for f in small_book[1].files if f.suffix == ".epub")
    for _name, document in spine_documents(epub):
        assert document.find(".//x:table[@class='author-table']", XHTML_NS) is None
