"""Citations: `[@key]`, `[@key, p. 12]` and, in the running text, `@key [p. 12]` from book.toml's
bibliography, formatted by a CSL style (Chicago author-date by default), each linking to its entry
in a bibliography at the back; a locator's label as the style prints it; a note style makes them
footnotes; an unknown key is an error at its line. The technical fixture's chapter 3 cites two
works of book/refs.bib."""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

from builder.config import load_config
from builder.manuscript import read_book
from builder.manuscript.citations import _LABELS, Cite, parse_citation
from builder.pipeline import BuildResult, check
from builder.render import render_print
from tests.conftest import FIXTURES
from tests.helpers import XHTML_NS, copy_book, pdf_pages, write_file

EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def _epub_document(result: BuildResult, name: str) -> etree._Element:
    epub = next(f for f in result.files if f.suffix == ".epub")
    with zipfile.ZipFile(epub) as archive:
        return etree.fromstring(archive.read(f"EPUB/{name}"))


def _text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def test_citations_are_author_date_and_link_to_their_entries(tech_book: tuple[Path, BuildResult]) -> None:
    chapter = _epub_document(tech_book[1], "ch-03-legacy.xhtml")
    citations = chapter.findall(".//x:span[@class='citation']", XHTML_NS)
    assert [_text(c) for c in citations] == ["(Knuth 1984, 12)", "(Knuth 1984, chap. 2; see Lamport 1987)",
                                             "Lamport (1987)", "Knuth (1984, chap. 1)"]
    links = [(a.get("href"), a.get("role"), _text(a)) for c in citations for a in c.iterfind("x:a", XHTML_NS)]
    assert links == [("bibliography.xhtml#ref-knuth1984", "doc-biblioref", "Knuth 1984, 12"),
                     ("bibliography.xhtml#ref-knuth1984", "doc-biblioref", "Knuth 1984, chap. 2"),
                     ("bibliography.xhtml#ref-lamport1987", "doc-biblioref", "Lamport 1987"),
                     ("bibliography.xhtml#ref-lamport1987", "doc-biblioref", "Lamport (1987)"),
                     ("bibliography.xhtml#ref-knuth1984", "doc-biblioref", "Knuth (1984, chap. 1)")]
    text = _text(chapter)
    assert "A bracket with an address, [mail me @ home], is no citation" in text
    assert "Write to ada@example.org about either." in text
    assert chapter.find(".//x:code", XHTML_NS) is not None and "[@knuth1984]" in [
        c.text for c in chapter.iterfind(".//x:code", XHTML_NS)]


def test_the_bibliography_lists_each_work_once_in_the_styles_order(
        tech_book: tuple[Path, BuildResult]) -> None:
    page = _epub_document(tech_book[1], "bibliography.xhtml")
    section = page.find(".//x:section", XHTML_NS)
    assert section.get(EPUB_TYPE) == "bibliography" and section.get("role") == "doc-bibliography"
    assert _text(section.find("x:h1", XHTML_NS)) == "References"
    entries = section.findall(".//x:li", XHTML_NS)
    assert [e.get("id") for e in entries] == ["ref-knuth1984", "ref-lamport1987"]
    assert _text(entries[0]).startswith("Knuth, D") and "1984" in _text(entries[0])
    assert entries[0].find("x:i", XHTML_NS) is not None, "the book's title in italics"
    assert "Notices of the American Mathematical Society" in _text(entries[1])


def test_print_has_the_bibliography_after_the_chapters(tech_book: tuple[Path, BuildResult]) -> None:
    html = render_print(read_book(load_config(tech_book[0])))
    assert html.index('id="ch-03-legacy"') < html.index('id="bibliography"')
    assert '<a href="#ref-knuth1984" role="doc-biblioref">Knuth 1984, 12</a>' in html


def test_the_printed_bibliography_opens_a_recto_of_its_own_before_the_index(
        tech_book: tuple[Path, BuildResult]) -> None:
    pdf = next(path for path in tech_book[1].files if path.suffix == ".pdf")
    pages = pdf_pages(pdf)
    [references] = [page for page in pages if page.text().startswith("References")]
    [index] = [page for page in pages if page.text().startswith("Index")]
    assert references.number % 2 == 1, "a recto"
    assert "Index" not in references.text().split() and index.number > references.number


def test_parsing_prefixes_locators_and_suffixes() -> None:
    assert parse_citation("@a") == [Cite("a")]
    assert parse_citation("see @doe99, pp. 33-35, and passim; @smith04, chap. 1") == [
        Cite("doe99", "see", ("page", "33-35"), "and passim"), Cite("smith04", "", ("chapter", "1"))]
    assert parse_citation("@knuth1984, 12") == [Cite("knuth1984", "", ("page", "12"))]
    assert parse_citation("@a, chaps. 2-3; @b, §§ 4-5") == [Cite("a", "", ("chapter", "2-3")),
                                                          Cite("b", "", ("section", "4-5"))]


def _book_with(tmp_path: Path, chapter: str, **extra: str) -> Path:
    book = copy_book(FIXTURES / "tech-book", tmp_path / "book")
    write_file(book / "chapters" / "03-legacy.md", chapter)
    for name, content in extra.items():
        write_file(book / "book" / name.replace("_", "."), content)
    return book


# How Chicago author-date (CSL's en-US terms) prints each locator label: a page bare, a line
# by its long term, the rest by their short terms.
CHICAGO_LABELS = {"page": "", "chapter": "chap. ", "section": "sec. ", "volume": "vol. ", "figure": "fig. ",
                  "note": "n. ", "paragraph": "para. ", "line": "line ", "column": "col. ", "book": "bk. ",
                  "part": "pt. ", "issue": "no. ", "verse": "v. "}


def _legacy_body(tmp_path: Path, chapter: str, **extra: str) -> str:
    built = read_book(load_config(_book_with(tmp_path, chapter, **extra)))
    legacy = next(c for c in built.chapters if c.source.name == "03-legacy.md")
    return "".join(part.xhtml for part in legacy.body)


def _citation_texts(xhtml: str) -> list[str]:
    root = etree.fromstring(f'<div xmlns="{XHTML_NS["x"]}">{xhtml}</div>')
    return [_text(c) for c in root.iterfind(".//x:span[@class='citation']", XHTML_NS)]


def test_every_locator_label_prints_as_the_style_prints_it(tmp_path: Path) -> None:
    """Each label an author may write (builder.manuscript.citations._LABELS) comes out with the
    style's own label for it; a plural label with a range, in the plural."""
    assert set(_LABELS.values()) == set(CHICAGO_LABELS)
    written = [f"{label}{'' if label.startswith('§') else '.'} 3" for label in _LABELS]
    chapter = "## Legacy Markup\n\n" + " ".join(f"[@knuth1984, {locator}]" for locator in written) + (
        " [@knuth1984, chaps. 2-3] [@knuth1984, pp. 33-35]\n")
    printed = _citation_texts(_legacy_body(tmp_path, chapter))
    assert printed == [f"(Knuth 1984, {CHICAGO_LABELS[name]}3)" for name in _LABELS.values()] + [
        "(Knuth 1984, chaps. 2\u20133)", "(Knuth 1984, 33\u201335)"]


def test_a_narrative_citation_puts_the_names_before_the_rest(tmp_path: Path) -> None:
    """Pandoc's in-text form: `@key` prints the names as the style gives them, then the rest of
    the citation in its parentheses; a locator or a suffix in brackets after it goes in them."""
    body = _legacy_body(tmp_path, "## Legacy Markup\n\n@knuth1984 wrote it; @knuth1984 [p. 12] says so, "
                                  "*@lamport1987 [chap. 2, and passim]* too, and [@lamport1987] brackets.\n")
    assert _citation_texts(body) == ["Knuth (1984)", "Knuth (1984, 12)",
                                     "Lamport (1987, chap. 2, and passim)", "(Lamport 1987)"]
    assert '<a href="#ref-knuth1984" role="doc-biblioref">Knuth (1984, 12)</a>' in body, "one link"
    assert "<em><span class=\"citation\">" in body


def test_an_at_is_no_citation_in_an_address_code_a_link_or_escaped(tmp_path: Path) -> None:
    body = _legacy_body(tmp_path, "## Legacy Markup\n\nMail ada@example.org, see [her page]"
                                  "(https://example.org/@knuth1984) or <https://example.org/@lamport1987>, "
                                  "run `@knuth1984`, read [what @knuth1984 said](02-figures.md#a-photo), "
                                  "write \\@knuth1984.\n\n    @lamport1987 in code\n")
    assert _citation_texts(body) == []
    assert "Mail ada@example.org" in body and 'href="https://example.org/@knuth1984"' in body
    assert "<code>@knuth1984</code>" in body and "what @knuth1984 said</a>" in body
    assert "write @knuth1984." in body and "@lamport1987 in code" in body


def test_a_chapters_title_keeps_its_citations_as_written(tmp_path: Path) -> None:
    book = _book_with(tmp_path, "## Legacy Markup\n\nText.\n")
    write_file(book / "chapters" / "90-tolerances.md", "## After @knuth1984 [@lamport1987]\n\nText.\n")
    built = read_book(load_config(book))
    appendix = next(c for c in built.chapters if c.source.name == "90-tolerances.md")
    assert appendix.title_html == appendix.title_toc_html == "After @knuth1984 [@lamport1987]"


def test_a_narrative_citation_of_an_unknown_key_is_an_error_at_its_line(tmp_path: Path) -> None:
    book = _book_with(tmp_path, "## Legacy Markup\n\nFine.\n\nAs @knuth1948 [p. 3] says.\n")
    said = [str(d) for d in check(book) if d.level == "error"]
    chapter = book / "chapters" / "03-legacy.md"
    assert said == [f"{chapter}:5:4: error: no work with the key 'knuth1948' in refs.bib; "
                    "did you mean 'knuth1984'?"]


def test_an_unknown_key_is_an_error_at_its_line(tmp_path: Path) -> None:
    book = _book_with(tmp_path,
                      "## Legacy Markup\n\nFine [@knuth1984].\n\nNot there [see @knuth1948, p. 3].\n")
    said = [str(d) for d in check(book) if d.level == "error"]
    chapter = book / "chapters" / "03-legacy.md"
    assert said == [f"{chapter}:5:16: error: no work with the key 'knuth1948' in refs.bib; "
                    "did you mean 'knuth1984'?"]


def test_a_missing_bibliography_file_is_an_error_at_its_key(tmp_path: Path) -> None:
    book = copy_book(FIXTURES / "tech-book", tmp_path / "book")
    toml = book / "book" / "book.toml"
    toml.write_text(toml.read_text().replace('"book/refs.bib"', '"book/ref.bib"'))
    said = [str(d) for d in check(book) if d.level == "error"]
    line = next(n for n, text in enumerate(toml.read_text().splitlines(), 1)
                if text.startswith("bibliography"))
    assert any(s.startswith(f"{toml}:{line}:") and "bibliography: 'book/ref.bib': there is no such file; "
               "did you mean 'book/refs.bib'?" in s for s in said), said


def test_csl_json_and_a_note_style_make_footnotes(tmp_path: Path) -> None:
    """A CSL-JSON bibliography and a style of class "note": each citation a footnote, numbered
    among the author's own, the bibliography titled so."""
    style = (FIXTURES.parent.parent / "builder" / "csl" / "chicago-author-date.csl").read_text()
    note_style = style.replace('class="in-text"', 'class="note"', 1)
    book = _book_with(
        tmp_path, "## Legacy Markup\n\nA note first.[^own]\n\nThen a work [@gutenberg1455, p. 4]; "
        "@gutenberg1455 [p. 5] printed it.\n\n[^own]: The author's note.\n",
        refs_json='[{"id": "gutenberg1455", "type": "book", "title": "Biblia Latina", "author": '
                  '[{"family": "Gutenberg", "given": "Johannes"}], "issued": {"date-parts": [[1455]]}}]',
        style_csl=note_style)
    toml = book / "book" / "book.toml"
    toml.write_text(toml.read_text().replace('"book/refs.bib"', '"book/refs.json"\ncsl = "book/style.csl"'))
    built = read_book(load_config(book))
    chapter = next(c for c in built.chapters if c.source.name == "03-legacy.md")
    assert [(n.number, _text(etree.fromstring(f"<p>{n.inline_xhtml}</p>"))) for n in chapter.notes] == [
        (1, "The author\u2019s note."), (2, "(Gutenberg 1455, 4)"), (3, "(Gutenberg 1455, 5)")]
    body = "".join(part.xhtml for part in chapter.body)
    assert _citation_texts(body) == ["Gutenberg"], "narrative: the names in the text, then the call"
    assert built.bibliography is not None and built.bibliography.title == "Bibliography"
    assert [e.id for e in built.bibliography.entries] == ["ref-gutenberg1455"]
    assert "[@" not in "".join(part.xhtml for part in chapter.body)


def test_a_book_without_a_bibliography_keeps_its_brackets(tmp_path: Path) -> None:
    book = _book_with(tmp_path, "## Legacy Markup\n\nWrite to [@support] or [see @team, p. 2].\n")
    toml = book / "book" / "book.toml"
    toml.write_text(toml.read_text().replace('bibliography = "book/refs.bib"', ""))
    built = read_book(load_config(book))
    assert built.bibliography is None
    legacy = next(c for c in built.chapters if c.source.name == "03-legacy.md")
    body = "".join(part.xhtml for part in legacy.body)
    assert "Write to [@support] or [see @team, p. 2]." in body
