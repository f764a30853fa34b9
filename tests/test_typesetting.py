"""Pages a typographer would sign (issue 20): code, figures, notes, contents and the EPUB's colours.

Print code is sized so that 80 columns fit the text block and its longer lines are wrapped by
the builder at a space or punctuation, behind a mark, under a hanging indent (the EPUB's code
is left as written); only a paragraph after a paragraph is indented; figures are blocks; a large
image in a line of text stands on its own; captions have curled quotes; an SVG naming Times is
set in the body's face; a second call of a note prints the first's number; the contents' page
numbers stand in one column; the EPUB's colours follow the reader's theme.
"""

from __future__ import annotations

import re
import subprocess
import textwrap
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from builder import codewrap
from builder.config import load_config
from builder.images import family_with_house_face
from builder.manuscript import read_book
from builder.manuscript.tree import block_large_images, curl_quotes, make_figures
from builder.pipeline import BuildResult, build
from builder.render import render_print
from builder.stylesheets import HOUSE_STYLES
from tests.helpers import PdfPage, pdf_pages, require_command, write_file

EIGHTY = "".join(str(n % 10) for n in range(1, 81))  # 80 columns, no break in it anywhere
LONG_CALL = ('        target.write_text(json.dumps(self.events, indent=2, sort_keys=True), '
             'encoding="utf-8", newline="\\n")')
LONG_TITLE = ("A section whose title is long enough to run over onto a second line of the printed "
              "contents, for certain")

CHAPTER_ONE = f"""\
# Setting Code

Opening a [web page](https://example.org/page) first, then a note.[^a]

```text
{EIGHTY}
```

Aftercode is the paragraph after the code, and it starts flush with the text's left edge.

Secondpara follows a paragraph and is indented as running text is indented.

| Size | Price |
|------|-------|
| 1    | 9.50  |

Aftertable is the paragraph after a table, flush too.

- one
- two

Afterlist is the paragraph after a list, flush too. The note is called again.[^a]

```python
class Recorder:
    def save(self, folder):
{LONG_CALL}
        return target
```

## {LONG_TITLE}

Words under it.

[^a]: The note, printed once.
"""

CHAPTER_TWO = """\
# Figures

<figure><img src="images/photo.png" alt="A grey square" width="200" align="right">
<figcaption>Floatcaption of the "widget"</figcaption></figure>

## Headingafter

Inline words Wordbefore ![A large square](images/square.png) Wordafter and more words.

![A drawing with words in it](images/words.svg "The widget's drawing")
"""

SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="300" height="80" viewBox="0 0 300 80">
<rect x="5" y="5" width="290" height="70" fill="none" stroke="black"/>
<text x="150" y="50" font-family="Times" font-size="28" text-anchor="middle">Svgword inside</text>
</svg>
"""


def _png(size: int) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (size, size), 140).save(out, format="PNG")
    return out.getvalue()


def _set_book(root: Path) -> Path:
    write_file(root / "book/book.toml", textwrap.dedent("""\
        title = "Set Right"
        authors = ["A. Writer"]
        language = "en"
        identifier = "urn:uuid:5b1e7c2a-3d4f-4a6b-9c8d-0e1f2a3b4c5d"
        date = "2025-01-01"
        chapters = ["chapters/01-code.md", "chapters/02-figures.md"]
        toc_depth = 2
        print_toc_depth = 2
        """))
    write_file(root / "chapters/01-code.md", CHAPTER_ONE)
    write_file(root / "chapters/02-figures.md", CHAPTER_TWO)
    write_file(root / "chapters/images/photo.png", _png(300))
    write_file(root / "chapters/images/square.png", _png(600))  # 2 in at 300 dpi: too large for a line
    write_file(root / "chapters/images/words.svg", SVG)
    return root


@pytest.fixture(scope="module")
def set_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    root = _set_book(tmp_path_factory.mktemp("set") / "book")
    return root, build(root, root / "dist")


def _file(result: BuildResult, suffix: str) -> Path:
    return next(path for path in result.files if path.name.endswith(suffix))


@pytest.fixture(scope="module")
def pages(set_book: tuple[Path, BuildResult]) -> list[PdfPage]:
    return pdf_pages(_file(set_book[1], ".pdf"))


def _word(pages: list[PdfPage], text: str) -> tuple[PdfPage, tuple[float, float, float, float, str]]:
    """The first word starting with *text* after the contents."""
    for page in pages[next(p.number for p in pages if "Contents" in p.text()):]:
        for word in page.words:
            if word[4].startswith(text):
                return page, word
    raise AssertionError(f"{text!r} is not in the PDF")


def _left_edge(page: PdfPage) -> float:
    """Where the page's text starts: the leftmost word set at the text's size (not a note's
    or the code's, nor the running head's or the folio)."""
    return min(word[0] for word in page.words if 50 < word[1] < page.height - 50 and word[3] - word[1] > 10)


# --- Code -------------------------------------------------------------------------------------

def test_a_long_line_breaks_at_a_space_else_at_punctuation_with_a_hanging_mark() -> None:
    line = "    call(first_argument, second_argument, third_argument)"
    breaks = codewrap.line_breaks(line, 30)
    assert breaks, "a 57-column line in 30 columns is wrapped"
    for offset, indent in breaks:
        assert line[offset - 1] == " " or line[offset - 1] in codewrap.PUNCTUATION, line[:offset]
        assert indent == 4, "the continuation hangs from the line's own indentation"
    # A path with no space breaks after a slash, never inside a word.
    path = "x = '/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf'"
    for offset, _ in codewrap.line_breaks(path, 24):
        assert path[offset - 1] in codewrap.PUNCTUATION, path[:offset]
    assert codewrap.line_breaks(EIGHTY, 80) == [], "80 columns fit 80 columns"
    assert codewrap.line_breaks(EIGHTY + "1", 80) == [(80, 0)], "a token longer than the line breaks inside"


def test_80_columns_fit_the_text_block_of_the_common_trims() -> None:
    for trim in ("6in 9in", "7in 10in", "8.5in 11in"):
        code = codewrap.measure(trim)
        assert code.columns >= 80, (trim, code)
        assert code.size * codewrap.ADVANCE * code.columns <= code.width, (trim, code)
    assert codewrap.measure("6in 9in").size < codewrap.measure("7in 10in").size <= codewrap.LARGEST
    # A pocket book would need code under 6 pt: it keeps 6 pt and wraps at fewer columns.
    assert codewrap.measure("5.5in 8.5in").size == codewrap.SMALLEST


def test_print_code_breaks_only_after_a_space_or_punctuation(set_book: tuple[Path, BuildResult]) -> None:
    html = render_print(read_book(load_config(set_book[0])))
    blocks = re.findall(r"<pre\b.*?</pre>", html, re.S)
    wrapped = [block for block in blocks if "code-wrap" in block]
    assert len(wrapped) == 1, "only the long call is wrapped (the 80 columns are not)"
    pre = etree.fromstring(wrapped[0])
    for wrap in pre.iter("span"):
        if wrap.get("class") != "code-wrap":
            continue
        before = "".join(str(text) for text in pre.xpath("string()").split(wrap.xpath("string()"))[0][-1:])
        assert before == " " or before in codewrap.PUNCTUATION, f"a break after {before!r}"
        assert wrap.xpath("string()").startswith("\n        ↪ "), "the mark hangs at the line's indentation"


def test_the_pdf_shows_the_mark_and_the_80_columns_whole(pages: list[PdfPage]) -> None:
    text = "\n".join(page.body for page in pages)
    assert EIGHTY in text.split(), "a line of 80 columns is set on one line"
    assert "↪" in text, "a wrapped line's continuation is marked"
    _, mark = _word(pages, "↪")
    _, call = _word(pages, "target.write_text")
    _, going_on = _word(pages, "encoding=")
    assert abs(mark[0] - call[0]) < 0.5, "the mark stands at the line's own indentation"
    assert going_on[0] > call[0] + 1, "the continuation hangs past it"
    assert abs(going_on[1] - mark[1]) < 1, "on the mark's line"


def test_the_epub_code_is_as_written(set_book: tuple[Path, BuildResult]) -> None:
    with zipfile.ZipFile(_file(set_book[1], ".epub")) as epub:
        chapter = next(epub.read(name) for name in epub.namelist() if "01-code" in name)
    root = etree.fromstring(chapter)
    code = "\n".join(str(pre.xpath("string()")) for pre in root.iter("{*}pre"))
    assert LONG_CALL in code and EIGHTY in code
    assert "↪" not in code and "code-wrap" not in chapter.decode()


# --- Paragraphs, figures, captions ---------------------------------------------------------------

def test_only_a_paragraph_after_a_paragraph_is_indented(pages: list[PdfPage]) -> None:
    for flush in ("Opening", "Aftercode", "Aftertable", "Afterlist"):
        page, word = _word(pages, flush)
        assert word[0] - _left_edge(page) < 1, f"{flush}: indented by {word[0] - _left_edge(page):.1f} pt"
    page, word = _word(pages, "Secondpara")
    assert 10 < word[0] - _left_edge(page) < 16, "a paragraph after a paragraph is indented 1.2em"


def test_a_figure_is_a_block_never_beside_a_heading(pages: list[PdfPage]) -> None:
    for rule in (HOUSE_STYLES / "print.css").read_text().split("}"):
        if "figure" in rule.split("{")[0] and "float" in rule:
            assert re.search(r"float:\s*none", rule), rule
    caption_page, caption = _word(pages, "Floatcaption")
    heading_page, heading = _word(pages, "Headingafter")
    assert (heading_page.number, heading[1]) > (caption_page.number, caption[3]), \
        "the heading after a right-aligned figure starts below its caption"


def test_a_large_image_in_a_line_of_text_stands_on_its_own(pages: list[PdfPage]) -> None:
    before_page, before = _word(pages, "Wordbefore")
    after_page, after = _word(pages, "Wordafter")
    assert after_page.number > before_page.number or after[1] > before[3] + 72, \
        "the text after the image goes on below it, not beside it"
    root = etree.fromstring("<div><p>Text <img src='big.png' alt='big'/> more text.</p>"
                            "<p>An <img src='small.png' alt='small'/> icon.</p></div>")
    block_large_images(root, {"big.png": ("image/png", 900, 300), "small.png": ("image/png", 40, 40)})
    assert [element.tag for element in root] == ["p", "p", "p", "p"]
    assert root[1].find("img").get("src") == "big.png" and root[2].text == "more text."
    make_figures(root)
    assert [element.tag for element in root] == ["p", "figure", "p", "p"]


def test_captions_have_curled_quotes(set_book: tuple[Path, BuildResult]) -> None:
    assert curl_quotes("the widget's \"best\" ('old') part") == "the widget’s “best” (‘old’) part"
    html = render_print(read_book(load_config(set_book[0])))
    assert "Floatcaption of the “widget”" in html
    assert "The widget’s drawing" in html


def test_an_svg_naming_times_is_set_in_the_body_face(set_book: tuple[Path, BuildResult],
                                                    pages: list[PdfPage]) -> None:
    assert family_with_house_face("Times") == "'EB Garamond', Times"
    assert family_with_house_face("Arial, sans-serif") == "'DejaVu Sans', Arial, sans-serif"
    assert family_with_house_face("monospace") == "'DejaVu Sans Mono', monospace"
    assert family_with_house_face("DejaVu Sans, sans-serif") == "DejaVu Sans, sans-serif"
    _word(pages, "Svgword")
    fonts = subprocess.run([require_command("pdffonts"), str(_file(set_book[1], ".pdf"))],
                           capture_output=True, text=True, check=True).stdout
    assert "DejaVuSerif" not in fonts and "Times" not in fonts, fonts


# --- Notes and contents ------------------------------------------------------------------------------

def test_a_repeated_note_call_prints_the_first_call_s_number(pages: list[PdfPage]) -> None:
    text = " ".join(page.body for page in pages)
    # The web link's address is note 1 (print sets URLs as notes), the author's note 2.
    assert re.search(r"then a note\.\s?2\b", text), text
    assert re.search(r"called again\.\s?2\b", text), "the second call shows the same number"


def test_contents_page_numbers_stand_in_one_column_with_hanging_turnovers(pages: list[PdfPage]) -> None:
    page = next(page for page in pages if "Contents" in page.text())
    lines: dict[int, list[tuple[float, float, float, float, str]]] = {}
    for word in page.words:
        if 50 < word[1] < page.height - 50 and word[4] != "Contents":
            lines.setdefault(round(word[1]), []).append(word)
    rows = [sorted(words) for _, words in sorted(lines.items())]
    numbers = [row[-1] for row in rows if row[-1][4].isdigit()]
    assert len(numbers) >= 4, rows  # two chapters, their sections
    assert max(n[2] for n in numbers) - min(n[2] for n in numbers) < 0.5, \
        f"page numbers end at {[round(n[2], 1) for n in numbers]}"
    first = next(index for index, row in enumerate(rows) if row[0][4] == "A" and row[1][4] == "section")
    assert rows[first + 1][0][0] > rows[first][0][0] + 8, "a wrapped entry hangs under its first line"


# --- EPUB colours ------------------------------------------------------------------------------------

def _declarations(css: str) -> list[tuple[str, str, str]]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    found = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        for declaration in body.split(";"):
            if ":" in declaration:
                name, value = declaration.split(":", 1)
                found.append((selector.strip(), name.strip(), value.strip()))
    return found


def test_the_epub_colours_follow_the_reader_s_theme() -> None:
    css = (HOUSE_STYLES / "base.css").read_text() + (HOUSE_STYLES / "epub.css").read_text()
    colour = re.compile(r"#[0-9a-fA-F]{3,6}\b|\b(black|white|rgb)")
    for selector, name, value in _declarations(css):
        if name.startswith("background"):
            raise AssertionError(f"{selector} sets {name}: {value}")
        if name.startswith("border"):
            assert not colour.search(value), f"{selector} {name}: {value} (a rule in the text's colour)"
        if name == "color" and "prefers-color-scheme" not in selector:
            assert not re.fullmatch(r"#0{3,6}|#f{3,6}|black|white", value, re.I), f"{selector}: {value}"
    links = [value for selector, name, value in _declarations((HOUSE_STYLES / "epub.css").read_text())
             if selector == "a" and name == "color"]
    assert links == ["inherit"], "links keep the text's colour, underlined"
