"""The printer's file by each printer's rules (builder.printers): the page boxes read back
in points, the marks, the page count, the colours and the output intent; the print cover."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from builder.model import PrintOptions
from builder.pipeline import build
from builder.printers import PRINTERS, cover_size, padding, page_boxes
from tests import pdfx
from tests.conftest import FIXTURES
from tests.helpers import epubcheck, pdf_pages, require_command

TRIMS = {"6x9": (432.0, 648.0), "5x8": (360.0, 576.0)}
OUTSIDE = 9.0  # KDP, IngramSpark and Lulu: 0.125 in, in points
MM3 = 3 / 25.4 * 72


def _book(tmp_path: Path, print_table: str, extra: str = "") -> Path:
    book = tmp_path / "book-folder"
    shutil.copytree(FIXTURES / "small-book", book)
    toml = book / "book" / "book.toml"
    toml.write_text(extra + toml.read_text() + f"\n[print]\n{print_table}\n")
    return book


def _print_job(tmp_path: Path, profile: str, trim: str = "6x9", extra: str = "") -> Path:
    book = _book(tmp_path, f'print_job = true\nprofile = "{profile}"\ntrim = "{trim}"', extra)
    [pdf] = build(book, tmp_path / "dist", ["pdf"]).files
    return pdf


def _box(page: object, name: str) -> list[float]:
    return [round(float(v), 1) for v in getattr(page, name)]


@pytest.mark.parametrize("trim", TRIMS)
@pytest.mark.parametrize("profile", ["kdp", "ingramspark", "lulu", "offset"])
def test_page_boxes_in_points(tmp_path: Path, profile: str, trim: str) -> None:
    width, height = TRIMS[trim]
    reader = PdfReader(_print_job(tmp_path, profile, trim))
    recto, verso = reader.pages[0], reader.pages[1]
    for page in (recto, verso):
        assert _box(page, "trimbox") == [0, 0, width, height]
    if profile in ("kdp", "ingramspark"):  # top, bottom and the outside edge only
        assert _box(recto, "mediabox") == [0, -OUTSIDE, width + OUTSIDE, height + OUTSIDE]
        assert _box(verso, "mediabox") == [-OUTSIDE, -OUTSIDE, width, height + OUTSIDE]
        assert _box(recto, "bleedbox") == _box(recto, "mediabox")
        assert _box(verso, "bleedbox") == _box(verso, "mediabox")
        # trim + 0.125 in wide, + 0.25 in high, as KDP asks
        assert float(recto.mediabox.width) == pytest.approx(width + 9, abs=0.05)
        assert float(recto.mediabox.height) == pytest.approx(height + 18, abs=0.05)
    elif profile == "lulu":  # 0.125 in on every side
        for page in (recto, verso):
            assert _box(page, "mediabox") == [-OUTSIDE, -OUTSIDE, width + OUTSIDE, height + OUTSIDE]
            assert _box(page, "bleedbox") == _box(page, "mediabox")
    else:  # 3 mm bleed all round, the marks' margin beyond it
        bleed = round(MM3, 1)
        for page in (recto, verso):
            assert _box(page, "bleedbox") == [-bleed, -bleed, width + bleed, height + bleed]
            media = _box(page, "mediabox")
            assert media[0] <= -3 * MM3 + 0.1 and media[2] >= width + 3 * MM3 - 0.1
    # what builder.printers says the boxes are is what the PDF holds
    options = PrintOptions(trim=f"{trim.replace('x', 'in ')}in", print_job=True, profile=profile)
    for index, page in enumerate((recto, verso)):
        expected = page_boxes(options, recto=index == 0)
        assert _box(page, "mediabox") == [round(v, 1) for v in expected.media]
        assert _box(page, "bleedbox") == [round(v, 1) for v in expected.bleed]


def _dark_pixels(png: Path, inside: tuple[float, float, float, float] | None,
                 outside: tuple[float, float, float, float] | None) -> int:
    """Dark pixels of a 72 dpi page picture (1 px = 1 pt from the media box's top left)
    outside *outside* and, where given, inside *inside*."""
    image = Image.open(png).convert("L")
    width, height = image.size
    count = 0
    for y in range(height):
        for x in range(width):
            if image.getpixel((x, y)) >= 128:  # type: ignore[operator]
                continue
            if outside and outside[0] <= x < outside[2] and outside[1] <= y < outside[3]:
                continue
            if inside and not (inside[0] <= x < inside[2] and inside[1] <= y < inside[3]):
                continue
            count += 1
    return count


@pytest.mark.parametrize("profile", ["kdp", "offset"])
def test_marks_only_for_offset_and_outside_the_bleed(tmp_path: Path, profile: str) -> None:
    pdftoppm = require_command("pdftoppm")
    pdf = _print_job(tmp_path, profile)
    subprocess.run([pdftoppm, "-r", "72", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "p")],
                   check=True)
    page = PdfReader(pdf).pages[0]
    media, bleed = _box(page, "mediabox"), _box(page, "bleedbox")
    # the picture's pixel (0, 0) is the media box's top left corner
    left, top = media[0], media[3]
    bleed_px = (bleed[0] - left, top - bleed[3], bleed[2] - left, top - bleed[1])
    [png] = tmp_path.glob("p*.png")
    beyond_bleed = _dark_pixels(png, None, bleed_px)
    if profile == "offset":
        assert beyond_bleed > 20, "crop marks are drawn"
        # none between the trim and the bleed's edge: the trimmed page shows no mark
        trim_px = (-left, top - 648, 432 - left, top)
        in_bleed = _dark_pixels(png, (bleed_px[0] + 1, bleed_px[1] + 1, bleed_px[2] - 1, bleed_px[3] - 1),
                                (trim_px[0] - 1, trim_px[1] - 1, trim_px[2] + 1, trim_px[3] + 1))
        assert in_bleed == 0
    else:
        assert beyond_bleed == 0 and float(page.mediabox.width) < 442, "no marks, no room for them"


@pytest.mark.parametrize("profile, pages, total", [
    ("kdp", 3, 24), ("kdp", 23, 24), ("kdp", 25, 26), ("ingramspark", 9, 18), ("lulu", 9, 32),
    ("offset", 9, 12), ("offset", 12, 12),
])
def test_padding_to_the_printers_page_count(profile: str, pages: int, total: int) -> None:
    options = PrintOptions(print_job=True, profile=profile)
    assert pages + padding(options, pages) == total
    assert padding(PrintOptions(profile=profile), pages) == 0, "a reading PDF is never padded"


def test_a_short_book_is_padded_at_the_end_with_blank_pages(tmp_path: Path) -> None:
    book = _book(tmp_path, 'print_job = true\nprofile = "kdp"')
    done = subprocess.run([sys.executable, "-m", "builder", "build", "--pdf", "--out",
                           str(tmp_path / "dist"), str(book)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "padded to 24 pages with 14 blank pages at the end: Amazon KDP takes at least 24 pages" \
        in done.stderr
    reader = PdfReader(tmp_path / "dist" / "a-small-test-book-print.pdf")
    assert len(reader.pages) == 24
    texts = [page.extract_text().strip() for page in reader.pages]
    assert "Typeset from Markdown" in texts[9] and not any(texts[10:]), "the book's 10 pages, then blanks"
    # each blank page bleeds on its own outside edge (page 11 is a recto)
    assert [_box(page, "mediabox")[0] for page in reader.pages[9:13]] == [-OUTSIDE, 0, -OUTSIDE, 0]


def _colour_operators(pdf: Path) -> dict[str, int]:
    """How often each colour-setting operator occurs in the PDF's content streams."""
    data = pdf.read_bytes()
    counts = dict.fromkeys(("rg", "RG", "g", "G", "k", "K", "sc/scn"), 0)
    for raw in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            text = zlib.decompress(raw)
        except zlib.error:
            text = raw
        for op in ("rg", "RG", "g", "G", "k", "K"):
            counts[op] += len(re.findall(rb"(?:^|\s)[\d.]+(?: [\d.]+)* " + op.encode() + rb"(?=\s|$)", text))
        counts["sc/scn"] += len(re.findall(rb"\s(?:sc|scn|SC|SCN)(?=\s|$)", text))
    return counts


def test_a_black_and_white_interior_is_grey_with_an_output_intent(tmp_path: Path) -> None:
    pdf = _print_job(tmp_path, "kdp")
    counts = _colour_operators(pdf)
    assert counts["rg"] == counts["RG"] == 0, counts
    assert counts["g"] > 0, counts
    root = PdfReader(pdf).trailer["/Root"]
    [intent] = root["/OutputIntents"]
    assert intent["/S"] == "/GTS_PDFX" and intent["/DestOutputProfile"].get_object()["/N"] == 1
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" in xmp
    assert "/StructTreeRoot" in root, "still tagged"


def _with_colour_pictures(book: Path) -> None:
    images = book / "images"
    images.mkdir()
    Image.new("RGB", (300, 200), (200, 30, 30)).save(images / "red.jpg", quality=90)
    Image.new("RGBA", (300, 200), (30, 30, 200, 128)).save(images / "blue.png")
    chapter = book / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text() + "\n![A red block](../images/red.jpg)\n\n"
                       "![A half-clear blue block](../images/blue.png)\n")


@pytest.mark.parametrize("profile", ["kdp", "ingramspark", "lulu", "offset"])
def test_a_black_ink_printers_file_passes_a_pdf_x4_preflight(tmp_path: Path, profile: str) -> None:
    require_command("pdfimages")
    book = _book(tmp_path, f'print_job = true\nprofile = "{profile}"\npaper = "cream"')
    _with_colour_pictures(book)
    [pdf] = build(book, tmp_path / "dist", ["pdf"]).files
    assert pdfx.problems(pdf) == []
    listed = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                            check=True).stdout
    colours = [line.split()[5] for line in listed.splitlines()[2:]]
    assert colours and set(colours) == {"gray"}, listed  # the JPEG, the PNG and its soft mask


def test_the_preflight_finds_colour_pictures_in_a_black_ink_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from builder import black_ink

    require_command("pdfimages")
    monkeypatch.setattr(black_ink, "grey_image", lambda data: data)  # as before the pictures were made grey
    book = _book(tmp_path, 'print_job = true\nprofile = "kdp"')
    _with_colour_pictures(book)
    [pdf] = build(book, tmp_path / "dist", ["pdf"]).files
    assert any("/DeviceRGB" in problem and "image" in problem for problem in pdfx.problems(pdf))
    reading = build(_book(tmp_path / "reading", ""), tmp_path / "reading-dist", ["pdf"]).files[0]
    assert "0 GTS_PDFX output intents (PDF/X wants exactly one)" in pdfx.problems(reading)


def test_a_colour_interior_keeps_its_colours(tmp_path: Path) -> None:
    book = _book(tmp_path, 'print_job = true\nprofile = "ingramspark"\npaper = "color"')
    [pdf] = build(book, tmp_path / "dist", ["pdf"]).files
    assert _colour_operators(pdf)["rg"] > 0
    intent = PdfReader(pdf).trailer["/Root"]["/OutputIntents"][0]
    assert intent["/DestOutputProfile"].get_object()["/N"] == 3


def test_with_its_probe_failed_the_printers_file_is_written_as_weasyprint_makes_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pydyf whose objects are not as expected costs the printer's extras, never the file."""
    from builder import weasyprint_adapter

    monkeypatch.setenv("BOOK_BUILDER_PROBES", "printers-file")
    monkeypatch.setattr(weasyprint_adapter, "_off", {})
    pdf = _print_job(tmp_path, "kdp")
    root = PdfReader(pdf).trailer["/Root"]
    assert "/OutputIntents" not in root and _colour_operators(pdf)["rg"] > 0
    assert any("printer's file" in note and "off" in note for note in weasyprint_adapter._off.values())


def test_cover_size_from_page_count_and_paper() -> None:
    size = cover_size(PrintOptions(trim="6in 9in", print_job=True, profile="kdp", paper="cream"), 200)
    assert size.spine == pytest.approx(0.5)
    assert (size.width, size.height) == (pytest.approx(2 * 6 + 0.5 + 0.25), pytest.approx(9.25))
    assert size.spine_text
    thin = cover_size(PrintOptions(trim="5in 8in", print_job=True, profile="kdp"), 24)
    assert thin.spine == pytest.approx(24 * 0.002252, abs=1e-4) and not thin.spine_text
    lulu = cover_size(PrintOptions(trim="6in 9in", print_job=True, profile="lulu"), 444)
    assert lulu.spine == pytest.approx(1.06)
    assert set(PRINTERS) == {"kdp", "ingramspark", "lulu", "offset"}


ABOUT = 'about_author = """Test Author writes small books.\n\nSecond Author reads them."""\n'


def test_back_matter_about_the_author_and_the_colophon(tmp_path: Path) -> None:
    book = _book(tmp_path, 'trim = "6x9"', extra=ABOUT)
    result = build(book, tmp_path / "dist", ["pdf", "epub"])
    pdf = next(f for f in result.files if f.suffix == ".pdf")
    pages = pdf_pages(pdf)
    about = next(p for p in pages if p.body.startswith("About the Authors"))
    assert about.number % 2 == 1, "on a recto"
    assert "Test Author writes small books." in about.body and "Second Author reads them." in about.body
    assert "Typeset from Markdown with book-builder" in pages[-1].body, "the colophon ends the book"
    assert not any("Typeset" in p.body for p in pages[:-1])
    epub = next(f for f in result.files if f.suffix == ".epub")
    messages = epubcheck(epub)
    assert messages == [], messages


def test_the_copyright_block_stands_at_the_foot_of_its_page(small_book: tuple[Path, object]) -> None:
    pdf = next(f for f in small_book[1].files if f.suffix == ".pdf")  # type: ignore[attr-defined]
    page = next(p for p in pdf_pages(pdf) if "Public domain." in p.body)
    lowest = max(word[3] for word in page.words)
    topmost = min(word[1] for word in page.words)
    text_block_bottom = page.height - 0.8 * 72  # the bottom margin
    assert text_block_bottom - 24 < lowest <= text_block_bottom, (lowest, text_block_bottom)
    assert topmost > page.height / 2, "the whole block sits low on the page"


def test_build_cover_writes_the_full_wrap_sized_from_the_page_count(tmp_path: Path) -> None:
    book = _book(tmp_path, 'profile = "kdp"\npaper = "white"', extra='blurb = "A book to measure."\n')
    result = build(book, tmp_path / "dist", ["pdf"], cover=True)
    cover = tmp_path / "dist" / "a-small-test-book-cover.pdf"
    assert cover in result.files
    [page] = PdfReader(cover).pages
    pages = 24  # 10 laid out, padded to KDP's minimum
    spine = pages * 0.002252
    assert float(page.mediabox.width) == pytest.approx((2 * 6 + spine + 2 * 0.125) * 72, abs=0.5)
    assert float(page.mediabox.height) == pytest.approx((9 + 2 * 0.125) * 72, abs=0.5)
    text = subprocess.run([require_command("pdftotext"), str(cover), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "A book to measure." in text and "A SMALL TEST BOOK" in text.upper()


def test_spine_text_only_where_the_spine_holds_it(tmp_path: Path) -> None:
    from builder.config import load_config
    from builder.cover import render_print_cover

    meta = load_config(_book(tmp_path, 'profile = "kdp"\npaper = "cream"'))
    pdftotext = require_command("pdftotext")
    for pages, on_spine in ((24, False), (300, True)):
        pdf = tmp_path / f"cover-{pages}.pdf"
        pdf.write_bytes(render_print_cover(meta, pages))
        text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert ("Test Author, Second Author" in text) is on_spine, (pages, text)
