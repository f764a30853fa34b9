"""The index: `{^ term!sub|see other}` markers in the text -> an index in the back matter,
sorted for the book's language, sub-entries nested, "see" and "see also" linked; in the
EPUB (EPUB Indexes vocabulary) each locator links to its marker, in print it is the page
the marker is on. Bad markers are errors at their line; code keeps them as written."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

from lxml import etree

from builder.cli import main
from builder.manuscript.convert import new_markdown
from builder.manuscript.index import sort_key
from builder.pipeline import BuildResult
from tests.conftest import FIXTURES
from tests.helpers import XHTML_NS, PdfPage, nav_document, pdf_pages, spine_documents, write_file

EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def _files(result: BuildResult) -> tuple[Path, Path]:
    epub, pdf = sorted(result.files)
    return epub, pdf


def _text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _typed(element: etree._Element, kind: str) -> list[etree._Element]:
    return [e for e in element.iter() if kind in (e.get(EPUB_TYPE) or "").split()]


def _terms(entry_list: etree._Element) -> list[str]:
    """The terms of a list's own entries, in order."""
    return [_text(next(t for t in li if t.get(EPUB_TYPE) == "index-term"))
            for li in entry_list if li.get(EPUB_TYPE) == "index-entry"]


def test_the_index_is_sorted_grouped_and_nested(tech_book: tuple[Path, BuildResult]) -> None:
    documents = dict(spine_documents(_files(tech_book[1])[0]))
    names = list(documents)
    chapters = [n for n in names if n.startswith("ch-")]
    # After the chapters, the back matter and the bibliography; before the colophon.
    index_at = names.index("index.xhtml")
    assert index_at == names.index("bibliography.xhtml") + 1 == names.index(chapters[-1]) + 2
    assert names.index("colophon.xhtml") > names.index("index.xhtml")
    index = documents["index.xhtml"].find(".//x:section[@class='index backmatter']", XHTML_NS)
    assert index.get(EPUB_TYPE) == "index" and index.get("role") == "doc-index"
    groups = _typed(index, "index-group")
    assert [_text(g.find("x:h2", XHTML_NS)) for g in groups] == ["Symbols", "C", "E", "F", "P", "Q", "S",
                                                                "T", "W"]
    lists = {_text(g.find("x:h2", XHTML_NS)): g.find("x:ul", XHTML_NS) for g in groups}
    assert _terms(lists["Symbols"]) == [".toml files"]
    assert _terms(lists["E"]) == ["émoji", "entry point"], "an accent does not send a term to the end"
    assert _terms(lists["P"]) == ["plugin", "Python"], "nor does a capital to the front"
    assert _terms(lists["T"]) == ["table", "TOML"]
    widget = lists["W"].find("x:li", XHTML_NS)
    assert _terms(widget.find("x:ul", XHTML_NS)) == ["definition", "extending", "installing", "photo of",
                                                     "starting"]


def test_each_locator_links_to_its_marker_in_the_epub(tech_book: tuple[Path, BuildResult]) -> None:
    documents = dict(spine_documents(_files(tech_book[1])[0]))
    index = documents["index.xhtml"]
    locators = _typed(index, "index-locator")
    assert len(locators) == 20, "one for each marker, two of them on one printed page"
    for locator in locators:
        name, _, fragment = locator.get("href").partition("#")
        marker = documents[name].find(f".//*[@id='{fragment}']", XHTML_NS)
        assert marker is not None and marker.get("class") == "index-marker", locator.get("href")
        assert marker.get("data-index") is None and not _text(marker), "an empty marker, nothing else"
    python = next(li for li in _typed(index, "index-entry") if li.get("id") == "index--python")
    assert [_text(a) for a in _typed(python, "index-locator")] == ["Installing"], "named by its section"
    entries = {li.get("id"): li for li in _typed(index, "index-entry")}
    see = _typed(entries["index--configuration"], "index-xref-preferred")
    assert [(a.get("href"), _text(a)) for a in see] == [("#index--settings", "settings")]
    assert "See" in _text(entries["index--configuration"])
    related = _typed(entries["index--toml"], "index-xref-related")
    assert [(a.get("href"), _text(a)) for a in related] == [("#index--settings", "settings")]
    assert [a.get("href") for a in _typed(entries["index--entry-point"], "index-xref-preferred")] == [
        "#index--plugin--entry-point"]
    landmarks = nav_document(_files(tech_book[1])[0]).find(".//x:nav[@epub:type='landmarks']", XHTML_NS)
    assert "index.xhtml" in [a.get("href") for a in _typed(landmarks, "index")]


def _folio(pages: list[PdfPage], words: str) -> int:
    """The folio of the one page whose text holds *words*, counted from the printed folios."""
    printed = [(page.number, int(page.foot)) for page in pages if page.foot.strip().isdigit()]
    offset = printed[0][0] - printed[0][1]
    found = [page.number for page in pages if words in " ".join(page.body.split())]
    assert len(found) == 1, (words, found)
    return found[0] - offset


def test_print_shows_each_markers_page(tech_book: tuple[Path, BuildResult]) -> None:
    pages = pdf_pages(_files(tech_book[1])[1])
    index_page = next(p for p in pages if p.body.startswith("Index"))
    assert index_page.head == "" and index_page.number % 2 == 1, "the index opens on a recto"
    text = " ".join(" ".join(p.body for p in pages[index_page.number - 1:]).split())
    expected = {
        "settings": _folio(pages, "The configuration is read once."),
        "quotation": _folio(pages, "A quotation, with emphasis"),
        "plugin": _folio(pages, "A widget plugin is a class"),
        "émoji": _folio(pages, "An animated icon"),
        "Python": _folio(pages, "Install it with Python."),
    }
    for term, folio in expected.items():
        assert re.search(rf"(^| ){term}, {folio}( |$)", text), (term, folio, text)
    assert "configuration See settings" in text and "TOML See also settings" in text
    assert len(set(expected.values())) >= 3, "the markers are on different pages"


def test_print_lists_a_page_once_and_consecutive_pages_as_a_range(
        tech_book: tuple[Path, BuildResult]) -> None:
    """"widget" is marked in the preface (a roman folio), twice on the first page of chapter 1,
    on each of the two pages after it and in chapter 3: print lists the roman page first, each
    page once, the three in a row as a range (builder.index_ranges, after the layout)."""
    pages = pdf_pages(_files(tech_book[1])[1])
    first = _folio(pages, "Widgets start with")
    assert _folio(pages, "Install it with Python.") == first, "two markers on one page"
    assert _folio(pages, "A widget plugin is a class") == first + 1
    assert _folio(pages, "A widget diagram drawn") == first + 2
    legacy = _folio(pages, "A small device.")
    assert legacy > first + 3
    preface = next(page for page in pages if page.body.startswith("Preface"))
    assert re.fullmatch(r"[ivx]+", preface.foot), preface.foot
    index_page = next(p for p in pages if p.body.startswith("Index"))
    text = " ".join(" ".join(p.body for p in pages[index_page.number - 1:]).split())
    assert re.search(rf"(^| )widget, {preface.foot}, {first}\u2013{first + 2}, {legacy}( |$)", text), text


def test_sorting_follows_the_books_language() -> None:
    def order(words: list[str], language: str) -> list[str]:
        return sorted(words, key=lambda w: sort_key(w, language))

    assert order(["zebra", "Ödla", "apa", "Åsna"], "sv") == ["apa", "zebra", "Åsna", "Ödla"]
    assert order(["zebra", "Öl", "Apfel", "Äpfel"], "de") == ["Apfel", "Äpfel", "Öl", "zebra"]
    assert order(["nube", "ñandú", "oso"], "es") == ["nube", "ñandú", "oso"]
    assert order(["oso", "ñandú", "nube"], "es-MX") == ["nube", "ñandú", "oso"]
    assert order(["Newark", "New York", "new"], "en") == ["new", "New York", "Newark"], "word by word"
    assert order(["résumé", "resume", "Resume"], "en") == ["resume", "Resume", "résumé"], "ties: accent, case"


def test_markers_are_never_read_in_code() -> None:
    html = new_markdown().convert("Text{^ term!sub} and `{^ code}` and \\{^ escaped}.\n\n"
                                  "```\n{^ fenced}\n```\n")
    assert html.count('class="index-marker"') == 1 and 'data-index="term!sub"' in html
    assert "<code>{^ code}</code>" in html and "{^ escaped}" in html and "{^ fenced}" in html


def _check(tmp_path: Path, second_chapter: str) -> str:
    root = shutil.copytree(FIXTURES / "small-book", tmp_path / "book")
    write_file(root / "chapters/02-second.md", second_chapter)
    err = io.StringIO()
    main(["check", str(root)], err)
    assert "Traceback" not in err.getvalue()
    return err.getvalue()


def test_bad_markers_are_errors_at_their_line(tmp_path: Path) -> None:
    said = _check(tmp_path, "# The End {^ title}\n\nSome text.{^ a!b!c}\n\nMore{^ !sub} and{^ x|sea y}.\n"
                            "A last{^ fine|see nothing here}.\n")
    assert "02-second.md:1:11: error: an index marker cannot stand in a chapter's title" in said
    assert "02-second.md:3:11: error: the index marker {^ a!b!c} goes 2 levels down" in said
    assert "02-second.md:5:5: error: the index marker {^ !sub} has an empty term" in said
    assert "02-second.md:5:17: error: the index marker {^ x|sea y}: after the | write `see other term`" \
        in said
    assert "02-second.md:6:7: warning: the index says 'see nothing here', but no marker indexes" in said
