"""Styles layer: the house style ships with the package, and a book's own
sheets add to it instead of replacing it."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

from builder.pipeline import build
from tests.conftest import FIXTURES
from tests.helpers import copy_book, write_file


def _fonts(pdf: Path) -> str:
    return subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_a_print_sheet_that_only_sets_the_face_keeps_the_house_style(tmp_path: Path) -> None:
    plain = copy_book(FIXTURES / "small-book", tmp_path / "plain")
    own = copy_book(FIXTURES / "small-book", tmp_path / "own")
    write_file(own / "styles" / "print.css", 'body { font-family: "DejaVu Sans"; }\n')
    [plain_pdf] = build(plain, tmp_path / "plain-dist", ["pdf"]).files
    [own_pdf] = build(own, tmp_path / "own-dist", ["pdf"]).files
    sans = re.compile(r"\+DejaVu-?Sans(?!-?Mono)")
    assert sans.search(_fonts(own_pdf)) and not sans.search(_fonts(plain_pdf))
    # The house print sheet still applies: recto chapter openings, folios, a title page.
    assert _pages(own_pdf) >= _pages(plain_pdf) > 4
    folios = subprocess.run(["pdftotext", "-f", str(_pages(own_pdf)), str(own_pdf), "-"],
                            capture_output=True, text=True, check=True).stdout
    assert folios.split()[-1].isdigit(), "the last page has no folio: the house sheet was replaced"


def test_custom_css_comes_last_in_both_editions(tmp_path: Path) -> None:
    book = copy_book(FIXTURES / "small-book", tmp_path / "book")
    write_file(book / "styles" / "custom.css", "h1 { letter-spacing: 0.1em; }\n")
    files = build(book, tmp_path / "dist").files
    [epub] = [f for f in files if f.suffix == ".epub"]
    with zipfile.ZipFile(epub) as archive:
        chapter = next(archive.read(n).decode() for n in archive.namelist() if "ch-" in n)
        assert "EPUB/styles/book-custom.css" in archive.namelist()
    links = re.findall(r'<link rel="stylesheet"[^>]*href="([^"]+)"', chapter)
    assert links == \
        ["styles/base.css", "styles/epub.css", "styles/book-custom.css"]
