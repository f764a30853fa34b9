"""Honest accessibility: a chapter's headings form an outline under its title (skips
closed, empty headings dropped, each said at file:line), and the EPUB claims EPUB
Accessibility 1.1 / WCAG 2.1 Level AA only when the book meets the rules Ace checks;
otherwise its summary, and the build, say what is not met."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from lxml import etree

from builder.checks import accessibility, outline
from builder.config import load_config
from builder.epub import CONFORMANCE, accessibility_metadata
from builder.errors import Problems
from builder.manuscript import read_book
from builder.model import BodyPart, Book
from builder.pipeline import BuildResult, build, check
from tests.conftest import FIXTURES
from tests.helpers import OPF_NS, XHTML_NS, ace_checker, epubcheck, opf, spine_documents, write_file

HEADERLESS_TABLE = ("<table>\n<tr><td>Lamp</td><td>1852</td></tr>\n<tr><td>Lens</td><td>1870</td></tr>\n"
                    "</table>\n")


def _book(tmp_path: Path, second: str) -> Path:
    """The small fixture book with *second* as its second chapter (the first no longer links
    into it)."""
    root = tmp_path / "book"
    shutil.copytree(FIXTURES / "small-book", root)
    first = root / "chapters" / "01-first.md"
    first.write_text(first.read_text(encoding="utf-8").replace("(#the-end)", "(02-second.md)"),
                     encoding="utf-8")
    write_file(root / "chapters" / "02-second.md", second)
    return root


def _read(root: Path) -> tuple[Book, list[str]]:
    """The book as built (no layout), and its warnings as `file:line:col: warning: …`."""
    problems = Problems()
    book = read_book(load_config(root), problems)
    return book, [str(d) for d in problems.items]


def _headings(book: Book, number: int) -> list[tuple[str, str]]:
    """(tag, text) of a chapter's headings, its title first."""
    chapter = book.chapters[number - 1]
    body = "".join(part.xhtml for part in chapter.body if part.kind == "markup")
    root = etree.fromstring(f"<div><h1>{chapter.title_html}</h1>{body}</div>")
    return [(str(h.tag), " ".join(str(h.xpath("string()")).split()))
            for h in root.iter("h1", "h2", "h3", "h4", "h5", "h6")]


def _meta(package: etree._Element, name: str) -> list[str]:
    return [str(m.text) for m in package.iterfind(f".//opf:meta[@property='{name}']", OPF_NS)]


# --- headings --------------------------------------------------------------------

def test_the_outline_rule_keeps_relative_nesting() -> None:
    levels = [2, 4, 5, 3, 2, 6]
    assert [placed for _, placed in outline(levels, 1)] == [2, 3, 4, 3, 2, 3]
    assert [under for under, _ in outline(levels, 1)] == [1, 2, 4, 2, 1, 2]


def test_a_skipped_level_is_closed_with_the_headings_under_it(tmp_path: Path) -> None:
    root = _book(tmp_path, "# Second\n\n## Shore\n\nText.\n\n#### Rocks\n\n##### Pebbles\n\n"
                           "### Cliffs\n\n## Sea\n")
    book, warnings = _read(root)
    assert _headings(book, 2) == [("h1", "Second"), ("h2", "Shore"),
                                  ("h3", "Rocks"), ("h4", "Pebbles"), ("h3", "Cliffs"), ("h2", "Sea")]
    # One warning, at the skip: the headings under it only follow it.
    skips = [w for w in warnings if "skips" in w]
    assert len(skips) == 1 and "02-second.md:7:6: warning: heading level skips from h2 to h4 ('Rocks')" \
        in skips[0] and "write ### for it" in skips[0]
    assert accessibility(book).skipped_headings == 0


def test_extra_top_level_headings_are_sections_without_lifting_the_others(tmp_path: Path) -> None:
    # A second `#` in a chapter (Leanpub's way) is a section; the `##` before it stay h2.
    root = _book(tmp_path, "# Second\n\n## Before\n\n# Next steps\n\n## After\n")
    book, warnings = _read(root)
    assert _headings(book, 2) == [("h1", "Second"), ("h2", "Before"), ("h2", "Next steps"), ("h3", "After")]
    assert not [w for w in warnings if "02-second.md" in w]


def test_an_empty_heading_is_dropped_with_a_warning(tmp_path: Path) -> None:
    root = _book(tmp_path, "# Second\n\n##\n\nText.\n\n## Kept\n\n### <a id=\"mark\"></a>\n\n"
                           "See [the mark](#mark).\n")
    book, warnings = _read(root)
    assert _headings(book, 2) == [("h1", "Second"), ("h2", "Kept")]
    empty = [w for w in warnings if "empty heading" in w]
    assert [w.split(": warning")[0].split("/")[-1] for w in empty] == ["02-second.md:3:1", "02-second.md:9:8"]
    # The anchor it held still answers the link to it.
    body = "".join(part.xhtml for part in book.chapters[1].body)
    assert 'id="ch-02-second--mark"' in body and 'href="#ch-02-second--mark"' in body
    assert accessibility(book).empty_headings == 0


def test_a_heading_holding_only_an_image_takes_its_alt_text(tmp_path: Path) -> None:
    root = _book(tmp_path, "# Second\n\n## ![The lighthouse at dusk](pic.png)\n\nText.\n")
    shutil.copy(FIXTURES / "tech-book" / "chapters" / "images" / "diagram.png", root / "chapters" / "pic.png")
    book, warnings = _read(root)
    assert _headings(book, 2) == [("h1", "Second"), ("h2", "The lighthouse at dusk")]
    assert any("02-second.md:3:" in w and "takes its alt text" in w for w in warnings)


def test_an_empty_chapter_title_is_an_error(tmp_path: Path) -> None:
    root = _book(tmp_path, "#\n\nText.\n")
    found = [str(d) for d in check(root)]
    assert any("02-second.md:1:1: error: the chapter's title is empty" in line for line in found), found


# --- the claim -------------------------------------------------------------------

def test_a_book_that_meets_every_rule_claims_conformance(small_book: tuple[Path, BuildResult]) -> None:
    epub = next(f for f in small_book[1].files if f.suffix == ".epub")
    package = opf(epub)
    assert _meta(package, "dcterms:conformsTo") == [CONFORMANCE]
    assert _meta(package, "a11y:certifiedBy") == ["Fixture Press"]
    assert _meta(package, "schema:accessibilitySummary")[0].startswith("This publication meets")
    assert not [w for w in small_book[1].warnings if "conformance" in w.message]


def test_an_image_without_text_alternative_drops_the_claim_and_alternative_text(tmp_path: Path) -> None:
    # The builder refuses an image without alt text; a book that got one past it must not claim.
    book, _ = _read(_book(tmp_path, "# Second\n\nText.\n"))
    chapter = dataclasses.replace(book.chapters[1], body=(
        BodyPart("markup", '<p><img src="images/a.png" alt=" "/></p><p><img src="images/b.png" alt=""/></p>'
                           '<p><img src="images/c.png" alt="" role="presentation"/></p>'),))
    book = dataclasses.replace(book, chapters=(book.chapters[0], chapter))
    assert accessibility(book).unmet == ("2 images have no text alternative",)
    entries = accessibility_metadata(book, [], None)
    values = {(name, value) for name, value, _ in entries}
    assert not any(name in ("dcterms:conformsTo", "a11y:certifiedBy") for name, _ in values)
    assert ("schema:accessibilityFeature", "alternativeText") not in values
    assert ("schema:accessibilityFeature", "printPageNumbers") not in values  # no page list
    assert ("schema:accessModeSufficient", "textual") not in values


@pytest.fixture(scope="module")
def headerless(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """A book whose one raw HTML table has no header cells, built; its skipped level and
    empty heading are repaired (Ace checks that too)."""
    root = _book(tmp_path_factory.mktemp("headerless"), "# Second\n\n#### Dates\n\n" + HEADERLESS_TABLE
                 + "\n##\n\nThe end.\n")
    return build(root, root / "dist")


def test_a_table_without_header_row_drops_the_claim_and_says_why(headerless: BuildResult) -> None:
    epub = next(f for f in headerless.files if f.suffix == ".epub")
    package = opf(epub)
    assert _meta(package, "dcterms:conformsTo") == [] and _meta(package, "a11y:certifiedBy") == []
    summary = _meta(package, "schema:accessibilitySummary")[0]
    assert summary.startswith("This publication does not claim conformance to EPUB Accessibility 1.1 "
                              "or WCAG 2.1 Level AA: 1 table has no header row or column.")
    assert "Tables have header cells" not in summary
    # What it does have is still declared: the print edition's page list among it.
    assert {"tableOfContents", "readingOrder", "structuralNavigation", "printPageNumbers",
            "alternativeText"} <= set(_meta(package, "schema:accessibilityFeature"))
    said = [w.message for w in headerless.warnings]
    assert "the EPUB makes no accessibility conformance claim (EPUB Accessibility 1.1, WCAG 2.1 Level AA): " \
        "1 table has no header row or column" in said
    chapter = next(d for n, d in spine_documents(epub) if n == "ch-02-second.xhtml")
    table = chapter.find(".//x:table", XHTML_NS)
    assert table is not None and table.find(".//x:th", XHTML_NS) is None  # the author's table, as written


def test_the_unclaimed_book_passes_epubcheck_and_ace(headerless: BuildResult) -> None:
    epub = next(f for f in headerless.files if f.suffix == ".epub")
    messages = epubcheck(epub)
    assert messages == [], "\n".join(f"{m['severity']} {m['ID']}: {m['message']}" for m in messages)
    found = ace_checker().run_ace(epub)
    assert found == [], "\n".join(f"{v['impact']} {v['rule']} {v['file']}: {v['message']}" for v in found)
