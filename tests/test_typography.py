"""Print typography (builder.typography): American patterns for "en", no hyphen in
titles, headings, table headers and captions, and after layout no ladder of three
hyphenated lines, no hyphen on a page's last line, no paragraph ending in a line
of fewer than 5 characters and no unbalanced heading: counted on the real book,
the technical fixture and a narrow-column book built to provoke them all (the
bench's long books are counted by `make bench`: bench/typography_count.py)."""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

import pyphen
import pytest

from builder import typography
from builder.config import load_config
from builder.manuscript import read_book
from builder.model import Diagnostic
from builder.render import render_epub, render_print
from builder.typography import (
    AUTO_HYPHEN,
    BALANCED_BREAK,
    Finding,
    Line,
    apply,
    balanced_breaks,
    findings,
    hyphenation_language,
)
from tests.conftest import FIXTURES, REPO
from tests.helpers import copy_book, pdf_pages, write_file

KEPT_WHOLE = {"h1", "h2", "h3", "h4", "h5", "h6", "th", "caption", "figcaption"}


# --- The language ---------------------------------------------------------

def test_en_means_american_patterns_unless_a_region_is_named() -> None:
    assert hyphenation_language("en") == "en-US"
    assert hyphenation_language("EN") == "en-US"
    assert hyphenation_language("en-GB") == "en-GB"
    assert hyphenation_language("de") == "de"
    assert pyphen.language_fallback("en") == "en"  # Pyphen's bare "en" ...
    assert Path(pyphen.LANGUAGES["en"]).name == "hyph_en_GB.dic"  # ... is British: why the mapping
    american = pyphen.Pyphen(lang=pyphen.language_fallback(hyphenation_language("en")))
    british = pyphen.Pyphen(lang=pyphen.language_fallback(hyphenation_language("en-GB")))
    assert american.inserted("literature") == "lit-er-a-ture"
    assert british.inserted("literature") == "lit-er-at-ure"
    assert american.inserted("internal") == "in-ter-nal"
    assert american.inserted("plausible") == "plau-si-ble"


def test_the_print_body_says_en_us_and_the_epub_keeps_the_declared_language() -> None:
    book = read_book(load_config(REPO))
    assert book.meta.language == "en"
    print_html = render_print(book)
    assert re.search(r'<html [^>]*lang="en"', print_html), "the PDF's /Lang stays as declared"
    assert re.search(r'<body class="print" lang="en-US" xml:lang="en-US">', print_html)
    for document in render_epub(book, None):
        assert 'lang="en-US"' not in document.xhtml
        assert 'xml:lang="en"' in document.xhtml


def test_a_named_region_is_left_as_it_is() -> None:
    book = read_book(load_config(FIXTURES / "small-book"))
    assert book.meta.language == "en-GB"
    assert re.search(r'<body class="print">', render_print(book))


def test_the_print_styles_hyphenate_by_the_limits_and_keep_titles_whole() -> None:
    css = (REPO / "builder/styles/print.css").read_text()
    assert re.search(r"body \{[^}]*hyphens: auto;[^}]*hyphenate-limit-chars: 6 3 3;", css)
    base = (REPO / "builder/styles/base.css").read_text()
    whole = re.search(r"\n(h1, h2, h3, h4, h5, h6, th, caption, figcaption, \.titlepage[^{]*)\{([^}]*)\}",
                      base)
    assert whole and "hyphens: manual" in whole[2]


# --- The pass, piece by piece ---------------------------------------------

def _lines(block: tuple[str, str, int], texts: list[str], page_ends: tuple[int, ...] = ()) -> list[Line]:
    return [Line(1, index in page_ends, block, text) for index, text in enumerate(texts)]


def test_a_ladder_of_three_keeps_its_middle_word_whole() -> None:
    lines = _lines(("c", "p", 0), [f"one two lit{AUTO_HYPHEN}", f"erature and inev{AUTO_HYPHEN}",
                                   f"itably the inter{AUTO_HYPHEN}", "nal end of it all."])
    [ladder] = findings(lines)
    assert (ladder.kind, ladder.word) == ("ladder", "inevitably")


def test_a_hyphen_on_a_page_s_last_line_and_a_runt_are_found() -> None:
    lines = _lines(("c", "p", 0), [f"words and more plau{AUTO_HYPHEN}", "sible words to"], page_ends=(0,))
    lines += _lines(("c", "p", 1), ["a paragraph that ends", "it."])
    lines += _lines(("c", "p", 3), ["five characters are", "in it."])  # not a runt
    lines += _lines(("c", "p", 2), [f"a paragraph whose last word is aboli{AUTO_HYPHEN}", "tion."])
    lines += _lines(("c", "li", 0), ["a list item may", "so."])  # only paragraphs have runts
    found = findings(lines)
    assert [(f.kind, f.word, f.join) for f in found] == [
        ("page-end", "plausible", False), ("runt", "", True), ("runt", "abolition", False)]


def test_an_uneven_heading_is_balanced_and_an_even_one_left() -> None:
    uneven = _lines(("c", "h1", 0), ["Why No One Saw Us Leave Has the", "World Hooked"])
    [heading] = findings(uneven)
    assert heading.kind == "heading" and heading.breaks == (5,)  # "... Us Leave" / "Has the ..."
    assert findings(_lines(("c", "h1", 0), ["Why No One Saw Us", "Leave Has the World"])) == []
    assert balanced_breaks([3, 2, 3, 3, 2, 5, 3, 3, 5, 6], 2) == (5,)
    assert balanced_breaks([4, 4, 4, 4, 4, 4], 3) == (1, 3)
    assert balanced_breaks([10], 2) == ()


SOURCE = textwrap.dedent("""\
    <body><section class="chapter" id="c"><h1 class="chapter-title">Why <em>No One</em> Saw Us Leave
    Has the World Hooked</h1>
    <p>The literature, and <em>literature</em>-like texts; not literatures. The end
    of&#160;it<span class="print-footnote">A note with words in it</span></p>
    <p>Second.</p></section></body>""")


def test_the_html_changes_only_where_the_break_is() -> None:
    word = Finding("page-end", Line(1, True, ("c", "p", 0), ""), word="literature")
    runt = Finding("runt", Line(1, False, ("c", "p", 0), ""), join=True)
    heading = Finding("heading", Line(1, False, ("c", "h1", 0), ""), breaks=(3,))
    missing = Finding("ladder", Line(1, False, ("c", "p", 5), ""), word="gone")
    html, unplaced = apply(SOURCE, [word, runt, heading, missing])
    assert unplaced == [missing]
    assert html.count('<span class="nohyphen">literature</span>') == 2
    assert "not literatures" in html
    # The last space of the paragraph's own text (the note's aside) joins its last two words.
    assert "The end\u00a0\nof" not in html and "The end\u00a0of&#160;it" in html
    assert f"Saw {BALANCED_BREAK}Us Leave" in html
    assert apply(html, [heading])[0] == html, "a heading is balanced once"
    assert html.replace('<span class="nohyphen">literature</span>', "literature").replace(
        BALANCED_BREAK, "").replace("end\u00a0of", "end\nof") == SOURCE


def test_a_pass_that_cannot_settle_stops_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    ladder = _lines(("c", "p", 0), [f"a lit{AUTO_HYPHEN}", f"erature lit{AUTO_HYPHEN}",
                                    f"erature lit{AUTO_HYPHEN}", "erature"])
    monkeypatch.setattr(typography, "read_lines", lambda document: ladder)
    laid_out: list[str] = []
    outcome = typography.settle(SOURCE, lambda html: laid_out.append(html), rounds=2)
    assert len(laid_out) == 2, "the word is marked once; marked again, nothing changes: stop"
    assert outcome.layouts == 2 and [f.kind for f in outcome.left] == ["ladder"]
    assert (outcome.summary() or "").startswith("typography: 1 left unresolved after 2 layouts (1 ladder)")


# --- On laid-out books -----------------------------------------------------

NARROW_CHAPTER = """\
# Internationalization Considerations Notwithstanding Everything

{paragraphs}

## Extraordinarily Uncharacteristic Institutionalization

| Operator Internationalization | Characteristically |
|---|---|
| representation | interoperability considerations |

#### A Level-Four Heading

{more}
"""
LONG_WORDS = ("literature inevitably internal plausible extraordinary characteristically representation "
              "interoperability considerations institutional uncharacteristic memorably unquestionably")
WORDS = [*LONG_WORDS.split(), "the", "of", "and", "a", "to", "in", "it", "is"]


def _narrow_book(root: Path) -> Path:
    """A book in a column 1.6 in wide, full of long words: ladders, page-end hyphens and runts
    wherever WeasyPrint is left to itself."""
    import random

    chance = random.Random(20)

    def paragraph(index: int) -> str:
        words = [chance.choice(WORDS[:13] if chance.random() < 0.4 else WORDS)
                 for _ in range(25 + index % 17)]
        return " ".join(words).capitalize() + (" it." if index % 3 == 0 else ".")
    write_file(root / "book/book.toml", textwrap.dedent("""\
        title = "Narrow"
        subtitle = "The Heartbreaking True Story Behind Netflix's Latest Mexican Thriller"
        authors = ["A. Writer"]
        language = "en"
        identifier = "urn:uuid:2f8c1d3e-9a4b-4c5d-8e6f-7a8b9c0d1e2f"
        date = "2025-01-01"
        chapters = ["chapters/01-narrow.md"]
        [print]
        trim = "3.6 x 5 in"
        """))
    write_file(root / "chapters/01-narrow.md", NARROW_CHAPTER.format(
        paragraphs="\n\n".join(paragraph(i) for i in range(12)),
        more="\n\n".join(paragraph(i) for i in range(30, 36))))
    return root


def _laid_out(book_dir: Path) -> tuple[Any, list[Diagnostic]]:
    from builder.layout import layout, print_resources

    book = read_book(load_config(book_dir))
    return layout(book, render_print(book), print_resources(book))


def _counts(document: Any) -> Counter[str]:
    lines = typography.read_lines(document)
    assert lines is not None, "the typography pass is off"
    counts = Counter(finding.kind for finding in findings(lines))
    counts["hyphenated titles"] = sum(line.hyphenated for line in lines
                                      if line.block[1] in KEPT_WHOLE or line.block[0] == "titlepage")
    return +counts


@pytest.fixture(scope="module")
def narrow(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _narrow_book(tmp_path_factory.mktemp("narrow"))


@pytest.fixture(scope="module")
def narrow_laid_out(narrow: Path) -> tuple[Any, list[Diagnostic]]:
    return _laid_out(narrow)


def test_left_to_itself_the_narrow_book_has_every_fault(narrow: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: without the pass's rounds the narrow book shows what the pass mends."""
    monkeypatch.setattr(typography.settle, "__defaults__", (0,))
    document, messages = _laid_out(narrow)
    counts = _counts(document)
    assert {"ladder", "page-end", "runt"} <= set(counts), counts
    assert "hyphenated titles" not in counts, counts
    [left] = [message for message in messages if message.message.startswith("typography: ")]
    assert left.path == narrow / "chapters/01-narrow.md", "the warning names the chapter it is in"


@pytest.mark.parametrize("book", ["narrow", "real", "tech"])
def test_no_ladder_page_end_hyphen_runt_or_uneven_heading_is_left(
        book: str, request: pytest.FixtureRequest) -> None:
    if book == "narrow":
        document, messages = request.getfixturevalue("narrow_laid_out")
    else:
        document, messages = _laid_out({"real": REPO, "tech": FIXTURES / "tech-book"}[book])
    assert _counts(document) == Counter()
    assert not [m for m in messages if m.message.startswith("typography: ")]


def test_the_narrow_book_is_hyphenated_by_american_patterns(narrow_laid_out: tuple[Any, Any]) -> None:
    lines = typography.read_lines(narrow_laid_out[0]) or []
    american = pyphen.Pyphen(lang="en_US")
    splits: Counter[str] = Counter()
    for line, after in pairwise(lines):
        if line.hyphenated and line.block == after.block:
            head = re.search(r"\w+$", line.text.removesuffix(AUTO_HYPHEN))
            tail = re.match(r"\w+", after.text)
            assert head and tail
            word = head[0] + tail[0]
            assert (head[0], tail[0]) in list(american.iterate(word)), word
            splits[word] += 1
    assert len(splits) >= 5, splits


def test_no_hyphen_ends_a_page_of_the_real_book_s_pdf(real_book: tuple[Path, Any]) -> None:
    """What a reader of the PDF sees: each page's lowest line of text above the folio."""
    [pdf] = [f for f in real_book[1].files if f.suffix == ".pdf"]
    for page in pdf_pages(pdf):
        body = [w for w in page.words if w[3] < page.height - 0.8 * 72 and w[1] > 0.75 * 72]
        if body:
            bottom = max(w[1] for w in body)
            last = [w[4] for w in body if abs(w[1] - bottom) < 2]
            assert not last[-1].endswith((AUTO_HYPHEN, "-")), (page.number, last)


def test_the_pass_marks_nothing_in_the_epub(tmp_path: Path) -> None:
    book = read_book(load_config(copy_book(REPO, tmp_path / "book")))
    for document in render_epub(book, None):
        assert "nohyphen" not in document.xhtml and BALANCED_BREAK not in document.xhtml
