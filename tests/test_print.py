"""The print interior: a book a printer would take and a typographer would sign."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from builder.config import load_config
from builder.manuscript import read_book
from builder.pipeline import BuildResult, build
from tests.conftest import FIXTURES
from tests.helpers import PdfPage, pdf_pages, require_command

ROMAN = re.compile(r"^[ivxlc]+$")
POINTS_PER_INCH = 72
BLEED_PT = 3 / 25.4 * POINTS_PER_INCH


def _pdf(result: BuildResult) -> Path:
    return next(f for f in result.files if f.suffix == ".pdf")


def _book_with_trim(tmp_path: Path, trim: str) -> Path:
    book = tmp_path / "book-folder"
    shutil.copytree(FIXTURES / "small-book", book)
    toml = book / "book" / "book.toml"
    toml.write_text(toml.read_text() + f'\n[print]\ntrim = "{trim}"\n')
    return book


def _chapter_starts(pdf: Path) -> list[tuple[str, int]]:
    """(title, 1-based physical page) of every chapter bookmark, in order."""
    reader = PdfReader(pdf)
    front = {"Title Page", "Copyright", "Contents"}
    return [(item.title, reader.get_destination_page_number(item) + 1)
            for item in reader.outline if not isinstance(item, list) and item.title not in front]


def _folio(page: PdfPage) -> str:
    return page.foot.strip()


@pytest.mark.parametrize("trim, size", [("6x9", (6, 9)), ("5x8", (5, 8)), ("a5", (148 / 25.4, 210 / 25.4))])
def test_page_size_in_points(tmp_path: Path, trim: str, size: tuple[float, float]) -> None:
    result = build(_book_with_trim(tmp_path, trim), tmp_path / "dist", ["pdf"])
    page = PdfReader(_pdf(result)).pages[0]
    width, height = (round(v * POINTS_PER_INCH, 1) for v in size)
    assert (round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1)) == (width, height)
    assert page.trimbox == page.mediabox, "a reading PDF has no bleed"


@pytest.mark.parametrize("trim, size", [("6x9", (432, 648)), ("5.5x8.5", (396, 612))])
def test_print_job_adds_bleed_and_crop_marks(tmp_path: Path, trim: str, size: tuple[int, int]) -> None:
    result = build(_book_with_trim(tmp_path, trim), tmp_path / "dist", ["pdf"], print_job=True)
    page = PdfReader(_pdf(result)).pages[0]
    trim_box = [round(float(v), 1) for v in page.trimbox]
    bleed_box = [round(float(v), 1) for v in page.bleedbox]
    assert trim_box == [0, 0, *size]
    bleed = round(BLEED_PT, 1)
    assert bleed_box == [-bleed, -bleed, size[0] + bleed, size[1] + bleed]
    assert float(page.mediabox.width) >= size[0] + 2 * BLEED_PT - 0.1


def test_the_print_job_goes_beside_the_reading_pdf_never_over_it(tmp_path: Path) -> None:
    book, dist = _book_with_trim(tmp_path, "6x9"), tmp_path / "dist"
    [reading] = build(book, dist, ["pdf"]).files
    before = reading.read_bytes()
    done = subprocess.run([sys.executable, "-m", "builder", "build", "--pdf", "--print", "--quiet",
                           "--out", str(dist), str(book)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in dist.iterdir()) == ["a-small-test-book-print.pdf", "a-small-test-book.pdf"]
    assert reading.read_bytes() == before, "the reading PDF was left as it was"
    printer = PdfReader(dist / "a-small-test-book-print.pdf").pages[0]
    assert printer.bleedbox != printer.trimbox and PdfReader(reading).pages[0].trimbox == \
        PdfReader(reading).pages[0].mediabox
    toml = book / "book" / "book.toml"  # book.toml's [print] print_job names it the same way
    toml.write_text(toml.read_text().replace('[print]\n', '[print]\nprint_job = true\n'))
    assert [f.name for f in build(book, tmp_path / "from-toml", ["pdf"]).files] == [
        "a-small-test-book-print.pdf"]


def test_every_chapter_starts_on_an_odd_page(real_book: tuple[Path, BuildResult]) -> None:
    starts = _chapter_starts(_pdf(real_book[1]))
    assert len(starts) == 9
    assert all(page % 2 == 1 for _, page in starts), starts


def test_contents_page_numbers_are_where_chapters_start(real_book: tuple[Path, BuildResult]) -> None:
    pdf = _pdf(real_book[1])
    pages = pdf_pages(pdf)
    contents = next(p for p in pages if p.body.startswith("Contents"))
    listed = [int(n) for n in re.findall(r"\.\s+(\d+)(?=\s|$)", contents.body)]
    actual = []
    for _title, physical in _chapter_starts(pdf):
        # An opening page has no folio: count from the nearest page that has one.
        numbered = [p for p in pages if _folio(p).isdigit()]
        nearest = min(numbered, key=lambda p: abs(p.number - physical))
        actual.append(int(_folio(nearest)) - (nearest.number - physical))
    assert listed == actual
    assert actual[0] == 1


def test_folios_roman_in_front_matter_then_arabic_from_one(real_book: tuple[Path, BuildResult]) -> None:
    pdf = _pdf(real_book[1])
    pages = pdf_pages(pdf)
    first_chapter = _chapter_starts(pdf)[0][1]
    front = [_folio(p) for p in pages[: first_chapter - 1] if _folio(p)]
    body = [_folio(p) for p in pages[first_chapter - 1 :] if _folio(p)]
    assert front and all(ROMAN.match(f) for f in front), front
    assert body and all(f.isdigit() for f in body), body
    assert [int(f) for f in body] == sorted(int(f) for f in body)
    assert int(body[0]) == pages[first_chapter - 1 :].index(
        next(p for p in pages[first_chapter - 1 :] if _folio(p))) + 1


def test_running_heads_title_left_chapter_right(real_book: tuple[Path, BuildResult]) -> None:
    pdf = _pdf(real_book[1])
    pages = pdf_pages(pdf)
    starts = _chapter_starts(pdf)
    title = read_book(load_config(real_book[0])).meta.title
    checked = 0
    # the back matter (the colophon, on the last page) has no running heads
    body_end = next(p.number for p in pages if "Typeset from Markdown" in p.body) - 1
    for index, (chapter, first) in enumerate(starts):
        last = starts[index + 1][1] - 1 if index + 1 < len(starts) else body_end
        assert pages[first - 1].head == "" and _folio(pages[first - 1]) == "", "opener is clean"
        for page in pages[first:last]:
            if not page.body:  # a blank verso is truly blank
                assert page.head == "" and _folio(page) == "", page.number
                continue
            expected = title if page.number % 2 == 0 else chapter
            assert " ".join(page.head.split()) == expected, page.number
            assert _folio(page).isdigit(), page.number
            checked += 1
    assert checked >= 5  # every text page of the real book (its chapters are short)


def test_tagged_accessible_pdf(real_book: tuple[Path, BuildResult]) -> None:
    root = PdfReader(_pdf(real_book[1])).trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"]) is True
    assert root["/Lang"] == "en"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"]) is True
    xmp = root["/Metadata"].get_object().get_data().decode()
    for needle in ("pdfuaid:part=\"1\"", "<dc:title>", "<dc:creator>", "<dc:language>",
                   "<pdf:Keywords>", "book-builder"):
        assert needle in xmp, needle


def test_every_font_is_embedded(real_book: tuple[Path, BuildResult]) -> None:
    pdffonts = require_command("pdffonts")
    lines = subprocess.run([pdffonts, str(_pdf(real_book[1]))], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert lines, "no fonts listed"
    assert all(line.split()[-5] == "yes" for line in lines), lines
    assert any("Garamond" in line for line in lines), "the book typeface is used"


def test_qpdf_finds_no_errors(real_book: tuple[Path, BuildResult]) -> None:
    qpdf = require_command("qpdf")
    done = subprocess.run([qpdf, "--check", str(_pdf(real_book[1]))], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No syntax or stream encoding errors" in done.stdout


def test_bookmarks_in_chapter_order(real_book: tuple[Path, BuildResult]) -> None:
    pdf = _pdf(real_book[1])
    titles = [t for t, _ in _chapter_starts(pdf)]
    assert titles == [c.title_text for c in read_book(load_config(real_book[0])).chapters]
    pages = [p for _, p in _chapter_starts(pdf)]
    assert pages == sorted(pages)


def test_text_is_justified_and_hyphenated(real_book: tuple[Path, BuildResult]) -> None:
    pages = pdf_pages(_pdf(real_book[1]))
    hyphenated = [w for p in pages for w in p.words if re.search(r"[a-z][-‐]$", w[4])]
    assert len(hyphenated) >= 10


def test_footnotes_sit_at_the_foot_of_the_page(small_book: tuple[Path, BuildResult]) -> None:
    pages = pdf_pages(_pdf(small_book[1]))
    page = next(p for p in pages if "torrents." in p.body)
    note_top = next(w[1] for w in page.words if w[4] == "torrents.")
    body_bottom = max(w[3] for w in page.words if w[4] in ("chapter.", "fell.1", "fell."))
    assert note_top > body_bottom, "the note is below the text"
    assert note_top > page.height * 0.6, "the note is at the foot of the page"


def test_pdfa_variant_is_one_option_away(tmp_path: Path) -> None:
    book = tmp_path / "book"
    shutil.copytree(FIXTURES / "small-book", book)
    result = build(book, tmp_path / "dist", ["pdf"], pdf_variant="pdf/a-3u")
    xmp = PdfReader(_pdf(result)).trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="U"' in xmp
