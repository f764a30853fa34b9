"""The author's text survives: every paragraph, list item and table cell of the
article, in order, in both editions; the excluded furniture and contact data in
neither."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from builder.pipeline import BuildResult
from tests.conftest import REPO
from tests.helpers import XHTML_NS, assert_in_order, letters, pdf_body_text, spine_documents

ARTICLE = REPO / "book" / "source" / "article.txt"
ERRATA = REPO / "book" / "errata.toml"
FURNITURE_START = "Watch No One Saw Us Leave Online"
# From the "Detail Author" block: personal data a distributed book must not carry.
NEVER_PUBLISHED = [
    "melisa70", "geraldine.mertz", "kreiger.com", "Balistreri", "19523332439",
    "Bashirian", "Sawing Machine Setter", "Laboriosam", "dtowne", "dominic_towne",
    "1971-06-07", "Release Dates", "Where to Watch",
]


def expected_items() -> list[str]:
    """The article's text lines, title and furniture removed, errata applied."""
    text = ARTICLE.read_text(encoding="utf-8")
    for fix in tomllib.loads(ERRATA.read_text(encoding="utf-8"))["fix"]:
        assert text.count(fix["original"]) == 1, f"erratum {fix['original']!r} is ambiguous"
        text = text.replace(fix["original"], fix["corrected"])
    lines = [line.strip().lstrip("•").strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    body = lines[1:]  # the first line is the book's title and subtitle
    return body[: next(i for i, line in enumerate(body) if line.startswith(FURNITURE_START))]


def epub_chapter_text(epub: Path) -> str:
    parts = []
    for _name, document in spine_documents(epub):
        for section in document.iterfind(".//x:section[@epub:type='chapter']", XHTML_NS):
            parts.append(" ".join(section.itertext()))
    return "\n".join(parts)


def test_expected_items_cover_the_whole_article() -> None:
    items = expected_items()
    assert items[0].startswith("Have you ever felt the ground vanish")
    assert items[-1].endswith("no one saw.")
    assert "DetailInformation" in items and "Full NameTamara Trottner" in items
    assert any("airing dirty laundry" in item for item in items)
    assert len(items) == 57


def test_every_item_is_in_the_epub_in_order(real_book: tuple[Path, BuildResult]) -> None:
    epub = next(f for f in real_book[1].files if f.suffix == ".epub")
    assert_in_order(expected_items(), epub_chapter_text(epub), "EPUB")


def test_every_item_is_in_the_pdf_in_order(real_book: tuple[Path, BuildResult]) -> None:
    pdf = next(f for f in real_book[1].files if f.suffix == ".pdf")
    assert_in_order(expected_items(), pdf_body_text(pdf), "PDF")


def test_the_typo_is_fixed_in_both_editions(real_book: tuple[Path, BuildResult]) -> None:
    epub, pdf = sorted(real_book[1].files)
    pdf_text = pdf_body_text(pdf)
    pdf_chapters = pdf_text[pdf_text.index("Have you ever felt"):]  # the colophon names the fix
    for text in (epub_chapter_text(epub), pdf_chapters):
        assert "airing dirty laundry" in " ".join(text.split())
        assert "airsing" not in text


@pytest.mark.parametrize("needle", NEVER_PUBLISHED)
def test_contact_data_and_furniture_are_left_out(
    real_book: tuple[Path, BuildResult], needle: str
) -> None:
    epub, pdf = sorted(real_book[1].files)
    for text in (epub_chapter_text(epub), pdf_body_text(pdf, margin_pt=0)):
        assert letters(needle) not in letters(text)
