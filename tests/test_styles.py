"""Styles layer: the house style ships with the package, book.toml's [style]
amends it, and a book's own sheets add to it instead of replacing it."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from builder.config import load_config
from builder.errors import ConfigError
from builder.manuscript import read_book
from builder.pipeline import build
from builder.render import render_print
from builder.scaffold import scaffold_files, write_new_book
from tests.conftest import FIXTURES
from tests.helpers import copy_book, epubcheck, pdf_pages, write_file


def _fonts(pdf: Path) -> str:
    return subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout


def build_print_html(book: Path) -> str:
    return render_print(read_book(load_config(book)))


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
    pages = subprocess.run(["pdftotext", str(own_pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    opening = next(page for page in pages if "The Second Chapter" in page and "Contents" not in page)
    assert opening.split()[-1].isdigit(), "a chapter's page has no folio: the house sheet was replaced"


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


# --- book.toml's [style] ------------------------------------------------------------------------------

def _new_book(folder: Path, style: str = "") -> Path:
    """The book `book-builder new` writes (footnotes, running heads, several pages a
    chapter), with *style* lines put into its [style] table."""
    files = scaffold_files("Styled", ["Ann Example"], "en", dt.date(2025, 1, 2),
                           "urn:uuid:12345678-1234-5678-1234-567812345678")
    config = PurePosixPath("book/book.toml")
    files[config] = files[config].replace(b"[style]\n", b"[style]\n" + style.encode("utf-8"))
    write_new_book(folder, files)
    return folder


def _layout(pdf: Path) -> list[tuple[str, bool, bool]]:
    """Per page: the running head, whether it has a folio, whether its body has text."""
    return [(page.head, bool(re.fullmatch(r"[ivxlc]+|\d+", page.foot)), bool(page.body.strip()))
            for page in pdf_pages(pdf)]


def test_a_book_that_sets_only_the_body_font_keeps_the_house_style(tmp_path: Path) -> None:
    plain = _new_book(tmp_path / "plain")
    styled = _new_book(tmp_path / "styled", 'body_font = "DejaVu Serif"\n')
    [plain_pdf] = build(plain, tmp_path / "plain-dist", ["pdf"]).files
    styled_result = build(styled, tmp_path / "styled-dist")
    assert styled_result.warnings == ()
    [styled_pdf] = [f for f in styled_result.files if f.suffix == ".pdf"]
    fonts = _fonts(styled_pdf)
    assert re.search(r"\+DejaVu-?Serif", fonts) and "Garamond" in _fonts(plain_pdf)
    assert "Garamond" not in fonts, "some text (a running head, a folio) kept the house face"
    # The same book: page breaks (chapters on rectos, blank versos), running heads, folios.
    assert _layout(styled_pdf) == _layout(plain_pdf)
    heads = {head for head, _, _ in _layout(styled_pdf) if head}
    assert "Styled" in heads and heads <= {"Styled", "First Steps", "The Toolbox"} and len(heads) > 1
    # The footnote is still at the foot of its page, under the text that calls it.
    [page] = [p for p in pdf_pages(styled_pdf) if "Like this one." in p.text()]
    note_top = min(w[1] for w in page.words if w[4] == "Like")
    assert note_top > page.height * 0.6 and "footnote" in page.text(0, note_top)


def test_the_faces_reach_the_epub_and_the_sizes_only_print(tmp_path: Path) -> None:
    book = _new_book(tmp_path / "b", 'heading_font = "dejavu sans"\nfont_size = "10.5pt"\nleading = 1.5\n')
    (book / "styles" / "base.css").write_text("h1 { letter-spacing: 0.05em; }\n")
    files = build(book, tmp_path / "dist").files
    [epub] = [f for f in files if f.suffix == ".epub"]
    assert epubcheck(epub) == []
    with zipfile.ZipFile(epub) as archive:
        chapter = next(archive.read(n).decode() for n in archive.namelist() if "ch-" in n)
        faces = archive.read("EPUB/styles/style-base.css").decode()
        assert "EPUB/styles/style-print.css" not in archive.namelist()
    assert re.findall(r'<link rel="stylesheet"[^>]*href="([^"]+)"', chapter) == \
        ["styles/base.css", "styles/style-base.css", "styles/book-base.css", "styles/epub.css",
         "styles/book-custom.css"]
    assert '"DejaVu Sans"' in faces and "font-size" not in faces and "line-height" not in faces
    [pdf] = [f for f in files if f.suffix == ".pdf"]
    assert re.search(r"\+DejaVu-?Sans\b", _fonts(pdf))
    print_html = build_print_html(book)
    links = re.findall(r'<link rel="stylesheet"[^>]*href="([^"]+)"', print_html)
    assert links == ["styles/base.css", "styles/style-base.css", "styles/book-base.css", "styles/print.css",
                     "styles/style-print.css", "styles/book-custom.css"]


def test_a_book_without_style_links_no_generated_sheet(tmp_path: Path) -> None:
    book = _new_book(tmp_path / "b")
    html = build_print_html(book)
    assert "style-" not in "".join(re.findall(r'<link rel="stylesheet"[^>]*>', html))


@pytest.mark.parametrize(("line", "message"), [
    ('body_font = "Garamond"', "style.body_font: 'Garamond' is not a face the build has; "
                               "did you mean 'EB Garamond'?"),
    ('heading_font = "DejaVu Sams"', "did you mean 'DejaVu Sans'?"),
    ('code_font = "EB Garamond"', "'EB Garamond' is not a monospace face"),
    ('font_size = "30pt"', "style.font_size: '30pt' is out of range; use 8pt to 14pt"),
    ('font_size = "11px"', "is not a size in points"),
    ("leading = 4", "style.leading: 4 is out of range"),
    ("leading = true", "style.leading: expected a number"),
    ('body_fnt = "EB Garamond"', "style.body_fnt: unknown key; did you mean 'body_font'?"),
])
def test_a_bad_style_value_is_an_error_at_its_line(tmp_path: Path, line: str, message: str) -> None:
    book = _new_book(tmp_path / "b", line + "\n")
    config = book / "book" / "book.toml"
    number = config.read_text(encoding="utf-8").splitlines().index(line) + 1
    with pytest.raises(ConfigError) as raised:
        load_config(book)
    [said] = str(raised.value).splitlines()
    assert said.startswith(f"{config}:{number}:1: error: style.") and message in said, said
