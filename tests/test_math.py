"""Math: `$…$` and `$$…$$` as MathML with alt text in the EPUB, as vector pictures in the PDF,
bad LaTeX an error at its line; the technical fixture's chapter 3 ends with formulas."""

from __future__ import annotations

import base64
import re
import zipfile
from pathlib import Path

from lxml import etree
from pypdf import PdfReader

from builder.manuscript.math import MATHML_NS
from builder.pipeline import BuildResult, check
from tests.conftest import FIXTURES
from tests.helpers import OPF_NS, copy_book, opf, write_file

M = {"m": MATHML_NS, "x": "http://www.w3.org/1999/xhtml"}
SCIENCE = "ch-03-legacy.xhtml"


def _outputs(result: BuildResult) -> tuple[Path, Path]:
    return (next(f for f in result.files if f.suffix == ".epub"),
            next(f for f in result.files if f.suffix == ".pdf"))


def _epub_document(epub: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(epub) as archive:
        return etree.fromstring(archive.read(next(n for n in archive.namelist() if n.endswith(name))))


def test_formulas_are_mathml_with_their_latex_as_alttext(tech_book: tuple[Path, BuildResult]) -> None:
    chapter = _epub_document(_outputs(tech_book[1])[0], SCIENCE)
    formulas = chapter.findall(".//m:math", M)
    assert [f.get("alttext") for f in formulas] == [
        "m", "v", r"E = \frac{1}{2} m v^2",
        r"x(t) = A e^{-\gamma t} \cos(\omega t + \varphi), \qquad \omega = \sqrt{\frac{k}{m} - \gamma^2}",
        "n", r"\sum_{i=1}^{n} \alpha_i \le 1"]
    assert [f.get("display") for f in formulas].count("block") == 1
    assert formulas[2].find(".//m:mfrac", M) is not None
    display = chapter.find(".//x:div[@class='math-display']/m:math", M)
    assert display is not None and display.get("display") == "block"
    text = "".join(chapter.itertext())
    assert "the price of $5 or $6" in text, "money is not math"
    assert chapter.find(".//x:code", M).text == "$HOME", "code is not math"


def test_documents_with_formulas_have_the_mathml_property(tech_book: tuple[Path, BuildResult]) -> None:
    package = opf(_outputs(tech_book[1])[0])
    properties = {item.get("href"): (item.get("properties") or "").split()
                  for item in package.iterfind(".//opf:manifest/opf:item", OPF_NS)}
    assert "mathml" in properties[SCIENCE]
    assert [href for href, props in properties.items() if "mathml" in props] == [SCIENCE]
    features = [m.text for m in package.iterfind(".//opf:meta[@property='schema:accessibilityFeature']",
                                                  OPF_NS)]
    assert {"MathML", "describedMath"} <= set(features)


def test_print_draws_formulas_as_vector_paths(tech_book: tuple[Path, BuildResult]) -> None:
    """The formulas' page paints no image at all (no XObject, no inline image): its glyphs are
    paths, filled in the page's own content (the other chapters' images are XObjects)."""
    reader = PdfReader(_outputs(tech_book[1])[1])
    page = next(p for p in reader.pages if "spinning" in p.extract_text())
    content = page.get_contents()
    assert content is not None
    drawn = content.get_data()
    assert not re.search(rb"\sDo\s", drawn) and not re.search(rb"\sBI\s", drawn), "a formula was an image"
    # Curves (c) and fills (f) of the glyph outlines: many per formula.
    assert len(re.findall(rb"\s[cf]\n", drawn)) > 200
    images = [p for p in reader.pages if re.search(rb"\sDo\s", p.get_contents().get_data())]
    assert images, "the check can fail: the figures' page paints its images with Do"


def test_the_print_html_holds_an_svg_picture_per_formula(tech_book: tuple[Path, BuildResult]) -> None:
    from builder.config import load_config
    from builder.manuscript import read_book
    from builder.render import render_print

    html = render_print(read_book(load_config(tech_book[0])))
    assert MATHML_NS not in html, "WeasyPrint draws no MathML: print has none"
    pictures = re.findall(r'<img class="math math-(inline|block)" src="data:image/svg\+xml;base64,([^"]+)" '
                          r'alt="([^"]*)" style="([^"]*)"/>', html)
    assert [p[2] for p in pictures][:3] == ["m", "v", r"E = \frac{1}{2} m v^2"]
    assert [p[0] for p in pictures].count("block") == 1
    svg = base64.b64decode(pictures[2][1])
    assert svg.startswith(b"<svg") and b"<path" in svg and b"<image" not in svg and b"<text" not in svg
    assert re.fullmatch(r"width: [\d.]+em; height: [\d.]+em; vertical-align: -?[\d.]+em", pictures[2][3])


def test_bad_latex_is_an_error_at_its_line(tmp_path: Path) -> None:
    book = copy_book(FIXTURES / "tech-book", tmp_path / "book")
    chapter = write_file(book / "chapters" / "03-legacy.md", "## Measuring Widgets\n\nGood $x^2$ here.\n\n"
                         "Bad: $\\frac{1}$ and $\\nosuchcommand y$\n\nand $x^$ too.\n\n$$\n{a + b\n$$\n")
    said = [str(d) for d in check(book) if d.level == "error"]
    assert f"{chapter}:5:6: error: the formula $\\frac{{1}}$ cannot be typeset: \\frac is missing an " \
        "argument" in said
    assert f"{chapter}:5:21: error: the formula $\\nosuchcommand y$ cannot be typeset: unknown command " \
        "\\nosuchcommand" in said
    assert any(s.startswith(f"{chapter}:7:5: error: the formula $x^$") for s in said)
    assert any(s.startswith(f"{chapter}:10:1: error:") and "a { is not closed" in s for s in said)
    assert len([s for s in said if "03-legacy" in s]) == 4
